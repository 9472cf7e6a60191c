/**
 * Lab page for the fused WGSL kernels: exposes `window.kernelsLab` to the Playwright tests and the benchmark.
 * Everything runs in the page on the active tfjs backend; results come back as small JSON summaries.
 */
import * as tf from '@tensorflow/tfjs';
import {
  registerWebGpuKernels,
  fusedDispatchCounts,
  releaseEwcArenas,
  ewcArenaTensorCount,
  setEwcElementsPerThread,
  type KernelSetup,
} from '../src/kernels';
import { distillationKL, ewcPenalty, fisherAccumulate, setFusedOpsEnabled } from '../src/ops';
import { Learner, SeededRandom } from '../src/cl';
import type { TaskData } from '../src/cl/types';

/** Seeded uniform numbers in [0, 1) (the engine's generator), so fused and reference runs see the same inputs. */
function rng(seed: number): () => number {
  return new SeededRandom(seed).next;
}

/** n values, uniform in [lo, hi). */
function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** Variables of a two-layer MLP [d0 -> d1 -> d2] (kernel, bias, kernel, bias), uniform in [-scale, scale). */
function randomMlp(
  rand: () => number,
  dims: number[],
  scale: number,
): { shapes: number[][]; vars: tf.Variable[] } {
  const shapes = [[dims[0], dims[1]], [dims[1]], [dims[1], dims[2]], [dims[2]]];
  const vars = shapes.map((s) =>
    variableOf(
      uniform(
        rand,
        s.reduce((a, b) => a * b, 1),
        -scale,
        scale,
      ),
      s,
    ),
  );
  return { shapes, vars };
}

/** A variable holding `values` (the temporary tensor it is made from is freed, so nothing leaks). */
function variableOf(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape)));
}

/** Summary of an elementwise comparison: worst error and how many elements broke the tolerance. */
export interface Comparison {
  n: number;
  maxAbs: number;
  violations: number;
  firstBad: number;
  nanMismatch: number;
}

/** Compares `got` with `want` elementwise: |got-want| <= atol + rtol*|want|; NaN/Inf must match exactly. */
function compare(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number): Comparison {
  const r: Comparison = { n: want.length, maxAbs: 0, violations: 0, firstBad: -1, nanMismatch: 0 };
  if (got.length !== want.length) return { ...r, violations: Math.max(got.length, want.length), firstBad: 0 };
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    let bad: boolean;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      bad = !(Number.isNaN(w) && Number.isNaN(g));
      if (bad) r.nanMismatch++;
    } else if (!Number.isFinite(w) || !Number.isFinite(g)) {
      bad = g !== w;
    } else {
      const e = Math.abs(g - w);
      r.maxAbs = Math.max(r.maxAbs, e);
      bad = e > atol + rtol * Math.abs(w);
    }
    if (bad) {
      r.violations++;
      if (r.firstBad < 0) r.firstBad = i;
    }
  }
  return r;
}

/** Splits `total` elements into parameter-like shapes: several 2-D and 1-D tensors and one empty tensor. */
function paramShapes(total: number, parts: number): number[][] {
  if (total <= 1 || parts <= 1) return [[total]];
  const shapes: number[][] = [];
  let left = total;
  for (let k = 0; k < parts - 1 && left > 1; k++) {
    const size = Math.max(1, Math.floor(left / 2));
    // 2-D when it factors nicely (a weight matrix), 1-D otherwise (a bias).
    const cols = [64, 32, 8, 7, 3].find((c) => size % c === 0 && size > c);
    shapes.push(cols ? [size / cols, cols] : [size]);
    left -= size;
  }
  shapes.push([left]);
  shapes.splice(1, 0, [0, 4]);
  return shapes;
}

/** Options of one conformance case. */
export interface ConformanceCase {
  kernel: 'ewc' | 'fisher' | 'kl';
  /** ewc/fisher: total parameters; kl: rows. */
  size: number;
  /** kl: student columns (the grown head); default 10. */
  cols?: number;
  /** kl: columns distilled (old classes); default cols. */
  columns?: number;
  /** kl: teacher columns (>= columns); default columns. */
  teacherCols?: number;
  /** ewc/fisher: tensors to split the parameters into; default 7 (one of them empty). */
  parts?: number;
  /** ewc: parameters per thread of the fused kernel (default: the kernel's default, 16). */
  perThread?: number;
  seed?: number;
  lambda?: number;
  gamma?: number;
  scale?: number;
  temperature?: number;
  /** Adversarial inputs: zero Fisher, NaN/Inf entries, huge magnitudes, large logits. */
  variant?: 'random' | 'zeroFisher' | 'nanInf' | 'huge' | 'largeLogits';
}

/** Result of one conformance case: comparisons of values and gradients, and whether the fused path ran. */
export interface ConformanceResult {
  backend: string;
  fusedDispatches: number;
  value?: { fused: number; reference: number; ok: boolean };
  outputs: Comparison;
  grads?: Comparison;
}

async function readAll(ts: tf.Tensor[]): Promise<Float32Array> {
  const parts = await Promise.all(ts.map((t) => t.data() as Promise<Float32Array>));
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function scalarsAgree(a: number, b: number, rtol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-6 + rtol * Math.abs(b);
}

/** Runs `fn` once with the fused ops and once with the reference, returning both results. */
async function bothPaths<T>(fn: () => Promise<T>): Promise<{ fused: T; reference: T; dispatches: number }> {
  const before = Object.values(fusedDispatchCounts()).reduce((a, b) => a + b, 0);
  setFusedOpsEnabled(true);
  const fused = await fn();
  const dispatches = Object.values(fusedDispatchCounts()).reduce((a, b) => a + b, 0) - before;
  setFusedOpsEnabled(false);
  try {
    const reference = await fn();
    return { fused, reference, dispatches };
  } finally {
    setFusedOpsEnabled(true);
  }
}

function ewcInputs(c: ConformanceCase) {
  const rand = rng(c.seed ?? 1);
  const shapes = paramShapes(c.size, c.parts ?? 7);
  const make = (lo: number, hi: number) =>
    shapes.map((s) =>
      uniform(
        rand,
        s.reduce((a, b) => a * b, 1),
        lo,
        hi,
      ),
    );
  const mag = c.variant === 'huge' ? 1e19 : 1;
  const p = make(-mag, mag);
  const a = make(-mag, mag);
  const f = make(0, c.variant === 'zeroFisher' ? 0 : 2);
  if (c.variant === 'nanInf') {
    const flatP = p.filter((x) => x.length > 0);
    flatP[0][0] = NaN;
    flatP[flatP.length - 1][flatP[flatP.length - 1].length - 1] = Infinity;
    if (flatP[0].length > 2) f.filter((x) => x.length > 0)[0][1] = Infinity;
  }
  return { shapes, p, a, f };
}

async function ewcCase(c: ConformanceCase): Promise<ConformanceResult> {
  const { shapes, p, a, f } = ewcInputs(c);
  const lambda = c.lambda ?? 100;
  const params = shapes.map((s, i) => variableOf(p[i], s));
  const anchors = shapes.map((s, i) => tf.tensor(a[i], s));
  const fisher = shapes.map((s, i) => tf.tensor(f[i], s));
  setEwcElementsPerThread(c.perThread ?? 16);
  try {
    const run = async () => {
      // Forward value, then gradients through tf.variableGrads (the customGrad path the engine uses).
      const value = ewcPenalty(params, anchors, fisher, lambda);
      const { value: v2, grads } = tf.variableGrads(
        () => ewcPenalty(params, anchors, fisher, lambda),
        params,
      );
      const gradList = params.map((v) => grads[v.name]);
      const out = {
        value: (await value.data())[0],
        value2: (await v2.data())[0],
        grads: await readAll(gradList),
      };
      tf.dispose([value, v2, ...gradList]);
      return out;
    };
    const r = await bothPaths(run);
    return {
      backend: tf.getBackend(),
      fusedDispatches: r.dispatches,
      value: {
        fused: r.fused.value,
        reference: r.reference.value,
        ok:
          scalarsAgree(r.fused.value, r.reference.value, 2e-4) &&
          scalarsAgree(r.fused.value2, r.fused.value, 0),
      },
      outputs: compare([r.fused.value], [r.reference.value], 2e-4, 1e-6),
      grads: compare(r.fused.grads, r.reference.grads, 1e-5, 1e-7),
    };
  } finally {
    tf.dispose([...params, ...anchors, ...fisher]);
    releaseEwcArenas();
    setEwcElementsPerThread(16);
  }
}

async function fisherCase(c: ConformanceCase): Promise<ConformanceResult> {
  const rand = rng(c.seed ?? 2);
  const shapes = paramShapes(c.size, c.parts ?? 7);
  const f = shapes.map((s) =>
    uniform(
      rand,
      s.reduce((a, b) => a * b, 1),
      0,
      3,
    ),
  );
  const g = shapes.map((s) =>
    uniform(
      rand,
      s.reduce((a, b) => a * b, 1),
      -2,
      2,
    ),
  );
  if (c.variant === 'nanInf') {
    const live = g.filter((x) => x.length > 0);
    live[0][0] = NaN;
    live[live.length - 1][0] = -Infinity;
  }
  if (c.variant === 'huge') g.forEach((x) => x.forEach((_, i) => (x[i] *= 1e20)));
  const fisher = shapes.map((s, i) => tf.tensor(f[i], s));
  const grads = shapes.map((s, i) => tf.tensor(g[i], s));
  try {
    const run = async () => {
      const out = fisherAccumulate(fisher, grads, c.gamma ?? 0.9, c.scale ?? 1 / 32);
      const shapesOk = out.every((t, i) => t.shape.join('x') === shapes[i].join('x'));
      const data = await readAll(out);
      tf.dispose(out);
      return { data, shapesOk };
    };
    const r = await bothPaths(run);
    const outputs = compare(r.fused.data, r.reference.data, 1e-6, 0);
    if (!r.fused.shapesOk) outputs.violations++;
    return { backend: tf.getBackend(), fusedDispatches: r.dispatches, outputs };
  } finally {
    tf.dispose([...fisher, ...grads]);
  }
}

async function klCase(c: ConformanceCase): Promise<ConformanceResult> {
  const rand = rng(c.seed ?? 3);
  const rows = c.size;
  const cols = c.cols ?? 10;
  const columns = c.columns ?? cols;
  const teacherCols = c.teacherCols ?? columns;
  const T = c.temperature ?? 2;
  const mag = c.variant === 'largeLogits' ? 3e3 : 4;
  const s = uniform(rand, rows * cols, -mag, mag);
  const t = uniform(rand, rows * teacherCols, -mag, mag);
  if (c.variant === 'nanInf') {
    s[0] = NaN;
    if (rows > 1) t[teacherCols] = NaN;
  }
  const student = variableOf(s, [rows, cols]) as tf.Variable<tf.Rank.R2>;
  const teacher = tf.tensor2d(t, [rows, teacherCols]);
  try {
    const run = async () => {
      const value = distillationKL(student, teacher, T, columns);
      const { value: v2, grads } = tf.variableGrads(
        () => distillationKL(student, teacher, T, columns),
        [student],
      );
      const g = grads[student.name];
      const shapeOk = g.shape.join('x') === `${rows}x${cols}`;
      const out = {
        value: (await value.data())[0],
        value2: (await v2.data())[0],
        grads: await readAll([g]),
        shapeOk,
      };
      tf.dispose([value, v2, g]);
      return out;
    };
    const r = await bothPaths(run);
    const gradsCmp = compare(r.fused.grads, r.reference.grads, 1e-4, 1e-7);
    if (!r.fused.shapeOk) gradsCmp.violations++;
    return {
      backend: tf.getBackend(),
      fusedDispatches: r.dispatches,
      value: {
        fused: r.fused.value,
        reference: r.reference.value,
        ok:
          scalarsAgree(r.fused.value, r.reference.value, 1e-4) &&
          scalarsAgree(r.fused.value2, r.fused.value, 0),
      },
      outputs: compare([r.fused.value], [r.reference.value], 1e-4, 1e-6),
      grads: gradsCmp,
    };
  } finally {
    tf.dispose([student, teacher]);
  }
}

/** Runs one conformance case: the op with the fused kernel, then with the reference, on the same inputs. */
async function conformance(c: ConformanceCase): Promise<ConformanceResult> {
  if (c.kernel === 'ewc') return ewcCase(c);
  if (c.kernel === 'fisher') return fisherCase(c);
  return klCase(c);
}

/**
 * Independent check that does not rely on the fused/reference switch (used where there is no WebGPU):
 * the three ops against plain float64 JavaScript on small inputs. Returns the worst relative error.
 */
async function checkAgainstJs(): Promise<{ backend: string; worst: number; penalty: number; loss: number }> {
  const rand = rng(7);
  const n = 257;
  const p = uniform(rand, n, -1, 1);
  const a = uniform(rand, n, -1, 1);
  const f = uniform(rand, n, 0, 2);
  const lambda = 3;
  let wantPenalty = 0;
  const wantGrad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = p[i] - a[i];
    wantPenalty += 0.5 * lambda * f[i] * d * d;
    wantGrad[i] = lambda * f[i] * d;
  }
  const wantFisher = Array.from(f, (fi, i) => 0.5 * fi + 0.25 * p[i] * p[i]);
  const rows = 5;
  const cols = 6;
  const columns = 4;
  const T = 2;
  const s = uniform(rand, rows * cols, -3, 3);
  const t = uniform(rand, rows * columns, -3, 3);
  let wantLoss = 0;
  const wantKlGrad = new Float64Array(rows * cols);
  for (let b = 0; b < rows; b++) {
    const sr = Array.from({ length: columns }, (_, j) => s[b * cols + j] / T);
    const tr = Array.from({ length: columns }, (_, j) => t[b * columns + j] / T);
    const lse = (v: number[]) => {
      const m = Math.max(...v);
      return m + Math.log(v.reduce((acc, x) => acc + Math.exp(x - m), 0));
    };
    const ls = lse(sr);
    const lt = lse(tr);
    for (let j = 0; j < columns; j++) {
      const pt = Math.exp(tr[j] - lt);
      const ps = Math.exp(sr[j] - ls);
      wantLoss += (pt * (tr[j] - lt - (sr[j] - ls)) * T * T) / rows;
      wantKlGrad[b * cols + j] = (T * (ps - pt)) / rows;
    }
  }
  const pv = variableOf(p, [p.length]);
  const av = tf.tensor1d(a);
  const fv = tf.tensor1d(f);
  const sv = variableOf(s, [rows, cols]) as tf.Variable<tf.Rank.R2>;
  const tv = tf.tensor2d(t, [rows, columns]);
  const ewc = tf.variableGrads(() => ewcPenalty([pv], [av], [fv], lambda), [pv]);
  const kl = tf.variableGrads(() => distillationKL(sv, tv, T, columns), [sv]);
  const [fisherOut] = fisherAccumulate([fv], [pv], 0.5, 0.25);
  const rel = (got: ArrayLike<number>, want: ArrayLike<number>) => {
    let worst = 0;
    for (let i = 0; i < want.length; i++)
      worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1e-6 + Math.abs(want[i])));
    return worst;
  };
  const penalty = (await ewc.value.data())[0];
  const loss = (await kl.value.data())[0];
  const worst = Math.max(
    rel([penalty], [wantPenalty]),
    rel(await ewc.grads[pv.name].data(), wantGrad),
    rel(await fisherOut.data(), wantFisher),
    rel([loss], [wantLoss]),
    rel(await kl.grads[sv.name].data(), wantKlGrad),
  );
  tf.dispose([
    pv,
    av,
    fv,
    sv,
    tv,
    ewc.value,
    kl.value,
    fisherOut,
    ...Object.values(ewc.grads),
    ...Object.values(kl.grads),
  ]);
  releaseEwcArenas();
  return { backend: tf.getBackend(), worst, penalty, loss };
}

/** Memory snapshot for leak checks. */
export interface MemorySnapshot {
  step: number;
  numTensors: number;
  numBytesInGPU: number;
  numBytesAllocatedInGPU: number;
}

function snapshot(step: number): MemorySnapshot {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  return {
    step,
    numTensors: m.numTensors,
    numBytesInGPU: m.numBytesInGPU ?? 0,
    numBytesAllocatedInGPU: m.numBytesAllocatedInGPU ?? 0,
  };
}

/**
 * Leak check: `steps` training steps of a small two-layer model whose loss uses all three ops (EWC against
 * a Fisher that is re-accumulated every step, distillation to fixed teacher logits), with SGD updates.
 * Returns memory snapshots after warm-up and at the end.
 */
async function leakCheck(
  steps: number,
): Promise<{ snapshots: MemorySnapshot[]; fusedDispatches: number; arenas: number }> {
  const rand = rng(11);
  const dims = [32, 48, 10];
  const { shapes, vars: params } = randomMlp(rand, dims, 0.3);
  const anchors = params.map((p) => tf.clone(p));
  let fisher = shapes.map((s) => tf.ones(s));
  const x = tf.tensor2d(uniform(rand, 64 * dims[0], -1, 1), [64, dims[0]]);
  const teacher = tf.tensor2d(uniform(rand, 64 * 8, -2, 2), [64, 8]);
  const optimizer = tf.train.sgd(0.01);
  const before = Object.values(fusedDispatchCounts()).reduce((a, b) => a + b, 0);
  const snapshots: MemorySnapshot[] = [];
  for (let step = 1; step <= steps; step++) {
    const next = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const h = tf.relu(tf.add(tf.matMul(x, params[0]), params[1]));
        const logits = tf.add(tf.matMul(h, params[2]), params[3]) as tf.Tensor2D;
        return tf.add(
          ewcPenalty(params, anchors, fisher, 10),
          distillationKL(logits, teacher, 2, 8),
        ) as tf.Scalar;
      }, params);
      optimizer.applyGradients(grads);
      return fisherAccumulate(
        fisher,
        params.map((p) => grads[p.name]),
        0.99,
        0.01,
      );
    });
    tf.dispose(fisher);
    fisher = next;
    if (step === 10 || step === steps) {
      await fisher[0].data();
      snapshots.push(snapshot(step));
    }
  }
  const arenas = ewcArenaTensorCount();
  tf.dispose([...params, ...anchors, ...fisher, x, teacher]);
  optimizer.dispose();
  releaseEwcArenas();
  const fusedDispatches = Object.values(fusedDispatchCounts()).reduce((a, b) => a + b, 0) - before;
  return { snapshots, fusedDispatches, arenas };
}

/** Gaussian blobs: `classes` classes in `dim` dimensions, `perClass` samples each, split into tasks of `perTask`. */
function blobTasks(
  seed: number,
  sampleSeed: number,
  dim: number,
  classes: number,
  perTask: number,
  perClass: number,
  spread: number,
): TaskData[] {
  const gaussian = (rand: () => number) => () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  // Same centers for train and test (seed), different samples (sampleSeed).
  const centerNoise = gaussian(rng(seed));
  const centers = Array.from({ length: classes }, () =>
    Float32Array.from({ length: dim }, () => 3 * centerNoise()),
  );
  const gauss = gaussian(rng(sampleSeed));
  const tasks: TaskData[] = [];
  for (let t = 0; t * perTask < classes; t++) {
    const cls = Array.from({ length: perTask }, (_, k) => t * perTask + k).filter((c) => c < classes);
    const n = cls.length * perClass;
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = cls[i % cls.length];
      y[i] = c;
      for (let d = 0; d < dim; d++) x[i * dim + d] = centers[c][d] + spread * gauss();
    }
    tasks.push({ task: t, x, y, classes: cls });
  }
  return tasks;
}

/**
 * A short class-incremental run (3 tasks x 2 classes of Gaussian blobs) with EWC + LwF on the engine's
 * Learner, with the fused ops on or off. Returns the accuracy matrix R[i][j] (accuracy on task j after task i).
 */
async function trainingRun(
  fused: boolean,
  iterations = 12,
): Promise<{ R: number[][]; backend: string; fusedDispatches: number }> {
  const before = Object.values(fusedDispatchCounts()).reduce((a, b) => a + b, 0);
  setFusedOpsEnabled(fused);
  const train = blobTasks(5, 6, 16, 6, 2, 40, 1.0);
  const test = blobTasks(5, 7, 16, 6, 2, 25, 1.0);
  const learner = new Learner({
    model: { inputDim: 16, hidden: [32], scenario: 'class-il', outputs: 0, seed: 1 },
    strategies: {
      ewc: { lambda: 200, mode: 'online', gamma: 1, fisher: 'empirical', fisherSamples: 8 },
      lwf: { alpha: 1, temperature: 2 },
    },
    optimizer: 'adam',
    learningRate: 0.01,
    batchSize: 16,
    seed: 1,
  });
  const R: number[][] = [];
  try {
    for (const task of train) {
      await learner.learnTask(task, { iterations, progressEvery: iterations });
      const row: number[] = [];
      for (const t of test) row.push((await learner.evaluate(t)).accuracy);
      R.push(row);
    }
  } finally {
    learner.dispose();
    setFusedOpsEnabled(true);
    releaseEwcArenas();
  }
  const fusedDispatches = Object.values(fusedDispatchCounts()).reduce((a, b) => a + b, 0) - before;
  return { R, backend: tf.getBackend(), fusedDispatches };
}

/** One benchmark row (see bench/kernels/run.ts). */
export interface BenchRow {
  kernel: string;
  elements: number;
  fusedMs: number;
  compositeMs: number;
  ratio: number;
  effectiveGBps: number;
  backend: string;
  adapter: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median milliseconds per call of `step` (which returns the tensor to sync on): `warmup` calls, then `samples`
 * samples of `inner` back-to-back calls each; only the last call's (small) result is read back per sample.
 */
async function timeIt(
  step: () => tf.Tensor,
  samples: number,
  inner: number,
  warmup: number,
): Promise<number> {
  for (let i = 0; i < warmup; i++) {
    const t = step();
    await t.data();
    t.dispose();
  }
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    let last: tf.Tensor | null = null;
    for (let i = 0; i < inner; i++) {
      last?.dispose();
      last = step();
    }
    await last!.data();
    times.push((performance.now() - t0) / inner);
    last!.dispose();
  }
  return median(times);
}

/** Fused vs composite timing of one op on the same inputs, same page, interleaved. */
async function benchPair(
  kernel: string,
  elements: number,
  bytesPerElement: number,
  step: () => tf.Tensor,
  samples: number,
  inner: number,
  adapter: string,
): Promise<BenchRow> {
  setFusedOpsEnabled(true);
  const fusedMs = await timeIt(step, samples, inner, 3);
  setFusedOpsEnabled(false);
  const compositeMs = await timeIt(step, samples, inner, 3);
  setFusedOpsEnabled(true);
  return {
    kernel,
    elements,
    fusedMs,
    compositeMs,
    ratio: compositeMs / fusedMs,
    effectiveGBps: (elements * bytesPerElement) / (fusedMs * 1e6),
    backend: tf.getBackend(),
    adapter,
  };
}

/** Parameter shapes of an MLP-like model with about `total` parameters (two weight matrices, two biases). */
function mlpShapes(total: number): number[][] {
  const hidden = 256;
  const out = 10;
  const inDim = Math.max(1, Math.round((total - hidden - out - hidden * out) / hidden));
  return [[inDim, hidden], [hidden], [hidden, out], [out]];
}

/**
 * The whole training step the app runs: a 1280-256-N head (N = 20, 10 of them old classes), batch of 128 new +
 * 128 replayed samples, cross-entropy + LwF distillation to a frozen teacher on the old columns + EWC on every
 * parameter, Adam. Returns the op to time (one step; result = the loss).
 */
function makeTrainingStep(): { step: () => tf.Tensor; dispose: () => void; params: number } {
  const rand = rng(21);
  const dims = [1280, 256, 20];
  const { shapes, vars } = randomMlp(rand, dims, 0.05);
  const teacher = vars.map((v) => tf.clone(v));
  const anchors = vars.map((v) => tf.clone(v));
  const fisher = shapes.map((s) =>
    tf.tensor(
      uniform(
        rand,
        s.reduce((a, b) => a * b, 1),
        0,
        1,
      ),
      s,
    ),
  );
  const batch = 128;
  const x = tf.tensor2d(uniform(rand, batch * dims[0], -1, 1), [batch, dims[0]]);
  const xReplay = tf.tensor2d(uniform(rand, batch * dims[0], -1, 1), [batch, dims[0]]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: 2 * batch }, (_, i) => i % dims[2]),
      'int32',
    ),
    dims[2],
  );
  const optimizer = tf.train.adam(1e-4);
  const forward = (w: tf.Tensor[], input: tf.Tensor2D) =>
    tf.add(
      tf.matMul(tf.relu(tf.add(tf.matMul(input, w[0] as tf.Tensor2D), w[1])), w[2] as tf.Tensor2D),
      w[3],
    ) as tf.Tensor2D;
  const step = () =>
    tf.tidy(() => {
      const all = tf.concat([x, xReplay]) as tf.Tensor2D;
      const teacherLogits = forward(teacher, all);
      const { value, grads } = tf.variableGrads(() => {
        const logits = forward(vars, all);
        const ce = tf.losses.softmaxCrossEntropy(labels, logits);
        const lwf = distillationKL(logits, teacherLogits, 2, 10);
        const ewc = ewcPenalty(vars, anchors, fisher, 100);
        return tf.addN([ce, lwf, ewc]) as tf.Scalar;
      }, vars);
      optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
      return value;
    });
  const dispose = () => {
    tf.dispose([...vars, ...teacher, ...anchors, ...fisher, x, xReplay, labels]);
    optimizer.dispose();
    releaseEwcArenas();
  };
  return { step, dispose, params: shapes.reduce((a, s) => a + s.reduce((p, q) => p * q, 1), 0) };
}

/** Options of the in-page benchmark. */
export interface BenchOptions {
  ewcSizes: number[];
  fisherSizes: number[];
  klShapes: [number, number][];
  samples: number;
  trainingStep: boolean;
}

/** One tensor per shape, uniform in [lo, hi) from `rand`. */
function mlpTensors(rand: () => number, shapes: number[][], lo: number, hi: number): tf.Tensor[] {
  return shapes.map((s) => tf.tensor(uniform(rand, totalSize([s]), lo, hi), s));
}

/** Elements in all of `shapes` together. */
function totalSize(shapes: number[][]): number {
  return shapes.reduce((acc, s) => acc + s.reduce((x, y) => x * y, 1), 0);
}

/** Runs every benchmark row in this page and returns them (timings only read back per sample). */
async function benchmark(o: BenchOptions): Promise<BenchRow[]> {
  const { adapter } = await ready;
  const rows: BenchRow[] = [];
  const inner = (elements: number) => Math.max(2, Math.min(20, Math.round(2e6 / Math.max(elements, 1))));
  for (const n of o.ewcSizes) {
    const rand = rng(n);
    const shapes = mlpShapes(n);
    const [p, a, f] = [mlpTensors(rand, shapes, -1, 1), mlpTensors(rand, shapes, -1, 1), mlpTensors(rand, shapes, 0, 1)];
    const total = totalSize(shapes);
    // Forward value + gradients (both paths compute the gradient in the forward pass of the customGrad).
    rows.push(
      await benchPair(
        'ewcPenalty+grad',
        total,
        16,
        () => ewcPenalty(p, a, f, 10),
        o.samples,
        inner(total),
        adapter,
      ),
    );
    tf.dispose([...p, ...a, ...f]);
    releaseEwcArenas();
  }
  for (const n of o.fisherSizes) {
    const rand = rng(n + 1);
    const shapes = mlpShapes(n);
    const [f, g] = [mlpTensors(rand, shapes, 0, 1), mlpTensors(rand, shapes, -1, 1)];
    const total = totalSize(shapes);
    const step = () => {
      const out = fisherAccumulate(f, g, 0.9, 0.01);
      tf.dispose(out.slice(1));
      return out[0];
    };
    rows.push(await benchPair('fisherAccumulate', total, 12, step, o.samples, inner(total), adapter));
    tf.dispose([...f, ...g]);
  }
  for (const [b, c] of o.klShapes) {
    const rand = rng(b * c);
    const s = tf.tensor2d(uniform(rand, b * c, -5, 5), [b, c]);
    const t = tf.tensor2d(uniform(rand, b * c, -5, 5), [b, c]);
    // Value + gradient, as in training (variableGrads runs the customGrad forward, which computes both).
    const v = tf.variable(s);
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => distillationKL(v, t, 2), [v]);
        tf.dispose(grads);
        return value;
      });
    rows.push(
      await benchPair(`distillationKL ${b}x${c}`, b * c, 12, step, o.samples, inner(b * c * 20), adapter),
    );
    tf.dispose([s, t, v]);
  }
  if (o.trainingStep) {
    const { step, dispose, params } = makeTrainingStep();
    const row = await benchPair(
      'training step 1280-256-20 (CE+LwF+EWC, 128+128 replay, Adam)',
      params,
      0,
      step,
      o.samples,
      2,
      adapter,
    );
    rows.push({ ...row, effectiveGBps: 0 });
    dispose();
  }
  return rows;
}

declare global {
  interface Window {
    kernelsLab: {
      ready: Promise<KernelSetup>;
      conformance: typeof conformance;
      checkAgainstJs: typeof checkAgainstJs;
      leakCheck: typeof leakCheck;
      trainingRun: typeof trainingRun;
      benchmark: typeof benchmark;
      dispatchCounts: typeof fusedDispatchCounts;
      memory: () => MemorySnapshot;
      tf: typeof tf;
      ops: {
        ewcPenalty: typeof ewcPenalty;
        fisherAccumulate: typeof fisherAccumulate;
        distillationKL: typeof distillationKL;
        setFusedOpsEnabled: typeof setFusedOpsEnabled;
        setEwcElementsPerThread: typeof setEwcElementsPerThread;
      };
    };
  }
}

const ready = registerWebGpuKernels();
window.kernelsLab = {
  ready,
  conformance,
  checkAgainstJs,
  leakCheck,
  trainingRun,
  benchmark,
  dispatchCounts: fusedDispatchCounts,
  memory: () => snapshot(0),
  tf,
  ops: { ewcPenalty, fisherAccumulate, distillationKL, setFusedOpsEnabled, setEwcElementsPerThread },
};
ready.then(
  (s) => (document.getElementById('status')!.textContent = JSON.stringify(s)),
  (e) => (document.getElementById('status')!.textContent = `error: ${e}`),
);
