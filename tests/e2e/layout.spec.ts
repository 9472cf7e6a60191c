/**
 * Layout as a person sees it: on a 390x844 phone, once classes exist, Learn and the live prediction are on the
 * first screen (not under the fixed Learn bar); at 390 and 1360 px no element reaches past the viewport unless a
 * scroll region holds it, and no panel's content is wider than the panel; class-name errors sit under the field.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import {
  addClass,
  addImages,
  classCard,
  ensureCamera,
  launchApp,
  learn,
  samplePredictions,
  type AppSession,
} from './support/app';
import { writeSceneStills, writeSceneVideos } from './support/y4m';

test.describe.configure({ mode: 'serial' });

/** The longest name the class rule allows (60 characters), without spaces: the hardest to wrap. */
const LONGEST_NAME = 'Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWX';

let session: AppSession | null = null;

test.beforeAll(async () => {
  const videos = writeSceneVideos(['green-circles'], { seconds: 2 });
  const stills = writeSceneStills(['red-stripes', 'green-circles', 'blue-checkerboard'], 5);
  session = await launchApp({
    userDataDir: mkdtempSync(path.join(tmpdir(), 'retain-layout-')),
    video: videos['green-circles'],
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
  });
  const page = session.page;
  await page.getByTestId('guide-close').click();
  // Two rounds, so the accuracy table has two columns, one of them named by the longest allowed name.
  await addClass(page, 'Red stripes');
  await addImages(page, 'Red stripes', stills['red-stripes']);
  await addClass(page, LONGEST_NAME);
  await addImages(page, LONGEST_NAME, stills['green-circles']);
  await learn(page, 'fast');
  await addClass(page, 'Blue checks');
  await addImages(page, 'Blue checks', stills['blue-checkerboard']);
  await learn(page, 'fast');
  await ensureCamera(page);
  await samplePredictions(page, 2);
});

test.afterAll(async () => {
  await session?.close();
});

function page(): Page {
  if (!session) throw new Error('no app session');
  return session.page;
}

/**
 * Everything that reaches past the viewport's sides (unless clipped inside a scroll region that itself fits), every
 * panel whose content is wider than it, and the document's own sideways overflow.
 */
async function overflow(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out: string[] = [];
    const doc = document.documentElement.scrollWidth - vw;
    if (doc > 0) out.push(`document scrolls sideways by ${doc} px`);
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')}` +
      `[${(el as HTMLElement).dataset.testid ?? ''}] "${(el.textContent ?? '').trim().slice(0, 30)}"`;
    const scrolls = (el: Element) => /auto|scroll|hidden|clip/.test(getComputedStyle(el).overflowX);
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || el.closest('.visually-hidden')) continue;
      if (r.right <= vw + 0.5 && r.left >= -0.5) continue;
      // Inside a scroll region (or a clipping box) that fits: the overflow is reachable by scrolling, not cut off.
      let clipped = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (scrolls(a)) {
          const ar = a.getBoundingClientRect();
          clipped = ar.right <= vw + 0.5 && ar.left >= -0.5;
          break;
        }
      }
      if (!clipped) out.push(`${describe(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} of ${vw}`);
    }
    for (const el of document.querySelectorAll('.panel, .banner, .toast')) {
      if (el.scrollWidth > el.clientWidth + 1)
        out.push(`${describe(el)} content ${el.scrollWidth} px in ${el.clientWidth} px`);
    }
    return out;
  });
}

test('phone 390x844: Learn and the live prediction are on the first screen once classes exist', async () => {
  const p = page();
  await p.evaluate(() => window.scrollTo(0, 0));
  const boxes = await p.evaluate(() => {
    const box = (testid: string) => {
      const r = document.querySelector(`[data-testid="${testid}"]`)!.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    };
    return {
      learn: box('learn-button'),
      bar: box('learn-bar'),
      prediction: box('prediction-top'),
      camera: box('camera-video'),
      height: window.innerHeight,
    };
  });
  test.info().annotations.push({ type: 'phone boxes', description: JSON.stringify(boxes) });
  expect(boxes.learn.top).toBeGreaterThanOrEqual(0);
  expect(boxes.learn.bottom).toBeLessThanOrEqual(boxes.height);
  // The prediction is under the camera and above the fixed bar, so nothing covers it.
  expect(boxes.prediction.top).toBeGreaterThanOrEqual(boxes.camera.bottom);
  expect(boxes.prediction.bottom).toBeLessThanOrEqual(boxes.bar.top);
  await expect(p.getByTestId('prediction-top')).toContainText(/\S/);
  // The bar stays put while scrolling: Learn is reachable from anywhere on the page.
  await p.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expect(p.getByTestId('learn-button')).toBeInViewport();
  await p.evaluate(() => window.scrollTo(0, 0));
});

for (const width of [390, 1360]) {
  test(`${width} px: no element wider than the viewport, no panel wider than its content box`, async () => {
    const p = page();
    await p.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await p.waitForTimeout(300);
    expect(await overflow(p), 'as shown').toEqual([]);
    // The longest name, advanced settings and the open picture grid are the widest states.
    await p.getByTestId('advanced').locator('summary').click();
    await classCard(p, LONGEST_NAME).getByTestId('class-samples-toggle').click();
    await p.waitForTimeout(300);
    expect(await overflow(p), 'advanced settings and pictures open').toEqual([]);
    await p.getByTestId('advanced').locator('summary').click();
    await classCard(p, LONGEST_NAME).getByTestId('class-samples-toggle').click();
  });
}

test('the accuracy table scrolls sideways from the keyboard when it is wider than its panel', async () => {
  const p = page();
  await p.setViewportSize({ width: 390, height: 844 });
  const region = p.getByTestId('accuracy-matrix');
  await expect(region).toHaveAttribute('tabindex', '0');
  await expect(region).toHaveAttribute('role', 'region');
  await region.focus();
  await expect(region).toBeFocused();
  const wide = await region.evaluate((el) => el.scrollWidth > el.clientWidth);
  if (wide) {
    // Each try focuses the region and presses the key again: a metrics refresh that lands in between replaces the
    // table and puts the scroll back to 0 (about 1 run in 5 failed on a single press, before and after 2026-12-02).
    await expect
      .poll(async () => {
        await region.focus();
        await p.keyboard.press('ArrowRight');
        return region.evaluate((el) => el.scrollLeft);
      })
      .toBeGreaterThan(0);
  }
});

test('class-name errors appear under the field: duplicate, spaces only, too long (explained, nothing cut)', async () => {
  const p = page();
  await p.setViewportSize({ width: 1360, height: 900 });
  const input = p.getByTestId('new-class-name');
  const error = p.getByTestId('new-class-error');
  const banners = p.locator('.banner-error');
  const classes = await p.getByTestId('class-card').count();

  await input.fill('RED STRIPES');
  await p.getByTestId('add-class').click();
  await expect(error).toContainText('Red stripes');
  await expect(input).toHaveAttribute('aria-invalid', 'true');

  await input.fill('     ');
  await p.getByTestId('add-class').click();
  await expect(error).toContainText(/spaces/i);

  const long = 'x'.repeat(500);
  await input.fill(long);
  // Explained while typing, before any submit; the field keeps every character.
  await expect(error).toContainText('500');
  await expect(error).toContainText('60');
  expect((await input.inputValue()).length).toBe(500);
  await p.getByTestId('add-class').click();
  await expect(error).toContainText('500');

  // The error sits right under the field, and no banner appeared.
  const [fieldBox, errorBox] = [(await input.boundingBox())!, (await error.boundingBox())!];
  expect(errorBox.y - (fieldBox.y + fieldBox.height)).toBeLessThan(24);
  await expect(banners).toHaveCount(0);
  await expect(p.getByTestId('class-card')).toHaveCount(classes);

  await input.fill('Yellow dots');
  await expect(error).toBeEmpty();
  await input.fill('');
});
