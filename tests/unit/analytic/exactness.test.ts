import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnalyticLearner, type AnalyticLearnerConfig } from '../../../src/cl/analytic';
import { solveClassifier, solveRidgeWithHeldOut } from '../../../src/cl/analytic/classifier';
import { SufficientStatistics } from '../../../src/cl/analytic/statistics';
import { SeededRandom } from '../../../src/cl/rng';
import { solveSpd } from '../../../src/ops/spd_solve';
import type { TaskData } from '../../../src/cl/types';
import { loadMnistDigits } from '../../../bench/cl/mnist-node';
import { useWasmBackend } from '../support/setup-wasm';

/** Split-MNIST-like contexts from the mnist package: digits (2k, 2k+1), `perDigit` images each, plus a test set. */
function contexts(perDigit: number, count: number): { train: TaskData[]; test: TaskData } {
  const digits = loadMnistDigits();
  const byDigit: number[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < digits.y.length; i++) byDigit[digits.y[i]].push(i);
  const gather = (rows: number[], task: number, classes: number[]): TaskData => {
    const x = new Float32Array(rows.length * 784);
    rows.forEach((r, i) => x.set(digits.x.subarray(r * 784, (r + 1) * 784), i * 784));
    return { task, x, y: Int32Array.from(rows, (r) => digits.y[r]), classes };
  };
  const train = Array.from({ length: count }, (_, k) =>
    gather([...byDigit[2 * k].slice(0, perDigit), ...byDigit[2 * k + 1].slice(0, perDigit)], k, [2 * k, 2 * k + 1]),
  );
  const testRows = Array.from({ length: 2 * count }, (_, d) => byDigit[d].slice(perDigit, perDigit + 50)).flat();
  return { train, test: gather(testRows, 0, Array.from({ length: 2 * count }, (_, d) => d)) };
}

function joint(tasks: TaskData[]): TaskData {
  const n = tasks.reduce((a, t) => a + t.y.length, 0);
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  let o = 0;
  for (const t of tasks) {
    x.set(t.x, o * 784);
    y.set(t.y, o);
    o += t.y.length;
  }
  return { task: 0, x, y, classes: [...new Set(tasks.flatMap((t) => t.classes))] };
}

/** max |a - b| / max |b|. */
function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

const config = (classifier: 'ridge' | 'lda', lambdas = [1e-2]): AnalyticLearnerConfig => ({
  featureMap: { kind: 'rff', inputDim: 784, features: 384, gamma: 0.01, seed: 5, deskew: { width: 28, height: 28 } },
  classifier,
  scenario: 'class-il',
  lambdas,
  seed: 1,
});

let data: ReturnType<typeof contexts>;

beforeAll(async () => {
  await useWasmBackend();
  data = contexts(120, 3);
});

describe('AnalyticLearner: exact, order-free, unlearnable', () => {
  for (const classifier of ['ridge', 'lda'] as const) {
    it(`${classifier}: weights after 3 rounds equal a one-shot fit on all the data (<= 1e-3)`, async () => {
      const before = tf.memory().numTensors;
      const incremental = new AnalyticLearner(config(classifier));
      for (const t of data.train) await incremental.learnTask(t);
      const oneShot = new AnalyticLearner(config(classifier));
      await oneShot.learnTask(joint(data.train));
      const a = incremental.linearClassifier!;
      const b = oneShot.linearClassifier!;
      expect(a.classes).toEqual([0, 1, 2, 3, 4, 5]);
      expect(relativeDiff(a.weights, b.weights)).toBeLessThanOrEqual(1e-3);
      if (classifier === 'lda') expect(relativeDiff(a.bias, b.bias)).toBeLessThanOrEqual(1e-3);
      else expect([...a.bias, ...b.bias].every((v) => v === 0)).toBe(true);
      const accuracy = (await incremental.evaluate(data.test)).accuracy;
      expect(accuracy).toBeGreaterThan(0.9);
      expect((await oneShot.evaluate(data.test)).predictions).toEqual((await incremental.evaluate(data.test)).predictions);
      incremental.dispose();
      oneShot.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('another order of the rounds gives the same weights and predictions', async () => {
    const forward = new AnalyticLearner(config('lda'));
    const backward = new AnalyticLearner(config('lda'));
    for (const t of data.train) await forward.learnTask(t);
    for (const t of [...data.train].reverse()) await backward.learnTask(t);
    expect(relativeDiff(backward.linearClassifier!.weights, forward.linearClassifier!.weights)).toBeLessThanOrEqual(1e-3);
    expect((await backward.evaluate(data.test)).predictions).toEqual((await forward.evaluate(data.test)).predictions);
    forward.dispose();
    backward.dispose();
  });

  it('unlearning a class by subtracting its samples gives the learner that never saw it', async () => {
    const taught = new AnalyticLearner(config('ridge'));
    for (const t of data.train) await taught.learnTask(t);
    // Forget digit 3: its samples are what the app keeps for a class.
    const t1 = data.train[1];
    const rows = [...t1.y.keys()].filter((i) => t1.y[i] === 3);
    const x3 = new Float32Array(rows.length * 784);
    rows.forEach((r, i) => x3.set(t1.x.subarray(r * 784, (r + 1) * 784), i * 784));
    await taught.unlearn(x3, new Int32Array(rows.length).fill(3));

    const never = new AnalyticLearner(config('ridge'));
    for (const t of data.train) {
      const keep = [...t.y.keys()].filter((i) => t.y[i] !== 3);
      const x = new Float32Array(keep.length * 784);
      keep.forEach((r, i) => x.set(t.x.subarray(r * 784, (r + 1) * 784), i * 784));
      await never.learnTask({ task: t.task, x, y: Int32Array.from(keep, (r) => t.y[r]), classes: t.classes.filter((c) => c !== 3) });
    }
    expect(taught.linearClassifier!.classes).toEqual([0, 1, 2, 4, 5]);
    expect(taught.statistics.count(3)).toBe(0);
    expect(relativeDiff(taught.linearClassifier!.weights, never.linearClassifier!.weights)).toBeLessThanOrEqual(1e-3);
    const p = (await taught.evaluate(data.test)).predictions;
    expect(p.includes(3)).toBe(false);
    expect(p).toEqual((await never.evaluate(data.test)).predictions);
    // Unlearning more samples of a class than were learned changes nothing and says why.
    await expect(taught.unlearn(x3, new Int32Array(rows.length).fill(3))).rejects.toThrow(/cannot remove/);
    expect(taught.linearClassifier!.classes).toEqual([0, 1, 2, 4, 5]);
    taught.dispose();
    never.dispose();
  });

  it('chooses lambda on held-out rows of the round, then learns them too; a checkpoint holds statistics only', async () => {
    const learner = new AnalyticLearner(config('lda', [1e-4, 1e-2, 1]));
    let report;
    for (const t of data.train) report = await learner.learnTask(t);
    // Tried from the largest; the search stops at the first candidate right on every held-out row (ties keep
    // the larger, so no smaller one could win).
    const tried = report!.validation;
    expect(tried.map((v) => v.lambda)).toEqual([1, 1e-2, 1e-4].slice(0, tried.length));
    if (tried.length < 3) expect(tried[tried.length - 1].accuracy).toBe(1);
    else expect(tried.slice(0, 2).every((v) => v.accuracy < 1)).toBe(true);
    const best = Math.max(...tried.map((v) => v.accuracy));
    expect(learner.lambda).toBe(tried.find((v) => v.accuracy === best)!.lambda);
    // Every row of every round is in the statistics (held-out rows included).
    for (let d = 0; d < 6; d++) expect(learner.statistics.count(d)).toBe(120);
    const state = learner.exportState();
    const bytes = state.tensors.reduce((a, t) => a + t.data.byteLength, 0);
    expect(bytes).toBe(learner.storedBytes - 8 * 6);
    // The json part survives JSON (IndexedDB, export files); the numbers travel as float32 tensors.
    const restored = await AnalyticLearner.fromState({ ...state, json: JSON.parse(JSON.stringify(state.json)) });
    expect((await restored.evaluate(data.test)).predictions).toEqual((await learner.evaluate(data.test)).predictions);
    expect(relativeDiff(restored.linearClassifier!.weights, learner.linearClassifier!.weights)).toBeLessThanOrEqual(1e-6);
    learner.dispose();
    restored.dispose();
  });

  it("ridge's held-out scores from one solve equal those of a fit without the held-out rows, and the round then equals a one-shot fit", async () => {
    const m = 48;
    const rng = new SeededRandom(11);
    const rows = 90;
    const labels = Int32Array.from({ length: rows }, (_, i) => i % 3);
    const x = Float32Array.from({ length: rows * m }, (_, i) => rng.next() + (i % m === labels[Math.floor(i / m)] ? 2 : 0));
    const holdRows = [3, 10, 11, 40, 62, 88];
    const fitRows = [...Array(rows).keys()].filter((r) => !holdRows.includes(r));
    const take = (ids: number[]) => {
      const out = new Float32Array(ids.length * m);
      ids.forEach((r, i) => out.set(x.subarray(r * m, (r + 1) * m), i * m));
      return out;
    };
    const all = new SufficientStatistics(m);
    const fitOnly = new SufficientStatistics(m);
    const phiAll = tf.tensor2d(x, [rows, m]);
    const phiFit = tf.tensor2d(take(fitRows), [fitRows.length, m]);
    await all.update(phiAll, labels, 1);
    await fitOnly.update(phiFit, Int32Array.from(fitRows, (r) => labels[r]), 1);
    tf.dispose([phiAll, phiFit]);
    const held = Float64Array.from(take(holdRows));
    const holdLabels = Int32Array.from(holdRows, (r) => labels[r]);
    const lambda = 0.05;
    const { classifier, heldOutScores } = await solveRidgeWithHeldOut(all, lambda, held, holdLabels);
    // The fit without the rows, solved directly (same shift: the whole statistics' trace / M).
    let trace = 0;
    for (let i = 0; i < m; i++) trace += all.gram[i * m + i];
    const rhs = new Float64Array(m * 3);
    for (let c = 0; c < 3; c++) fitOnly.sum(c).forEach((v, i) => (rhs[i * 3 + c] = v));
    const direct = (await solveSpd(fitOnly.gram, m, rhs, 3, { shift: (lambda * trace) / m, path: 'host' })).x;
    const expected = new Float64Array(holdRows.length * 3);
    for (let r = 0; r < holdRows.length; r++)
      for (let c = 0; c < 3; c++) for (let i = 0; i < m; i++) expected[r * 3 + c] += held[r * m + i] * direct[i * 3 + c];
    // Equal to the float32 rounding of the two sets of statistics (each batch product is a float32 matMul).
    expect(relativeDiff(heldOutScores, expected)).toBeLessThanOrEqual(1e-5);
    // The classifier is the one on all rows.
    const whole = await solveClassifier(all, 'ridge', lambda);
    expect(relativeDiff(classifier.weights, whole.weights)).toBeLessThanOrEqual(1e-6);
    expect(classifier.relativeResidual).toBeLessThanOrEqual(1e-9);

    // In a learner: a ridge round choosing among shrinkages equals the one-shot fit at the chosen one.
    const learner = new AnalyticLearner({ ...config('ridge', [1e-4, 1e-2, 1]), validationFraction: 0.1 });
    for (const t of data.train) await learner.learnTask(t);
    const oneShot = new AnalyticLearner({ ...config('ridge', [learner.lambda!]) });
    await oneShot.learnTask(joint(data.train));
    expect(relativeDiff(learner.linearClassifier!.weights, oneShot.linearClassifier!.weights)).toBeLessThanOrEqual(1e-3);
    learner.dispose();
    oneShot.dispose();
  });

  it('rejects bad input with specific errors and keeps its state', async () => {
    const learner = new AnalyticLearner(config('ridge'));
    await learner.learnTask(data.train[0]);
    const w = Float32Array.from(learner.linearClassifier!.weights);
    await expect(learner.learnTask({ task: 1, x: new Float32Array(10), y: Int32Array.from([2]), classes: [2] })).rejects.toThrow(/expected 1 rows of 784/);
    await expect(learner.learnTask({ ...data.train[1], classes: [2] })).rejects.toThrow(/label 3 .* is not among its classes/);
    expect(learner.linearClassifier!.weights).toEqual(w);
    expect(learner.statistics.classes).toEqual([0, 1]);
    expect(() => new AnalyticLearner({ ...config('ridge'), lambdas: [] })).toThrow(/lambdas must be positive/);
    learner.dispose();
  });
});
