/** In-page benchmark of the kernels lab: fused vs composite per op, timed and counted (programs, bytes). */
import * as tf from '@tensorflow/tfjs';
import { ContinualModel } from '../../src/cl/model';
import { batchedDiagonalFisher, perSampleDiagonalFisher } from '../../src/cl/strategies/fisher';
import { ewcReduction, releaseEwcArenas, setEwcReduction, type EwcReduction } from '../../src/kernels';
import { distillationKL, ewcPenalty, fisherAccumulate } from '../../src/ops';
import { randomMlp, rng, uniform } from './common';
import { copyBandwidthGBps, measurePair, timeIt, type PairFigures } from './measure';

/** One benchmark row (see bench/kernels/run.ts and bench/kernels/node.ts). */
export interface BenchRow {
  kernel: string;
  /** Parameters (EWC, Fisher), logits (KL), or parameters of the model (Fisher batch, training step). */
  elements: number;
  fusedMs: number;
  compositeMs: number;
  /**
   * composite / fused: the median of the per-pair ratios where the two paths were timed in alternation (see
   * ratioSpread), else compositeMs / fusedMs (the Fisher batch row: per-sample loop / batched).
   */
  ratio: number;
  /** compositeMs / fusedMs (ratio of the two medians). */
  ratioOfMedians: number;
  /** Quartiles, extremes and number of the per-pair ratios (null where the paths were not timed in alternation). */
  ratioSpread: { q1: number; q3: number; min: number; max: number; pairs: number } | null;
  /** The interleaved samples, ms per call (pair i: fusedSamplesMs[i], compositeSamplesMs[i]); empty where none. */
  fusedSamplesMs: number[];
  compositeSamplesMs: number[];
  /** Essential bytes of the op (EWC 16, Fisher 12, KL 12 per element) / fusedMs; 0 where not meaningful. */
  effectiveGBps: number;
  /** effectiveGBps / the copy bandwidth measured in the same run (null off WebGPU). */
  copyFraction: number | null;
  /** Programs one call launches, from the dispatch-accounting wrapper (null off WebGPU). */
  dispatches: { fused: number; composite: number } | null;
  /** Bytes one call reads + writes per element, from the same wrapper (null off WebGPU). */
  bytesPerParam: { fused: number; composite: number } | null;
  /** Launches per shader of one fused call (null off WebGPU). */
  fusedShaders: Record<string, number> | null;
  backend: string;
  adapter: string;
}

/** Builds a row from measured figures. */
function row(
  kernel: string,
  elements: number,
  essentialBytes: number,
  f: PairFigures,
  copyGBps: number | null,
  adapter: string,
): BenchRow {
  const effectiveGBps = (elements * essentialBytes) / (f.fusedMs * 1e6);
  const ratioOfMedians = f.compositeMs / f.fusedMs;
  const spread = f.pairRatio;
  return {
    kernel,
    elements,
    fusedMs: f.fusedMs,
    compositeMs: f.compositeMs,
    ratio: spread?.median ?? ratioOfMedians,
    ratioOfMedians,
    ratioSpread: spread ? { q1: spread.q1, q3: spread.q3, min: spread.min, max: spread.max, pairs: spread.pairs } : null,
    fusedSamplesMs: f.fusedSamplesMs,
    compositeSamplesMs: f.compositeSamplesMs,
    effectiveGBps,
    copyFraction: copyGBps && essentialBytes ? effectiveGBps / copyGBps : null,
    dispatches: f.fused && f.composite ? { fused: f.fused.dispatches, composite: f.composite.dispatches } : null,
    bytesPerParam:
      f.fused && f.composite ? { fused: f.fused.bytes / elements, composite: f.composite.bytes / elements } : null,
    fusedShaders: f.fused?.shaders ?? null,
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

/** Options of the benchmark. */
export interface BenchOptions {
  ewcSizes: number[];
  /** EWC reduction layouts to measure (default: the one chosen for this adapter). */
  ewcReductions?: EwcReduction[];
  fisherSizes: number[];
  klShapes: [number, number][];
  /**
   * Batched Fisher vs the per-sample loop: MLP dims and samples (the EWC default: 200). `timedPasses` (quick runs;
   * default: all) times only that many of the loop's batch-1 passes, scaled to `samples`, and the batched call once.
   */
  fisherBatch?: { dims: number[]; samples: number; timedPasses?: number };
  /** Pairs of interleaved samples (fused, composite) per fused-vs-composite row. */
  samples: number;
  trainingStep: boolean;
  /** The copy bandwidth already measured in this run (GB/s; null off WebGPU); measured here when absent. */
  copyGBps?: number | null;
}

/** One tensor per shape, uniform in [lo, hi) from `rand`. */
function mlpTensors(rand: () => number, shapes: number[][], lo: number, hi: number): tf.Tensor[] {
  return shapes.map((s) => tf.tensor(uniform(rand, totalSize([s]), lo, hi), s));
}

/** Elements in all of `shapes` together. */
function totalSize(shapes: number[][]): number {
  return shapes.reduce((acc, s) => acc + s.reduce((x, y) => x * y, 1), 0);
}

/** Back-to-back calls per timing sample: enough to amortise the readback on small ops. */
function innerCalls(elements: number): number {
  return Math.max(2, Math.min(20, Math.round(2e6 / Math.max(elements, 1))));
}

/** EWC penalty + gradient (a training step's forward and backward through tf.variableGrads), fused vs composite. */
async function ewcRows(o: BenchOptions, copyGBps: number | null, adapter: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const chosen = ewcReduction();
  for (const layout of o.ewcReductions ?? [chosen]) {
    setEwcReduction(layout);
    for (const n of o.ewcSizes) {
      const rand = rng(n);
      const shapes = mlpShapes(n);
      const p = mlpTensors(rand, shapes, -1, 1).map((t) => tf.variable(t));
      const [a, f] = [mlpTensors(rand, shapes, -1, 1), mlpTensors(rand, shapes, 0, 1)];
      const total = totalSize(shapes);
      const step = () =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => ewcPenalty(p, a, f, 10), p);
          tf.dispose(Object.values(grads));
          return value;
        });
      const figures = await measurePair(step, o.samples, innerCalls(total));
      rows.push(row(`ewcPenalty+grad (${layout})`, total, 16, figures, copyGBps, adapter));
      tf.dispose([...p, ...a, ...f]);
      releaseEwcArenas();
    }
  }
  setEwcReduction(chosen);
  return rows;
}

/**
 * Batched Fisher (one forward and backward, (X o X)^T (D o D) per layer) vs one batch-1 backward per sample. With
 * `timedPasses` < `samples` the loop runs on the first `timedPasses` rows after one warm-up pass and its time is
 * scaled by samples / timedPasses: every pass is the same work (one row's forward, backward and accumulate).
 */
async function fisherBatchRow(dims: number[], samples: number, timedPasses: number, adapter: string): Promise<BenchRow> {
  const rand = rng(31);
  const model = new ContinualModel(
    { inputDim: dims[0], hidden: dims.slice(1, -1), outputs: dims[dims.length - 1], seed: 3, scenario: 'class-il' },
    true,
  );
  const x = tf.tensor2d(uniform(rand, samples * dims[0], 0, 1), [samples, dims[0]]);
  const classes = dims[dims.length - 1];
  const target = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: samples }, (_, i) => i % classes), 'int32'), classes) as tf.Tensor2D);
  const run = (fn: typeof batchedDiagonalFisher, rows: number) => () => {
    const out = tf.tidy(() => fn(model, tf.slice(x, 0, rows), tf.slice(target, 0, rows), { previous: null, gamma: 1 }));
    tf.dispose(out.slice(1));
    return out[0];
  };
  const passes = Math.min(samples, timedPasses);
  // One warm-up call at the full row count: tfjs picks its matmul programs by shape, so a smaller one would not do.
  const batchedMs = await timeIt(run(batchedDiagonalFisher, samples), passes < samples ? 1 : 3, 1, 1);
  let loopMs: number;
  if (passes >= samples) {
    // One loop, no warm-up: its few shader compilations are a small part of 200 passes (and it is slow to repeat).
    loopMs = await timeIt(run(perSampleDiagonalFisher, samples), 1, 1, 0);
  } else {
    await timeIt(run(perSampleDiagonalFisher, 1), 1, 1, 0); // one pass compiles every batch-1 program
    loopMs = ((await timeIt(run(perSampleDiagonalFisher, passes), 1, 1, 0)) * samples) / passes;
  }
  const params = model.allVariables().reduce((a, v) => a + v.size, 0);
  tf.dispose([x, target, ...model.allVariables()]);
  // Not interleaved: the loop is minutes long and the batched call ~40x shorter, so load swings cannot flip it.
  const figures: PairFigures = {
    fusedMs: batchedMs,
    compositeMs: loopMs,
    pairRatio: null,
    fusedSamplesMs: [],
    compositeSamplesMs: [],
    fused: null,
    composite: null,
  };
  const scaled = passes < samples ? `; loop: ${passes} passes timed, scaled x${samples / passes}` : '';
  return row(`fisher batched vs ${samples} batch-1 passes (${dims.join('-')}${scaled})`, params, 0, figures, null, adapter);
}

/** Runs every benchmark row on the active backend and returns them (timings only read back per sample). */
export async function benchmark(
  o: BenchOptions,
  adapter: string,
  progress: (row: BenchRow) => void = () => {},
): Promise<BenchRow[]> {
  const copyGBps = o.copyGBps !== undefined ? o.copyGBps : await copyBandwidthGBps();
  const rows: BenchRow[] = [];
  const add = (r: BenchRow) => {
    rows.push(r);
    progress(r);
  };
  (await ewcRows(o, copyGBps, adapter)).forEach(add);
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
    add(row('fisherAccumulate', total, 12, await measurePair(step, o.samples, innerCalls(total)), copyGBps, adapter));
    tf.dispose([...f, ...g]);
  }
  for (const [b, c] of o.klShapes) {
    const rand = rng(b * c);
    const v = tf.variable(tf.tensor2d(uniform(rand, b * c, -5, 5), [b, c]));
    const t = tf.tensor2d(uniform(rand, b * c, -5, 5), [b, c]);
    // Value + gradient, as in training (variableGrads runs the customGrad forward and its backward).
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => distillationKL(v, t, 2), [v]);
        tf.dispose(grads);
        return value;
      });
    const figures = await measurePair(step, o.samples, innerCalls(b * c * 20));
    add(row(`distillationKL ${b}x${c}`, b * c, 12, figures, copyGBps, adapter));
    tf.dispose([v, t]);
  }
  if (o.fisherBatch) {
    const { dims, samples, timedPasses } = o.fisherBatch;
    add(await fisherBatchRow(dims, samples, timedPasses ?? samples, adapter));
  }
  if (o.trainingStep) {
    const { step, dispose, params } = makeTrainingStep();
    const figures = await measurePair(step, o.samples, 2);
    add(row('training step 1280-256-20 (CE+LwF+EWC, 128+128 replay, Adam)', params, 0, figures, null, adapter));
    dispose();
  }
  return rows;
}
