/**
 * The app's main path in Chinese, then in English: a browser whose language is zh-CN gets the Chinese UI (no English
 * left in the visible text of the main states, product and technical names aside), adds two classes, gives them
 * pictures (camera and files), learns, checks a picture; the switcher turns the page English and back, keeping the
 * project; screenshots of both languages on a 1360×900 desktop and a 390×844 phone go to docs/screenshots/.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { captureInto, classCard, ensureCamera, launchApp, sampleCount, type AppSession } from './support/app';
import { writeSceneStills, writeSceneVideos, type SceneName } from './support/y4m';

test.describe.configure({ mode: 'serial' });

const SCREENSHOTS = path.resolve('docs/screenshots');
/** Class names as a Chinese speaker would type them. */
const RED = '红色条纹';
const GREEN = '绿色圆圈';

/**
 * Latin words allowed in Chinese text: the product, technical names and units a Chinese UI keeps as they are
 * (plus the method acronyms the lecture uses). Anything else of three or more Latin letters is an English leftover.
 */
const ALLOWED_LATIN = new Set(
  [
    'Retain',
    'WebGPU',
    'WebGL',
    'WebAssembly',
    'WASM',
    'CPU',
    'GPU',
    'English',
    'LwF',
    'EWC',
    'herding',
    'JPEG',
    'PNG',
    'WebP',
    'https',
    'retain',
    'zip',
    'json',
    'Teachable',
    'Machine',
    'tfjs',
    'TensorFlow',
  ].map((w) => w.toLowerCase()),
);

/** Words of three or more Latin letters in the page's visible text that a Chinese UI should not show (`userText`: the person's own words, e.g. a file name, removed first). */
async function englishLeftovers(page: Page, userText: string[] = []): Promise<string[]> {
  let text = await page.evaluate(() => document.body.innerText);
  for (const own of userText) text = text.split(own).join(' ');
  const words = text.match(/[A-Za-z][A-Za-z’'-]{2,}/g) ?? [];
  return [...new Set(words.filter((w) => !ALLOWED_LATIN.has(w.toLowerCase())))];
}

let stills: Record<SceneName, string[]>;
let videos: Record<SceneName, string>;
let profile: string;
let session: AppSession | null = null;

test.beforeAll(() => {
  stills = writeSceneStills(['red-stripes', 'green-circles'], 4);
  videos = writeSceneVideos(['red-stripes'], { seconds: 3 });
  profile = mkdtempSync(path.join(tmpdir(), 'retain-e2e-i18n-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
});

test.afterAll(async () => {
  await session?.close();
});

async function relaunch(opts: Partial<Parameters<typeof launchApp>[0]> = {}): Promise<Page> {
  await session?.close();
  session = await launchApp({ userDataDir: profile, video: videos['red-stripes'], locale: 'zh-CN', ...opts });
  return session.page;
}

/** Switches language with the header's switcher (the page reloads into it) and waits for the app. */
async function switchTo(page: Page, language: 'en' | 'zh-CN'): Promise<void> {
  await page.getByTestId(`language-${language}`).click();
  await expect(page.locator('html')).toHaveAttribute('lang', language, { timeout: 60_000 });
  try {
    await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true', { timeout: 180_000 });
  } catch (error) {
    // Say what the page reported while it did not come up.
    throw new Error(
      `The app did not start after switching to ${language}: ${session?.errors.join(' | ') || 'no console errors'}`,
      {
        cause: error,
      },
    );
  }
}

/** Saves a screenshot into docs/screenshots/: the whole page, or (phones) the first screen as a person sees it. */
async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  // Let late layout (fonts, charts drawn on resize) settle.
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}

test('zh-CN: Chinese from the first screen, classes, pictures, learning and a checked picture', async () => {
  const page = await relaunch();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page).toHaveTitle(/增量学习/);
  await expect(page.getByTestId('language-zh-CN')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#classes-heading')).toHaveText('类别');
  await expect(page.getByTestId('learn-button')).toHaveText('学习');
  await expect(page.getByTestId('classes-empty')).toContainText('还没有类别');
  expect(await englishLeftovers(page), 'English on the empty screen').toEqual([]);

  // Two classes: one from the camera (hold to capture), one from image files.
  await page.getByTestId('new-class-name').fill(RED);
  await page.getByTestId('add-class').click();
  await expect(classCard(page, RED)).toBeVisible();
  await page.getByTestId('new-class-name').fill(GREEN);
  await page.getByTestId('add-class').click();
  await expect(classCard(page, GREEN)).toBeVisible();
  await ensureCamera(page);
  await expect(page.getByTestId('capture-button')).toContainText('按住拍摄');
  await captureInto(page, RED, 6);
  await expect(classCard(page, RED).getByTestId('class-count')).toContainText('张图片');
  await classCard(page, GREEN).getByTestId('class-files').setInputFiles(stills['green-circles'].slice(0, 3));
  await expect.poll(() => sampleCount(page, GREEN), { timeout: 120_000 }).toBe(3);
  await classCard(page, RED).getByTestId('class-files').setInputFiles(stills['red-stripes'].slice(0, 3));
  await expect.poll(() => sampleCount(page, RED), { timeout: 120_000 }).toBeGreaterThanOrEqual(9);
  await expect(page.getByTestId('learn-hint')).toContainText('准备就绪');
  expect(await englishLeftovers(page), 'English with classes and pictures').toEqual([]);

  // Learn (fast) and read the report in Chinese.
  await page.getByTestId('preset-fast').check();
  await page.getByTestId('learn-button').click();
  await expect(page.getByTestId('learn-report')).toHaveAttribute('data-round', '1', { timeout: 300_000 });
  await expect(page.getByTestId('learn-report')).toContainText('第 1 轮学习完成');
  await expect(page.getByTestId('learn-button')).toHaveText('学习');
  await expect(page.getByTestId('metrics-rounds')).toHaveText('1');

  // A picture from a file is recognised, and the prediction reads in Chinese.
  const top = page.getByTestId('prediction-top');
  await page.getByTestId('predict-file').setInputFiles(stills['green-circles'][3]);
  await expect(top).toHaveAttribute('data-top-name', GREEN, { timeout: 60_000 });
  await expect(top).toContainText(/看起来是|可能是/);
  // Camera predictions paused on a file's result, hidden details closed: what is on screen is Chinese.
  expect(
    await englishLeftovers(page, [path.basename(stills['green-circles'][3])]),
    'English after learning',
  ).toEqual([]);
  await screenshot(page, 'i18n-zh-CN-desktop');

  // The advanced settings (the longest labels and hints) open, in Chinese.
  await page.getByTestId('advanced').locator('summary').click();
  await expect(page.getByTestId('adv-epochs')).toBeVisible();
  expect(
    await englishLeftovers(page, [path.basename(stills['green-circles'][3])]),
    'English in settings',
  ).toEqual([]);
  await page.waitForTimeout(300);
  await page
    .getByTestId('learn-panel')
    .screenshot({ path: path.join(SCREENSHOTS, 'i18n-zh-CN-advanced-settings.png') });
  await page.getByTestId('advanced').locator('summary').click();
});

test('the switcher turns the page English and back, keeping the project; both phone layouts', async () => {
  let page = session!.page;
  await switchTo(page, 'en');
  await expect(page.getByTestId('learn-button')).toHaveText('Learn');
  await expect(page.locator('#classes-heading')).toHaveText('Classes');
  await expect(page).toHaveTitle('Retain');
  await expect(classCard(page, GREEN)).toBeVisible();
  await expect(page.getByTestId('metrics-rounds')).toHaveText('1');
  await expect(page.getByTestId('language-en')).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('predict-file').setInputFiles(stills['green-circles'][3]);
  await expect(page.getByTestId('prediction-top')).toContainText(/Looks like|not sure/i);
  await screenshot(page, 'i18n-en-desktop');

  // The choice is remembered over the browser's language (zh-CN): a relaunch stays English.
  page = await relaunch({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByTestId('learn-button')).toHaveText('Learn');
  await screenshot(page, 'i18n-en-phone-390x844', false);

  await switchTo(page, 'zh-CN');
  await expect(page.getByTestId('learn-button')).toHaveText('学习');
  await expect(classCard(page, RED)).toBeVisible();
  expect(await englishLeftovers(page), 'English on the phone').toEqual([]);
  await screenshot(page, 'i18n-zh-CN-phone-390x844', false);
  // Nothing wider than the phone's screen in Chinese.
  const widest = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(widest).toBeLessThanOrEqual(390);
});
