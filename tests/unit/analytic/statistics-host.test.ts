import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnalyticLearner, type AnalyticLearnerConfig } from '../../../src/cl/analytic';
import { SufficientStatistics } from '../../../src/cl/analytic/statistics';
import { SeededRandom } from '../../../src/cl/rng';
import { useWasmBackend } from '../support/setup-wasm';

/** n rows of width m, about half of the values exactly 0 (ReLU-like embeddings). */
function rows(n: number, m: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: n * m }, () => (rng.next() < 0.5 ? 0 : rng.next() * 4 - 1));
}

function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

describe('statistics and scores of a few rows on the host (the Exact preset: a round adds ~30 pictures)', () => {
  beforeAll(useWasmBackend);

  it('a host update equals the backend update, and removing the rows gives the statistics back', async () => {
    const m = 48;
    const x = rows(20, m, 3);
    const labels = Int32Array.from({ length: 20 }, (_, i) => [0, 2, 5][i % 3]);
    const backend = new SufficientStatistics(m);
    const phi = tf.tensor2d(x, [20, m]);
    await backend.update(phi, labels, 1);
    phi.dispose();
    const host = new SufficientStatistics(m);
    host.updateHost(x, 20, labels, 1);
    expect(maxRelativeDifference(host.gram, backend.gram)).toBeLessThan(1e-6);
    for (const c of [0, 2, 5]) {
      expect(host.count(c)).toBe(backend.count(c));
      expect(maxRelativeDifference(host.sum(c), backend.sum(c))).toBeLessThan(1e-6);
    }
    // Symmetric, as the solver reads it.
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) expect(host.gram[a * m + b]).toBe(host.gram[b * m + a]);
    host.updateHost(x.subarray(0, 7 * m), 7, labels.subarray(0, 7), -1);
    host.updateHost(x.subarray(7 * m), 13, labels.subarray(7), -1);
    expect(host.classes).toEqual([]);
    expect(Math.max(...host.gram.map(Math.abs))).toBeLessThan(1e-9);
    expect(() => host.updateHost(x.subarray(0, m), 1, Int32Array.of(0), -1)).toThrow(/cannot remove 1 samples of class 0/);
    expect(() => host.updateHost(x, 19, labels.subarray(0, 19), 1)).toThrow(/not 19 rows of 48/);
  });

  it('a learner on identity features learns, predicts and unlearns the same on the host (small rounds) as on the backend (large ones)', async () => {
    const m = 64;
    const config: AnalyticLearnerConfig = {
      featureMap: { kind: 'identity', inputDim: m, features: m, seed: 1 },
      classifier: 'ridge',
      scenario: 'class-il',
      lambdas: [1, 0.1, 0.01],
      validationFraction: 0.2,
      seed: 1,
    };
    const rng = new SeededRandom(9);
    const centres = [0, 1, 2, 3].map((c) => rows(1, m, 100 + c));
    const task = (classes: number[], per: number, index: number) => {
      const y = Int32Array.from({ length: classes.length * per }, (_, i) => classes[i % classes.length]);
      const x = new Float32Array(y.length * m);
      y.forEach((c, i) => {
        for (let j = 0; j < m; j++) x[i * m + j] = centres[c][j] + (rng.next() - 0.5) * 0.8;
      });
      return { task: index, x, y, classes };
    };
    // 30 rows x 64^2 = 123k multiply-adds: on the host. 1,200 rows x 64^2 = 4.9M: on the backend.
    const small = [task([0, 1], 15, 0), task([2], 30, 1), task([3], 30, 2)];
    const large = [task([0, 1], 600, 0), task([2], 1200, 1), task([3], 1200, 2)];
    const learn = async (tasks: typeof small) => {
      const learner = new AnalyticLearner(config);
      for (const t of tasks) await learner.learnTask(t);
      return learner;
    };
    for (const tasks of [small, large]) {
      const incremental = await learn(tasks);
      // One round with everything: 2 x 15 + 60 rows stays on the host, the large one goes to the backend.
      const oneShot = await learn([{ task: 0, x: Float32Array.from(tasks.flatMap((t) => [...t.x])), y: Int32Array.from(tasks.flatMap((t) => [...t.y])), classes: [0, 1, 2, 3] }]);
      // Backend batches sum float32 products: equal to float32 rounding.
      expect(maxRelativeDifference(incremental.statistics.gram, oneShot.statistics.gram)).toBeLessThan(1e-5);
      const probe = task([0, 1, 2, 3], 10, 9);
      const before = tf.memory().numTensors;
      const scores = await incremental.predictLogits(probe.x, probe.y.length);
      expect(tf.memory().numTensors).toBe(before);
      const correct = probe.y.filter((c, i) => scores.subarray(i * 4, i * 4 + 4).indexOf(Math.max(...scores.subarray(i * 4, i * 4 + 4))) === c).length;
      expect(correct / probe.y.length).toBeGreaterThan(0.9);
      // Unlearning the last round gives the learner that never had it (class 3 is gone from the scores).
      await incremental.unlearn(tasks[2].x, tasks[2].y);
      const without = await learn(tasks.slice(0, 2));
      expect(maxRelativeDifference(incremental.statistics.gram, without.statistics.gram)).toBeLessThan(1e-5);
      expect(incremental.numOutputs).toBe(3);
      const after = await incremental.predictLogits(probe.x, probe.y.length);
      expect(maxRelativeDifference(after, await without.predictLogits(probe.x, probe.y.length))).toBeLessThan(1e-4);
      for (const l of [incremental, oneShot, without]) l.dispose();
    }
  });
});
