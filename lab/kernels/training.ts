/** Training checks of the kernels lab: a leak check over many steps and a short class-incremental run. */
import * as tf from '@tensorflow/tfjs';
import { fusedDispatchCounts, releaseEwcArenas, ewcArenaTensorCount } from '../../src/kernels';
import { distillationKL, ewcPenalty, fisherAccumulate, setFusedOpsEnabled } from '../../src/ops';
import { Learner } from '../../src/cl';
import type { TaskData } from '../../src/cl/types';
import { randomMlp, rng, uniform } from './common';

/** Memory snapshot for leak checks. */
export interface MemorySnapshot {
  step: number;
  numTensors: number;
  numBytesInGPU: number;
  numBytesAllocatedInGPU: number;
}

export function snapshot(step: number): MemorySnapshot {
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
export async function leakCheck(
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
export async function trainingRun(
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
