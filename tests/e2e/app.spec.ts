/**
 * The app end to end, as a person uses it: fake-camera videos (one scene per class), hold-to-capture, learning,
 * live predictions read from the UI, restarts on the same browser profile, a third class learned with Balanced,
 * export / reset / import, the phone layout, and the WGSL path with ?backend=webgpu.
 * The fake camera's file is fixed per browser launch, so "switching video" = relaunching on the same profile.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import {
  addClass,
  captureInto,
  clickForDownload,
  classCard,
  ensureCamera,
  launchApp,
  learn,
  sampleCount,
  samplePredictions,
  share,
  snap,
  type AppSession,
  type LaunchOptions,
} from './support/app';
import { writeSceneStills, writeSceneVideos, type SceneName } from './support/y4m';

test.describe.configure({ mode: 'serial' });

/** Pictures captured per class (every 5th is held out for metrics). */
const FRAMES = 30;
/** Live predictions read per check. */
const PREDICTIONS = 20;

const CLASS: Record<'A' | 'B' | 'C', { name: string; scene: SceneName }> = {
  A: { name: 'Red stripes', scene: 'red-stripes' },
  B: { name: 'Green circles', scene: 'green-circles' },
  C: { name: 'Blue checks', scene: 'blue-checkerboard' },
};

let videos: Record<SceneName, string>;
let stills: Record<SceneName, string[]>;
let profile: string;
/** Sample counts after step 3, checked after the restart. */
const counts: Record<string, number> = {};
let session: AppSession | null = null;

test.beforeAll(() => {
  videos = writeSceneVideos(undefined, { seconds: 4 });
  stills = writeSceneStills(undefined, 3);
  profile = mkdtempSync(path.join(tmpdir(), 'retain-e2e-profile-'));
});

test.afterEach(async () => {
  const testInfo = test.info();
  // A passing step hands its browser to the next one (saves a launch); a failed one must not keep the profile.
  if (testInfo.status !== testInfo.expectedStatus) await close(false);
});

test.afterAll(async () => {
  await close(false);
});

/** Prints how long the current test has run, to see where the minutes go on a slow machine. */
let testStart = Date.now();
test.beforeEach(() => {
  testStart = Date.now();
});
function mark(what: string): void {
  console.log(`  [${((Date.now() - testStart) / 1000).toFixed(1)} s] ${what}`);
}

/** Launches on the shared profile with the video of `cls` (closing the browser still open, if any). */
async function open(cls: keyof typeof CLASS, extra: Partial<LaunchOptions> = {}): Promise<Page> {
  await close();
  session = await launchApp({ userDataDir: profile, video: videos[CLASS[cls].scene], ...extra });
  mark(`launched with video ${cls}`);
  return session.page;
}

/** The page of the browser still open from the previous step. */
function current(): Page {
  if (!session) throw new Error('No browser open: the previous step failed');
  return session.page;
}

/** Closes the open browser; by default first checks the page logged no errors. */
async function close(checkErrors = true): Promise<void> {
  const s = session;
  session = null;
  if (!s) return;
  try {
    if (checkErrors) expect(s.errors, 'no page errors').toEqual([]);
  } finally {
    await s.close().catch(() => undefined);
  }
}

/** Reads live predictions on the current video and returns the share predicted as `cls`. */
async function liveShare(page: Page, cls: keyof typeof CLASS): Promise<number> {
  await ensureCamera(page);
  const names = await samplePredictions(page, PREDICTIONS);
  const s = share(names, CLASS[cls].name);
  mark(`${names.length} predictions on video ${cls}: ${(s * 100).toFixed(0)}% ${CLASS[cls].name}`);
  test.info().annotations.push({
    type: 'share',
    description: `${cls} (${CLASS[cls].name}): ${(s * 100).toFixed(0)}% of ${names.length}`,
  });
  return s;
}

/** Probabilities shown for a picked picture: class name -> p. */
async function checkPicture(page: Page, file: string): Promise<Record<string, number>> {
  const top = page.getByTestId('prediction-top');
  const seq = Number(await top.getAttribute('data-seq'));
  await page.getByTestId('predict-file').setInputFiles(file);
  await expect(top).toHaveAttribute('data-source', path.basename(file));
  await expect.poll(async () => Number(await top.getAttribute('data-seq'))).toBeGreaterThan(seq);
  const rows = page.getByTestId('prediction-row');
  const out: Record<string, number> = {};
  for (const row of await rows.all())
    out[(await row.locator('.bar-label').textContent())!] = Number(await row.getAttribute('data-p'));
  const resume = page.getByTestId('predict-resume');
  if (await resume.isVisible()) await resume.click();
  return out;
}

test('3: capture A and B from two videos (two launches), learn; video B is recognised', async () => {
  const testInfo = test.info();
  let page = await open('A');
  await snap(page, testInfo, '3-0-first-visit');
  await expect(page.getByTestId('classes-empty')).toBeVisible();
  await expect(page.getByTestId('learn-button')).toBeDisabled();
  await ensureCamera(page);
  await addClass(page, CLASS.A.name);
  await addClass(page, CLASS.B.name);
  counts.A = await captureInto(page, CLASS.A.name, FRAMES, 'keyboard');
  mark(`captured ${counts.A} of A`);
  await expect(classCard(page, CLASS.A.name).getByTestId('class-thumb').first()).toBeVisible();
  await snap(page, testInfo, '3-1-captured-A');

  page = await open('B');
  await expect(classCard(page, CLASS.A.name)).toBeVisible();
  await ensureCamera(page);
  counts.B = await captureInto(page, CLASS.B.name, FRAMES, 'pointer');
  mark(`captured ${counts.B} of B`);
  await expect(page.getByTestId('learn-button')).toBeEnabled();
  expect(await learn(page, 'balanced')).toBe(1);
  mark('learned round 1');
  await expect(classCard(page, CLASS.A.name).getByTestId('class-learned')).toHaveText('learned');
  await expect(page.getByTestId('metrics-rounds')).toHaveText('1');
  expect(await liveShare(page, 'B')).toBeGreaterThanOrEqual(0.9);
  await snap(page, testInfo, '3-2-learned-predicting-B');
});

test('4: restart with video A: classes, samples, model and metrics are back; video A is recognised', async () => {
  const testInfo = test.info();
  const page = await open('A');
  for (const k of ['A', 'B'] as const) {
    await expect(classCard(page, CLASS[k].name)).toBeVisible();
    expect(await sampleCount(page, CLASS[k].name)).toBe(counts[k]);
    await expect(classCard(page, CLASS[k].name).getByTestId('class-thumb').first()).toBeVisible();
  }
  await expect(page.getByTestId('metrics-rounds')).toHaveText('1');
  await expect(page.getByTestId('accuracy-matrix').locator('td[data-value]')).toHaveCount(1);
  await expect(page.getByTestId('per-class-row')).toHaveCount(2);
  // The restored model recognises the class whose video was not playing when it learned.
  expect(await liveShare(page, 'A')).toBeGreaterThanOrEqual(0.9);
  // A sample can be deleted from the opened sample grid.
  const card = classCard(page, CLASS.A.name);
  await card.getByTestId('class-samples-toggle').click();
  await expect(card.getByTestId('sample')).toHaveCount(counts.A);
  await snap(page, testInfo, '4-restarted-samples-open');
  await card.getByTestId('sample-delete').first().click();
  await expect.poll(() => sampleCount(page, CLASS.A.name)).toBe(counts.A - 1);
  counts.A -= 1;
  await card.getByTestId('class-samples-toggle').click();
});

test('5: class C learned with Balanced; A and B are still recognised', async () => {
  const testInfo = test.info();
  let page = await open('C');
  await ensureCamera(page);
  await addClass(page, CLASS.C.name);
  counts.C = await captureInto(page, CLASS.C.name, FRAMES);
  mark(`captured ${counts.C} of C`);
  await expect(page.getByTestId('learn-hint')).toContainText(CLASS.C.name);
  await page.getByTestId('advanced').locator('summary').click();
  await snap(page, testInfo, '5-0-before-round-2');
  await page.getByTestId('advanced').locator('summary').click();
  expect(await learn(page, 'balanced')).toBe(2);
  mark('learned round 2');
  await expect(page.getByTestId('metrics-rounds')).toHaveText('2');
  // Row 2 of the accuracy matrix: after round 2, on rounds 1 and 2.
  await expect(
    page.getByTestId('accuracy-matrix').locator('tbody tr').nth(1).locator('td[data-value]'),
  ).toHaveCount(2);
  expect(await liveShare(page, 'C')).toBeGreaterThanOrEqual(0.9);
  await snap(page, testInfo, '5-1-learned-C');

  for (const k of ['A', 'B'] as const) {
    page = await open(k);
    expect(await liveShare(page, k)).toBeGreaterThanOrEqual(0.85);
  }
});

test('6: export, reset, import gives the same predictions', async () => {
  const testInfo = test.info();
  const page = current(); // video B
  const before: Record<string, Record<string, number>> = {};
  for (const scene of Object.keys(stills) as SceneName[])
    before[scene] = await checkPicture(page, stills[scene][0]);
  expect(Object.keys(before['blue-checkerboard'])).toHaveLength(3);

  const download = await clickForDownload(page, 'project-export');
  expect(download.suggestedFilename()).toMatch(/\.retain$/);
  const exported = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(exported);
  expect(readFileSync(exported).byteLength).toBeGreaterThan(1000);

  // The model export downloads one zip (model.json, weights.bin, metadata.json: tests/e2e/export.spec.ts loads it).
  const modelZip = await clickForDownload(page, 'model-export');
  expect(modelZip.suggestedFilename()).toMatch(/^retain-model-.*\.zip$/);

  // A refused import leaves the project as it was and says why.
  await page.getByTestId('project-import').setInputFiles({
    name: 'not-a-project.retain',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('hello'),
  });
  await page.getByTestId('dialog-confirm').click();
  await expect(page.getByTestId('error-import-refused')).toBeVisible();
  await expect(page.getByTestId('class-card')).toHaveCount(3);
  await snap(page, testInfo, '6-0-import-refused');

  await page.getByTestId('project-reset').click();
  await expect(page.getByTestId('confirm-dialog')).toBeVisible();
  await snap(page, testInfo, '6-1-reset-confirm');
  await page.getByTestId('dialog-confirm').click();
  await expect(page.getByTestId('class-card')).toHaveCount(0);
  await expect(page.getByTestId('classes-empty')).toBeVisible();
  await expect(page.getByTestId('metrics-empty')).toBeVisible();
  await expect(page.getByTestId('prediction-top')).toHaveText('Nothing learned yet');
  await snap(page, testInfo, '6-2-after-reset');

  await page.getByTestId('project-import').setInputFiles(exported);
  await expect(page.getByTestId('class-card')).toHaveCount(3);
  for (const k of ['A', 'B', 'C'] as const) expect(await sampleCount(page, CLASS[k].name)).toBe(counts[k]);
  await expect(page.getByTestId('metrics-rounds')).toHaveText('2');
  for (const scene of Object.keys(stills) as SceneName[]) {
    const after = await checkPicture(page, stills[scene][0]);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before[scene]).sort());
    for (const [name, p] of Object.entries(before[scene])) expect(after[name]).toBeCloseTo(p, 5);
  }
  expect(await liveShare(page, 'B')).toBeGreaterThanOrEqual(0.85);
  await snap(page, testInfo, '6-3-imported');
});

test('phone layout (390x844) with a learned project', async () => {
  const testInfo = test.info();
  const page = current();
  await page.setViewportSize({ width: 390, height: 844 });
  await samplePredictions(page, 2);
  // Nothing may overflow sideways on a phone.
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await page.evaluate(() => window.scrollTo(0, 0));
  const top = testInfo.outputPath('phone-top.png');
  await page.screenshot({ path: top });
  await testInfo.attach('phone-top', { path: top, contentType: 'image/png' });
  await snap(page, testInfo, 'phone-full');
  await close();
});

test('no camera: a clear message, then teaching from files works; learning can be cancelled', async () => {
  const testInfo = test.info();
  await close();
  session = await launchApp({ userDataDir: mkdtempSync(path.join(tmpdir(), 'retain-e2e-nocam-')) });
  const page = session.page;
  mark('launched without a camera');
  await page.getByTestId('camera-start').click();
  const message = page.getByTestId('camera-message');
  await expect(message).toContainText('images from files');
  await expect(page.getByTestId('capture-button')).toHaveAttribute('aria-disabled', 'true');
  await addClass(page, CLASS.B.name);
  await addClass(page, CLASS.C.name);
  await classCard(page, CLASS.B.name)
    .getByTestId('class-files')
    .setInputFiles(stills['green-circles'].slice(0, 2));
  await expect.poll(() => sampleCount(page, CLASS.B.name), { timeout: 120_000 }).toBe(2);
  await classCard(page, CLASS.C.name)
    .getByTestId('class-files')
    .setInputFiles(stills['blue-checkerboard'].slice(0, 2));
  await expect.poll(() => sampleCount(page, CLASS.C.name), { timeout: 120_000 }).toBe(2);
  await snap(page, testInfo, 'nocam-0-files-added');

  // A long round, cancelled from the UI: the model stays as it was (nothing learned). Balanced: Exact, the default,
  // has no training steps to make long.
  await page.getByTestId('preset-balanced').check();
  await page.getByTestId('advanced').locator('summary').click();
  await page.getByTestId('adv-epochs').fill('1000');
  await page.getByTestId('adv-epochs').press('Tab');
  await page.getByTestId('adv-batchSize').fill('1');
  await page.getByTestId('adv-batchSize').press('Tab');
  await expect(page.getByTestId('advanced-count')).toHaveText('2 changed');
  await page.getByTestId('learn-button').click();
  await expect(page.getByTestId('learn-progress-text')).toContainText('Step', { timeout: 60_000 });
  await page.getByTestId('learn-cancel').click();
  await expect(page.getByTestId('learn-report')).toHaveText(/cancelled/, { timeout: 60_000 });
  await expect(page.getByTestId('metrics-empty')).toBeVisible();
  await page.getByTestId('advanced-reset').click();
  mark('cancelled a round');

  expect(await learn(page, 'fast')).toBe(1);
  const green = await checkPicture(page, stills['green-circles'][2]);
  expect(green[CLASS.B.name]).toBeGreaterThan(green[CLASS.C.name]);
  await snap(page, testInfo, 'nocam-1-learned-from-files');
  await close();
});

/** Launches of the fused WGSL programs in the app's learner worker, from its dispatch counter (src/kernels/accounting.ts). */
async function launchedPrograms(page: Page): Promise<{ ewc: number; kl: number; fisher: number }> {
  const counts: Record<string, number> = {};
  for (const worker of page.workers()) {
    const c = await worker
      .evaluate(() => (globalThis as { retainProgramLaunchCounts?: () => Record<string, number> }).retainProgramLaunchCounts?.())
      .catch(() => undefined);
    Object.assign(counts, c ?? {});
  }
  const sum = (prefix: string) =>
    Object.entries(counts).reduce((acc, [key, n]) => acc + (key.startsWith(prefix) ? n : 0), 0);
  return { ewc: sum('retainEwcPenalty'), kl: sum('retainDistillationKL'), fisher: sum('retainFisherDense') };
}

test('WebGPU forced: the WGSL path captures, learns two rounds and predicts in the real app', async () => {
  // MobileNetV2 on SwiftShader's emulated WebGPU takes seconds per frame (tens under load): few frames, own budget.
  test.setTimeout(15 * 60_000);
  const testInfo = test.info();
  const gpuProfile = mkdtempSync(path.join(tmpdir(), 'retain-e2e-webgpu-'));
  await close();
  session = await launchApp({
    userDataDir: gpuProfile,
    video: videos['red-stripes'],
    query: '?backend=webgpu',
  });
  const page = session.page;
  mark('launched with ?backend=webgpu');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('backend-notice')).toHaveCount(0);
  await ensureCamera(page);
  await addClass(page, CLASS.A.name);
  await addClass(page, CLASS.B.name);
  await captureInto(page, CLASS.A.name, 2);
  mark('captured A');
  // The other classes come from files, as a person without the scene at hand would do.
  await classCard(page, CLASS.B.name).getByTestId('class-files').setInputFiles(stills['green-circles'][0]);
  await expect.poll(() => sampleCount(page, CLASS.B.name), { timeout: 120_000 }).toBe(1);
  await page.getByTestId('preset-max-retention').check();
  await page.getByTestId('advanced').locator('summary').click();
  await page.getByTestId('adv-epochs').fill('5');
  await page.getByTestId('adv-epochs').press('Tab');
  await page.getByTestId('adv-laterEpochs').fill('5');
  await page.getByTestId('adv-laterEpochs').press('Tab');
  await expect(page.getByTestId('advanced-count')).toHaveText('2 changed');
  // Both rounds with Max retention: round 1 ends with the batched Fisher kernel, round 2 trains with replay, LwF
  // and EWC, whose losses run as the fused WGSL kernels (checked below from the worker's dispatch counter).
  expect(await learn(page, 'max-retention')).toBe(1);
  mark('learned round 1');
  await addClass(page, CLASS.C.name);
  await classCard(page, CLASS.C.name)
    .getByTestId('class-files')
    .setInputFiles(stills['blue-checkerboard'][0]);
  await expect.poll(() => sampleCount(page, CLASS.C.name), { timeout: 120_000 }).toBe(1);
  expect(await learn(page, 'max-retention')).toBe(2);
  mark('learned round 2');
  const launches = await launchedPrograms(page);
  mark(`fused programs launched: ${JSON.stringify(launches)}`);
  expect(launches.ewc, 'EWC kernel').toBeGreaterThan(0);
  expect(launches.kl, 'distillation KL kernel').toBeGreaterThan(0);
  expect(launches.fisher, 'batched Fisher kernel').toBeGreaterThan(0);
  const names = await samplePredictions(page, 2);
  mark(`predictions on video A: ${names.join(', ')}`);
  expect(share(names, CLASS.A.name)).toBe(1);
  await snap(page, testInfo, 'webgpu-two-rounds');
  await page.getByTestId('advanced-reset').click();
  await close();
});
