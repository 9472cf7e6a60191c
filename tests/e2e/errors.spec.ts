/**
 * What a person sees when the camera is refused. (A full disk is not here: this Chromium applies the DevTools
 * protocol's Storage.overrideQuotaForOrigin only to storage created after the override, so an installed app
 * cannot be made to hit its quota; QuotaExceededError is exercised in Node, tests/unit/memory/store.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { addClass, classCard, launchApp, sampleCount, snap, type AppSession } from './support/app';
import { writeSceneStills, writeSceneVideos } from './support/y4m';

let session: AppSession | null = null;
test.afterEach(async () => {
  await session?.close().catch(() => undefined);
  session = null;
});

test('camera refused: a message that says how to allow it, capture stays off, teaching from files still works', async () => {
  const video = writeSceneVideos(['red-stripes'], { seconds: 1 })['red-stripes'];
  const stills = writeSceneStills(['red-stripes'], 1);
  session = await launchApp({ userDataDir: mkdtempSync(path.join(tmpdir(), 'retain-e2e-denied-')), video, cameraDenied: true });
  const page = session.page;
  await page.getByTestId('camera-start').click();
  const message = page.getByTestId('camera-message');
  await expect(message).toContainText('Camera access was refused');
  await expect(message).toContainText('images from files');
  // The message names the button as it now reads.
  await expect(message).toContainText('press “Try again”');
  await expect(page.getByTestId('camera-start')).toHaveText('Try again');
  await expect(page.getByTestId('capture-button')).toHaveAttribute('aria-disabled', 'true');
  await addClass(page, 'Red stripes');
  await classCard(page, 'Red stripes').getByTestId('class-files').setInputFiles(stills['red-stripes']);
  await expect.poll(() => sampleCount(page, 'Red stripes'), { timeout: 120_000 }).toBe(1);
  await snap(page, test.info(), 'camera-denied');
  expect(session.errors).toEqual([]);
});
