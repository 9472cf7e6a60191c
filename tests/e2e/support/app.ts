/**
 * Helpers for the app's end-to-end tests: launching Chromium with a fake camera on a persistent profile, and the
 * person-level actions (add a class, capture, learn, read predictions) done through the UI's data-testid hooks.
 */
import {
  chromium,
  expect,
  type BrowserContext,
  type Download,
  type Page,
  type TestInfo,
} from '@playwright/test';
import { BASE_ARGS, BASE_URL, CHROMIUM_PATH, WEBGPU_ARGS, fakeCameraArgs } from '../chromium';

/** A launched browser on the app. */
export interface AppSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (a healthy run has none). */
  errors: string[];
  close(): Promise<void>;
}

/** Options of one launch. */
export interface LaunchOptions {
  /** Profile folder: relaunching with the same one keeps IndexedDB, the service worker and permissions. */
  userDataDir: string;
  /** Y4M file the fake camera plays (fixed for the browser's lifetime). */
  video?: string;
  /** Query string of the app URL, e.g. '?backend=webgpu'. */
  query?: string;
  viewport?: { width: number; height: number };
  /** Touch emulation for phone layouts. */
  isMobile?: boolean;
  hasTouch?: boolean;
  /** Origin of the served app (the Playwright config's baseURL by default). */
  baseURL?: string;
  /** With `video`: the camera exists but the person refuses access. */
  cameraDenied?: boolean;
  /** Browser language (navigator.languages, Accept-Language); English unless a test asks for another. */
  locale?: string;
}

/** Launches Chromium (WebGPU through SwiftShader, fake camera) on the app and waits until its screens are mounted. */
export async function launchApp(opts: LaunchOptions): Promise<AppSession> {
  const context = await chromium.launchPersistentContext(opts.userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...BASE_ARGS,
      ...WEBGPU_ARGS,
      ...(opts.video ? fakeCameraArgs(opts.video).filter((a) => !(opts.cameraDenied && a === '--use-fake-ui-for-media-stream')) : []),
    ],
    baseURL: opts.baseURL ?? BASE_URL,
    viewport: opts.viewport ?? { width: 1360, height: 900 },
    locale: opts.locale ?? 'en-US',
    isMobile: opts.isMobile,
    hasTouch: opts.hasTouch,
    // Denied: a camera exists but the permission prompt is answered "block" (headless denies what is not granted).
    permissions: opts.video && !opts.cameraDenied ? ['camera'] : [],
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`/${opts.query ?? ''}`);
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true', { timeout: 120_000 });
  return { context, page, errors, close: () => context.close() };
}

/** Adds a class through the form and waits for its card. */
export async function addClass(page: Page, name: string): Promise<void> {
  await page.getByTestId('new-class-name').fill(name);
  await page.getByTestId('add-class').click();
  await expect(classCard(page, name)).toBeVisible();
}

/** The card of the class called `name`. */
export function classCard(page: Page, name: string) {
  return page.locator(`[data-testid="class-card"][data-class-name="${name}"]`);
}

/** Number of pictures the card of `name` shows. */
export async function sampleCount(page: Page, name: string): Promise<number> {
  return Number(await classCard(page, name).getByTestId('class-count').getAttribute('data-count'));
}

/** Adds image files to the class called `name` through its "Add images…" input; waits for the card's count. */
export async function addImages(page: Page, name: string, files: string[]): Promise<number> {
  const expected = (await sampleCount(page, name)) + files.length;
  await classCard(page, name).getByTestId('class-files').setInputFiles(files);
  await expect.poll(() => sampleCount(page, name), { timeout: 120_000 }).toBe(expected);
  return expected;
}

/** Starts the camera if it is not live yet and waits for frames. */
export async function ensureCamera(page: Page): Promise<void> {
  const stage = page.locator('.stage');
  if ((await stage.getAttribute('data-state')) !== 'live') {
    const start = page.getByTestId('camera-start');
    // The app starts the camera by itself when permission was granted before; click only if still off.
    await page.waitForTimeout(300);
    if ((await stage.getAttribute('data-state')) !== 'live' && (await start.isVisible())) await start.click();
  }
  await expect(stage).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  await page.waitForFunction(() => {
    const v = document.querySelector<HTMLVideoElement>('[data-testid="camera-video"]');
    return !!v && v.readyState >= 2 && v.videoWidth > 0;
  });
}

/**
 * Holds the capture button (pointer, or the Space key with `via: 'keyboard'`) until the class has at least
 * `atLeast` pictures, then releases it and waits for the capture to finish.
 */
export async function captureInto(
  page: Page,
  name: string,
  atLeast: number,
  via: 'pointer' | 'keyboard' = 'pointer',
): Promise<number> {
  const id = await classCard(page, name).getAttribute('data-class-id');
  await page.getByTestId('capture-class').selectOption(id!);
  const button = page.getByTestId('capture-button');
  if (via === 'keyboard') {
    await button.focus();
    await page.keyboard.down('Space');
  } else {
    // The first-run guide and notices make the page taller than the window: bring the button on screen first.
    await button.scrollIntoViewIfNeeded();
    const box = (await button.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
  }
  await expect(button).toHaveAttribute('aria-pressed', 'true');
  await expect
    .poll(() => sampleCount(page, name), { timeout: 180_000, intervals: [250] })
    .toBeGreaterThanOrEqual(atLeast);
  if (via === 'keyboard') await page.keyboard.up('Space');
  else await page.mouse.up();
  await expect(button).toHaveAttribute('aria-pressed', 'false');
  // Capture is over once the in-flight frames landed and the store says so (the learn button re-enables).
  // (Frames still being embedded finish first: seconds each on emulated WebGPU.)
  await expect(page.getByTestId('capture-overlay')).toBeHidden({ timeout: 180_000 });
  return sampleCount(page, name);
}

/** Picks a preset, presses Learn and waits for the round's report; returns the report's round number. */
export async function learn(
  page: Page,
  preset: 'fast' | 'balanced' | 'max-retention',
  timeout = 300_000,
): Promise<number> {
  await page.getByTestId(`preset-${preset}`).check();
  const report = page.getByTestId('learn-report');
  const before = await report.getAttribute('data-round');
  await page.getByTestId('learn-button').click();
  // Done when the report shows a new round, or failed when an error banner appears (its text is the failure).
  const error = page.locator('.banner-error');
  await expect
    .poll(
      async () =>
        (await error.count())
          ? `error: ${await error.first().textContent()}`
          : await report.getAttribute('data-round'),
      { timeout, intervals: [500] },
    )
    .not.toBe(before);
  if (await error.count()) throw new Error(`Learning failed: ${await error.first().textContent()}`);
  await expect(page.getByTestId('learn-button')).toHaveText('Learn');
  await expect(report).toContainText('learned in');
  return Number(await report.getAttribute('data-round'));
}

/** Clicks `testid` and returns the download it starts; fails at once with the error banner's text if one appears. */
export async function clickForDownload(page: Page, testid: string, timeout = 120_000): Promise<Download> {
  const errors = page.locator('.banner-error');
  const before = await errors.count();
  // Both waits settle (the loser with null at its timeout), so nothing rejects unobserved.
  const download = page.waitForEvent('download', { timeout }).catch(() => null);
  await page.getByTestId(testid).click();
  const banner = errors
    .nth(before)
    .waitFor({ state: 'visible', timeout })
    .then(() => 'error' as const)
    .catch(() => null);
  const first = await Promise.race([download, banner]);
  if (first === 'error') throw new Error(`${testid} failed: ${await errors.nth(before).textContent()}`);
  if (first === null) throw new Error(`${testid} started no download within ${timeout} ms`);
  return first;
}

/** Reads `n` consecutive live predictions from the UI; returns the top class name of each. */
export async function samplePredictions(page: Page, n: number): Promise<string[]> {
  const top = page.getByTestId('prediction-top');
  const names: string[] = [];
  let seq = Number((await top.getAttribute('data-seq')) ?? 0);
  while (names.length < n) {
    await expect
      .poll(async () => Number(await top.getAttribute('data-seq')), { timeout: 60_000, intervals: [50] })
      .toBeGreaterThan(seq);
    seq = Number(await top.getAttribute('data-seq'));
    names.push((await top.getAttribute('data-top-name')) ?? '');
  }
  return names;
}

/** Fraction of `names` equal to `expected`. */
export function share(names: string[], expected: string): number {
  return names.filter((x) => x === expected).length / Math.max(1, names.length);
}

/** Saves a full-page screenshot as a test attachment (and under test-results/) and returns its path. */
export async function snap(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  return file;
}
