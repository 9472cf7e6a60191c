/**
 * The fused WGSL kernels (src/kernels) against the tfjs reference ops on the same inputs, in headless Chromium
 * with WebGPU through SwiftShader: conformance at awkward sizes and adversarial inputs (gradients through
 * tf.variableGrads), a class-incremental run on the Learner, leaks over 200 steps, and the no-adapter fallback.
 * Set RETAIN_KERNELS_LONG=1 to add the distillation kernel at more than 65,535 rows (~2 minutes on SwiftShader).
 */
import { chromium, expect, test, type Page } from '@playwright/test';
import type { ConformanceCase, ConformanceResult } from '../../lab/kernels/conformance';
import { BASE_ARGS, BASE_URL, CHROMIUM_PATH } from './chromium';

test.describe.configure({ mode: 'serial' });

const LAB = '/lab/kernels.html';
/** Elementwise sizes: 1, around one workgroup (64), 64*64-1, a million and one, and above 65,535 workgroups. */
const SIZES = [1, 63, 64, 65, 4095, 1_000_003];
const FOLDED = 65_535 * 64 + 65; // 4,194,305 elements: 65,537 workgroups of 64, folded into a 2-D dispatch

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await page.goto(LAB);
  const setup = await page.evaluate(() => window.kernelsLab.ready);
  expect(setup, 'WebGPU must be active in the test browser').toMatchObject({
    fused: true,
    backend: 'webgpu',
  });
});

test.afterAll(async () => {
  // The shared test-results folder can be cleaned by a concurrent run; closing is best-effort teardown.
  await page?.close().catch(() => undefined);
});

async function run(c: ConformanceCase): Promise<ConformanceResult> {
  return page.evaluate((c) => window.kernelsLab.conformance(c), c);
}

function expectConformant(c: ConformanceCase, r: ConformanceResult): void {
  const label = JSON.stringify(c);
  expect(r.backend, label).toBe('webgpu');
  expect(r.fusedDispatches, `${label}: the fused kernel must have run`).toBeGreaterThan(0);
  if (r.value)
    expect(r.value.ok, `${label}: value fused ${r.value.fused} vs reference ${r.value.reference}`).toBe(true);
  expect(r.outputs.violations, `${label}: outputs ${JSON.stringify(r.outputs)}`).toBe(0);
  if (r.grads) expect(r.grads.violations, `${label}: gradients ${JSON.stringify(r.grads)}`).toBe(0);
}

test('EWC penalty + gradient match the reference at every size, split over 7 tensors (one empty)', async () => {
  for (const size of SIZES) {
    for (const reduction of ['tree', 'threads'] as const) {
      const c: ConformanceCase = { kernel: 'ewc', size, seed: size, reduction };
      expectConformant(c, await run(c));
    }
  }
  // The tree layout's fixed grid walks more than 512 x 256 positions with its grid-stride loop.
  const strided: ConformanceCase = { kernel: 'ewc', size: FOLDED, parts: 3, reduction: 'tree' };
  expectConformant(strided, await run(strided));
  // Other work splits per thread (the barrier-free layout), including one that does not divide the sizes.
  for (const c of [
    { kernel: 'ewc', size: 65, perThread: 1, reduction: 'threads' },
    { kernel: 'ewc', size: 4095, perThread: 3, reduction: 'threads' },
    { kernel: 'ewc', size: 65, perThread: 64, reduction: 'threads' },
  ] as ConformanceCase[]) {
    expectConformant(c, await run(c));
  }
  // One thread per parameter: 65,537 workgroups, folded into a 2-D dispatch.
  const folded: ConformanceCase = { kernel: 'ewc', size: FOLDED, parts: 1, perThread: 1, reduction: 'threads' };
  expectConformant(folded, await run(folded));
});

test('EWC handles zero Fisher, lambda 0, NaN/Inf and overflow like the reference', async () => {
  for (const c of [
    { kernel: 'ewc', size: 4095, variant: 'zeroFisher' },
    { kernel: 'ewc', size: 4095, lambda: 0 },
    { kernel: 'ewc', size: 4095, variant: 'nanInf' },
    { kernel: 'ewc', size: 65, variant: 'huge' },
    { kernel: 'ewc', size: 300, parts: 12 },
  ] as ConformanceCase[]) {
    const r = await run(c);
    expectConformant(c, r);
    if (c.variant === 'zeroFisher' || c.lambda === 0) expect(r.value!.fused).toBe(0);
    if (c.variant === 'nanInf') expect(r.value!.fused).toBeNaN();
  }
});

test('Fisher accumulation matches the reference at every size and with NaN/Inf', async () => {
  for (const size of [...SIZES, FOLDED]) {
    const c: ConformanceCase = { kernel: 'fisher', size, seed: size, parts: size === FOLDED ? 1 : 7 };
    expectConformant(c, await run(c));
  }
  for (const c of [
    { kernel: 'fisher', size: 4095, variant: 'nanInf' },
    { kernel: 'fisher', size: 65, variant: 'huge', gamma: 0, scale: 3 },
  ] as ConformanceCase[]) {
    expectConformant(c, await run(c));
  }
});

test('the batched dense Fisher kernel matches its tfjs reference (3-layer MLP, more rows than one chunk)', async () => {
  const c: ConformanceCase = { kernel: 'fisherBatch', size: 300 };
  expectConformant(c, await run(c));
});

test('distillation KL loss + gradient match the reference (grown heads, T = 1 and 5, large logits, narrow and wide rows)', async () => {
  const cases: ConformanceCase[] = [
    { kernel: 'kl', size: 1, cols: 1 },
    { kernel: 'kl', size: 63, cols: 10, columns: 7 },
    { kernel: 'kl', size: 64, cols: 100, columns: 60, teacherCols: 80 },
    { kernel: 'kl', size: 65, cols: 130, temperature: 1 },
    { kernel: 'kl', size: 4095, cols: 12, columns: 10, temperature: 5 },
    { kernel: 'kl', size: 128, cols: 100, temperature: 1, variant: 'largeLogits' },
    { kernel: 'kl', size: 128, cols: 100, temperature: 5, variant: 'largeLogits' },
    { kernel: 'kl', size: 16, cols: 20, variant: 'nanInf' },
    // Rows wider than 512 columns take the workgroup-per-row layout (narrower ones: a thread per row).
    { kernel: 'kl', size: 9, cols: 1000, columns: 900, teacherCols: 950, temperature: 5 },
    { kernel: 'kl', size: 3, cols: 600, variant: 'largeLogits' },
    { kernel: 'kl', size: 4, cols: 513, variant: 'nanInf' },
    // The hardware setting: a workgroup per row above 64 columns (online softmax, each row read twice).
    { kernel: 'kl', size: 65, cols: 130, temperature: 1, rowThreadMax: 64 },
    { kernel: 'kl', size: 64, cols: 100, columns: 60, teacherCols: 80, rowThreadMax: 64 },
    { kernel: 'kl', size: 128, cols: 100, temperature: 5, variant: 'largeLogits', rowThreadMax: 64 },
    { kernel: 'kl', size: 16, cols: 70, variant: 'nanInf', rowThreadMax: 64 },
  ];
  if (process.env.RETAIN_KERNELS_LONG) cases.push({ kernel: 'kl', size: 65_537, cols: 3 });
  for (const c of cases) {
    const r = await run(c);
    expectConformant(c, r);
    if (c.variant === 'nanInf') expect(r.value!.fused).toBeNaN();
  }
});

test('a class-incremental run with EWC + LwF gives the same accuracy matrix on the WGSL and reference paths', async () => {
  const fused = await page.evaluate(() => window.kernelsLab.trainingRun(true));
  const reference = await page.evaluate(() => window.kernelsLab.trainingRun(false));
  expect(fused.fusedDispatches).toBeGreaterThan(0);
  expect(reference.fusedDispatches).toBe(0);
  expect(fused.R.length).toBe(3);
  // The learner learned each task when it saw it (so the comparison is not between two broken runs).
  fused.R.forEach((row, i) => expect(row[i]).toBeGreaterThan(0.9));
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      expect(Math.abs(fused.R[i][j] - reference.R[i][j]) * 100, `R[${i}][${j}]`).toBeLessThanOrEqual(0.5);
    }
  }
});

test('no tensor or GPU buffer leaks over 200 training steps with all three fused ops', async () => {
  const r = await page.evaluate(() => window.kernelsLab.leakCheck(200));
  expect(r.fusedDispatches).toBeGreaterThan(200 * 3);
  const [early, late] = r.snapshots;
  expect(late.step).toBe(200);
  expect(late.numTensors).toBe(early.numTensors);
  expect(late.numBytesInGPU).toBe(early.numBytesInGPU);
  expect(late.numBytesAllocatedInGPU).toBe(early.numBytesAllocatedInGPU);
  // After the run everything it made is gone again (the EWC arenas included).
  const after = await page.evaluate(() => window.kernelsLab.memory());
  expect(after.numTensors).toBeLessThan(early.numTensors);
});

test('without a WebGPU adapter the reference ops run, correct, with one console notice', async () => {
  // A separate browser without the WebGPU flags: navigator.gpu yields no adapter.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: BASE_ARGS });
  try {
    const plain = await browser.newPage();
    const notices: string[] = [];
    plain.on('console', (m) => {
      if (m.text().includes('Retain:')) notices.push(`${m.type()}: ${m.text()}`);
    });
    await plain.goto(BASE_URL + LAB);
    const setup = await plain.evaluate(() => window.kernelsLab.ready);
    expect(setup.fused).toBe(false);
    expect(setup.backend).not.toBe('webgpu');
    const check = await plain.evaluate(() => window.kernelsLab.checkAgainstJs());
    expect(check.worst, JSON.stringify(check)).toBeLessThan(1e-4);
    expect(await plain.evaluate(() => window.kernelsLab.dispatchCounts())).toEqual({
      RetainEwcPenalty: 0,
      RetainFisherAccumulate: 0,
      RetainDistillationKL: 0,
      RetainFisherDense: 0,
    });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^info: Retain: no WebGPU/);
  } finally {
    await browser.close();
  }
});

test('the fused path also agrees with float64 JavaScript directly', async () => {
  const check = await page.evaluate(() => window.kernelsLab.checkAgainstJs());
  expect(check.backend).toBe('webgpu');
  expect(check.worst, JSON.stringify(check)).toBeLessThan(1e-4);
});
