/**
 * The learn state and "Compare with retraining" as a person sees them, on a 4-class project taught in two rounds
 * through the UI: Learn is disabled with its reason when nothing is new, a class with new pictures says how many,
 * the accuracy table follows a rename, the comparison shows the incremental and the retrained column with their
 * figures, the strategy help quotes the project's numbers, and "Export model" downloads one zip.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addClass, addImages, classCard, clickForDownload, launchApp, learn, type AppSession } from './support/app';

const CLASSES = ['Circles', 'Squares', 'Triangles', 'Ellipses'];

/** Writes `count` synthetic pictures of scene kind `kind` (lab/platform.ts's makeScene) as PNG files. */
async function scenePictures(session: AppSession, dir: string, kind: number, first: number, count: number): Promise<string[]> {
  const lab = await session.context.newPage();
  await lab.goto('/lab/platform.html');
  await lab.waitForFunction(() => window.retainLab !== undefined);
  const pngs = await lab.evaluate(
    async ({ kind, first, count }) => {
      const out: string[] = [];
      for (let i = first; i < first + count; i++) {
        const bitmap = await window.retainLab.makeScene(kind, i, 224);
        const canvas = new OffscreenCanvas(224, 224);
        canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
        const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
        let binary = '';
        for (const b of bytes) binary += String.fromCharCode(b);
        out.push(btoa(binary));
      }
      return out;
    },
    { kind, first, count },
  );
  await lab.close();
  return pngs.map((b64, i) => {
    const file = path.join(dir, `scene-${kind}-${first + i}.png`);
    writeFileSync(file, Buffer.from(b64, 'base64'));
    return file;
  });
}

test('Learn says when nothing is new; the comparison with retraining shows both columns on a 4-class project', async () => {
  test.setTimeout(15 * 60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'retain-compare-'));
  const session = await launchApp({ userDataDir: mkdtempSync(path.join(tmpdir(), 'retain-e2e-compare-')), query: '?backend=wasm' });
  const { page } = session;
  try {
    for (const round of [0, 1]) {
      for (const k of [2 * round, 2 * round + 1]) {
        await addClass(page, CLASSES[k]);
        await addImages(page, CLASSES[k], await scenePictures(session, dir, k, 0, 10));
        // 10 pictures: 8 to learn, 2 held out (every 5th).
        await expect(classCard(page, CLASSES[k]).getByTestId('class-learned')).toHaveText('8 new, not learned yet');
      }
      await learn(page, 'balanced');
    }

    // Nothing new: Learn is disabled and says why; every class says it is learned.
    await expect(page.getByTestId('learn-button')).toBeDisabled();
    await expect(page.getByTestId('learn-hint')).toContainText('Nothing new to learn');
    for (const name of CLASSES) await expect(classCard(page, name).getByTestId('class-learned')).toHaveText('learned');

    // New pictures of a learned class: its card counts them and Learn is offered again.
    await addImages(page, CLASSES[0], await scenePictures(session, dir, 0, 10, 3));
    await expect(classCard(page, CLASSES[0]).getByTestId('class-learned')).toHaveText('3 new, not learned yet');
    await expect(page.getByTestId('learn-button')).toBeEnabled();

    // The accuracy table follows a rename (its columns are named by the rounds' classes).
    await expect(page.getByTestId('matrix-task').nth(1)).toContainText('Triangles');
    await classCard(page, 'Triangles').getByTestId('class-rename').click();
    await page.getByTestId('dialog-input').fill('Pyramids');
    await page.getByTestId('dialog-confirm').click();
    await expect(classCard(page, 'Pyramids')).toBeVisible();
    await expect(page.getByTestId('matrix-task').nth(1)).toContainText('Pyramids');
    await expect(page.getByTestId('matrix-task').nth(1)).not.toContainText('Triangles');

    // Compare with retraining: both columns, each with its time, accuracies and storage.
    await page.getByTestId('compare-run').click();
    await expect(page.getByTestId('compare-table')).toBeVisible({ timeout: 300_000 });
    await expect(page.getByTestId('compare-col-incremental')).toContainText('Learned incrementally');
    await expect(page.getByTestId('compare-col-retrain')).toContainText('Retrained from scratch');
    for (const side of ['incremental', 'retrain']) {
      await expect(page.getByTestId(`compare-time-${side}`)).toHaveText(/\d/);
      await expect(page.getByTestId(`compare-old-${side}`)).toHaveText(/^\d+ ?%$/);
      await expect(page.getByTestId(`compare-new-${side}`)).toHaveText(/^\d+ ?%$/);
      await expect(page.getByTestId(`compare-storage-${side}`)).toHaveText(/pictures/);
    }
    // Retraining must keep every training picture (32 learned + 3 new); the incremental model only its memory.
    await expect(page.getByTestId('compare-storage-retrain')).toContainText('35 pictures');
    await page.getByTestId('strategy-help').locator('summary').click();
    await expect(page.getByTestId('strategy-help-live')).toContainText('On this project');
    await expect(page.getByTestId('compare-status')).toContainText('Done');
    await expect(page.getByTestId('learn-button')).toBeEnabled();

    // "Export model": one zip, and the panel's snippets for both ways of loading it.
    const download = await clickForDownload(page, 'model-export');
    expect(download.suggestedFilename()).toMatch(/^retain-model-.*\.zip$/);
    await page.getByTestId('use-model-panel').locator('summary').click();
    await expect(page.getByTestId('snippet-tfjs')).toContainText('tf.loadLayersModel');
    await expect(page.getByTestId('snippet-tm')).toContainText('tmImage.load');
    expect(session.errors).toEqual([]);
  } finally {
    await session.close();
  }
});
