/** In-page benchmark of the kernels lab: fused vs composite per op, timed and counted (programs, bytes). */
import * as tf from '@tensorflow/tfjs';
import { releaseEwcArenas } from '../../src/kernels';
import { distillationKL, ewcPenalty, fisherAccumulate, setFusedOpsEnabled } from '../../src/ops';
import { randomMlp, rng, uniform } from './common';

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
export async function benchmark(o: BenchOptions, adapter: string): Promise<BenchRow[]> {
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
