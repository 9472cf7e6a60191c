/** Conformance cases of the kernels lab: each fused op against its tfjs reference on the same inputs, and float64 JS. */
import * as tf from '@tensorflow/tfjs';
import { ewcReduction, fusedDispatchCounts, releaseEwcArenas, setEwcElementsPerThread, setEwcReduction, setKlRowThreadMaxColumns, type EwcReduction } from '../../src/kernels';
import { distillationKL, ewcPenalty, fisherAccumulate, setFusedOpsEnabled } from '../../src/ops';
import { ContinualModel } from '../../src/cl/model';
import { KL_ROWS_MAX_COLUMNS } from '../../src/gpu/distillation_kl_rows_webgpu';
import { batchedDiagonalFisher } from '../../src/cl/strategies/fisher';
import { compare, paramShapes, readAll, rng, scalarsAgree, uniform, variableOf, type Comparison } from './common';

/** Options of one conformance case. */
export interface ConformanceCase {
  kernel: 'ewc' | 'fisher' | 'kl' | 'fisherBatch';
  /** ewc/fisher: total parameters; kl, fisherBatch: rows. */
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
  /** kl: widest row one thread handles alone (default 512; 64 is the hardware setting: wider rows get a workgroup). */
  rowThreadMax?: number;
  /** ewc: the reduction layout (default: the one chosen for this adapter). */
  reduction?: EwcReduction;
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
  const chosen = ewcReduction();
  setEwcReduction(c.reduction ?? chosen);
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
    setEwcReduction(chosen);
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
  setKlRowThreadMaxColumns(c.rowThreadMax ?? KL_ROWS_MAX_COLUMNS);
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
    setKlRowThreadMaxColumns(KL_ROWS_MAX_COLUMNS);
  }
}

/** The batched dense Fisher of a 3-layer MLP (fused RetainFisherDense vs the tfjs matMul reference), `size` rows. */
async function fisherBatchCase(c: ConformanceCase): Promise<ConformanceResult> {
  const rand = rng(c.seed ?? 4);
  const dims = [24, 40, 20, c.cols ?? 10];
  const model = new ContinualModel({ inputDim: dims[0], hidden: dims.slice(1, 3), outputs: dims[3], seed: 5, scenario: 'class-il' });
  const x = tf.tensor2d(uniform(rand, c.size * dims[0], -2, 2), [c.size, dims[0]]);
  const target = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: c.size }, (_, i) => i % dims[3]), 'int32'), dims[3]) as tf.Tensor2D);
  const previous = model.allVariables().map((v) => tf.tensor(uniform(rand, v.size, 0, 1), v.shape));
  try {
    const run = async () => {
      const out = batchedDiagonalFisher(model, x, target, { previous, gamma: c.gamma ?? 0.9 });
      const data = await readAll(out);
      tf.dispose(out);
      return data;
    };
    const r = await bothPaths(run);
    return { backend: tf.getBackend(), fusedDispatches: r.dispatches, outputs: compare(r.fused, r.reference, 1e-5, 1e-7) };
  } finally {
    tf.dispose([x, target, ...previous, ...model.allVariables()]);
  }
}

/** Runs one conformance case: the op with the fused kernel, then with the reference, on the same inputs. */
export async function conformance(c: ConformanceCase): Promise<ConformanceResult> {
  if (c.kernel === 'ewc') return ewcCase(c);
  if (c.kernel === 'fisherBatch') return fisherBatchCase(c);
  if (c.kernel === 'fisher') return fisherCase(c);
  return klCase(c);
}

/**
 * Independent check that does not rely on the fused/reference switch (used where there is no WebGPU):
 * the three ops against plain float64 JavaScript on small inputs. Returns the worst relative error.
 */
export async function checkAgainstJs(): Promise<{ backend: string; worst: number; penalty: number; loss: number }> {
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
