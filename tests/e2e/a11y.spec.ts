/**
 * Accessibility: axe-core over every main state of the app (first-run guide, empty, classes added, learned with
 * live predictions, advanced settings open, each dialog, the phone layout), in English and in Chinese, asserting
 * zero violations of every rule axe runs by default (WCAG 2.x A/AA and best practices).
 * Each language runs the whole flow after one switch (set up through data-testid hooks, never through words).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { addClass, addImages, classCard, ensureCamera, launchApp, samplePredictions } from './support/app';
import { writeSceneStills, writeSceneVideos } from './support/y4m';

test.describe.configure({ mode: 'serial' });

type Language = 'en' | 'zh-CN';

let videos: ReturnType<typeof writeSceneVideos>;
let stills: ReturnType<typeof writeSceneStills>;

test.beforeAll(() => {
  videos = writeSceneVideos(['red-stripes', 'green-circles'], { seconds: 2 });
  stills = writeSceneStills(['red-stripes', 'green-circles'], 5);
});

/** Switches the app's language with its switcher (the page reloads into it) and waits for the panels. */
async function useLanguage(page: Page, language: Language): Promise<void> {
  if ((await page.locator('html').getAttribute('lang')) === language) return;
  await page.getByTestId(`language-${language}`).click();
  await expect(page.locator('html')).toHaveAttribute('lang', language);
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true', { timeout: 120_000 });
}

/** Closes the first-run guide if it is shown (it shows by itself on a first visit). */
async function closeGuide(page: Page): Promise<void> {
  const guide = page.getByTestId('first-run-guide');
  if (await guide.isVisible()) await page.getByTestId('guide-close').click();
  await expect(guide).toBeHidden();
}

/** Learns a round with Fast in any language (by the report's round number, not its words). */
async function learnRound(page: Page): Promise<void> {
  await page.getByTestId('preset-fast').check();
  const report = page.getByTestId('learn-report');
  const before = await report.getAttribute('data-round');
  await page.getByTestId('learn-button').click();
  await expect
    .poll(() => report.getAttribute('data-round'), { timeout: 300_000, intervals: [500] })
    .not.toBe(before);
  await expect(page.locator('.banner-error')).toHaveCount(0);
}

/** Runs axe on the page as it is; records and returns one line per violation (rule, impact, first targets). */
async function audit(page: Page, language: Language, state: string): Promise<string[]> {
  // Let transitions and the toasts' fade settle so colours are measured at rest.
  await page.waitForTimeout(300);
  const result = await new AxeBuilder({ page }).analyze();
  const lines = result.violations.map(
    (v) =>
      `${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes
        .slice(0, 3)
        .map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`)
        .join(' | ')}`,
  );
  test.info().annotations.push({
    type: 'axe',
    description: `${language} · ${state}: ${lines.length} violations${lines.length ? `: ${lines.join('; ')}` : ''}`,
  });
  expect.soft(lines, `axe violations, ${language}, ${state}`).toEqual([]);
  return lines;
}

for (const language of ['en', 'zh-CN'] as const) {
  test(`${language}: zero axe violations in every main state`, async () => {
    const profile = mkdtempSync(path.join(tmpdir(), `retain-a11y-${language}-`));
    const session = await launchApp({ userDataDir: profile, video: videos['green-circles'] });
    const page = session.page;
    try {
      await useLanguage(page, language);
      await expect(page.getByTestId('first-run-guide')).toBeVisible();
      await audit(page, language, 'first-run guide');
      await closeGuide(page);
      await audit(page, language, 'empty');

      // Two classes with pictures, then a learned round.
      await addClass(page, 'Red stripes');
      await addImages(page, 'Red stripes', stills['red-stripes']);
      await addClass(page, 'Green circles');
      await addImages(page, 'Green circles', stills['green-circles']);
      await audit(page, language, 'classes added');
      await learnRound(page);
      await ensureCamera(page);
      await samplePredictions(page, 2);
      await audit(page, language, 'learned, live predictions');

      await page.getByTestId('advanced').locator('summary').click();
      await expect(page.getByTestId('adv-epochs')).toBeVisible();
      await audit(page, language, 'advanced settings open');
      await page.getByTestId('advanced').locator('summary').click();

      const card = classCard(page, 'Red stripes');
      await card.getByTestId('class-samples-toggle').click();
      await audit(page, language, 'pictures of a class shown');
      await card.getByTestId('class-samples-toggle').click();

      await card.getByTestId('class-rename').click();
      await expect(page.getByTestId('prompt-dialog')).toBeVisible();
      await audit(page, language, 'rename dialog');
      await page.getByTestId('dialog-input').fill('Green circles');
      await page.getByTestId('dialog-confirm').click();
      await expect(page.getByTestId('dialog-error')).not.toBeEmpty();
      await audit(page, language, 'rename dialog with an error');
      await page.getByTestId('dialog-cancel').click();

      await card.getByTestId('class-delete').click();
      await expect(page.getByTestId('confirm-dialog')).toBeVisible();
      await audit(page, language, 'delete dialog');
      await page.getByTestId('dialog-cancel').click();

      await page.getByTestId('project-reset').click();
      await expect(page.getByTestId('confirm-dialog')).toBeVisible();
      await audit(page, language, 'reset dialog');
      await page.getByTestId('dialog-cancel').click();

      await page.getByTestId('help-button').click();
      await expect(page.getByTestId('first-run-guide')).toBeVisible();
      await audit(page, language, 'help (guide reopened)');
      await page.getByTestId('guide-close').click();

      await page.getByTestId('new-class-name').fill('red STRIPES');
      await page.getByTestId('add-class').click();
      await expect(page.getByTestId('new-class-error')).not.toBeEmpty();
      await audit(page, language, 'class name error');
      await page.getByTestId('new-class-name').fill('');

      await page.setViewportSize({ width: 390, height: 844 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await audit(page, language, 'phone 390x844');
      await page.getByTestId('advanced').locator('summary').click();
      await audit(page, language, 'phone, advanced settings open');
      expect(session.errors, 'no page errors').toEqual([]);
    } finally {
      await session.close();
    }
  });
}
