import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averageAccuracy,
  averageMeasuredAccuracy,
  backwardTransfer,
  confusionMatrix,
  forgetting,
  forgettingOfMeasured,
  forwardTransfer,
  perClassAccuracy,
} from '../../../src/metrics';

// R[i][j]: accuracy on task j after training task i (3 tasks), computed by hand below.
const R = [
  [90, 20, 10],
  [70, 95, 30],
  [60, 80, 85],
];

describe('accuracy-matrix metrics', () => {
  it('average accuracy is the mean of the last row', () => {
    expect(averageAccuracy(R)).toBeCloseTo((60 + 80 + 85) / 3, 10);
  });

  it('backward transfer averages R[T][i] - R[i][i] over i < T', () => {
    expect(backwardTransfer(R)).toBeCloseTo((60 - 90 + (80 - 95)) / 2, 10);
  });

  it('forward transfer compares R[i-1][i] with a random model', () => {
    expect(forwardTransfer(R, [10, 10, 12])).toBeCloseTo((20 - 10 + (30 - 12)) / 2, 10);
    expect(() => forwardTransfer(R, [10])).toThrow(/need 3 baseline/);
  });

  it('forgetting averages the drop from the best earlier accuracy', () => {
    // task 0: max(90, 70) - 60 = 30; task 1: max(95) - 80 = 15.
    expect(forgetting(R)).toBeCloseTo((30 + 15) / 2, 10);
  });

  it('is 0 for a single task and refuses holes', () => {
    expect(backwardTransfer([[50]])).toBe(0);
    expect(forgetting([[50]])).toBe(0);
    expect(() =>
      averageAccuracy([
        [1, null],
        [2, null],
      ]),
    ).toThrow(/R\[1\]\[1\]/);
  });

  it('confusion matrix, per-class accuracy and accuracy', () => {
    const pred = [0, 1, 1, 2, 2, 0];
    const actual = [0, 1, 2, 2, 2, 1];
    expect(confusionMatrix(pred, actual, 3)).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [0, 1, 2],
    ]);
    expect(perClassAccuracy(pred, actual, 4)).toEqual([1, 0.5, 2 / 3, null]);
    expect(accuracy(pred, actual)).toBeCloseTo(4 / 6, 10);
    expect(() => confusionMatrix([5], [0], 3)).toThrow(/outside/);
  });

  it("the app's measured-only metrics skip rounds with no held-out picture (or deleted classes) and agree when complete", () => {
    const full = [
      [0.9, null, null],
      [0.8, 1, null],
      [0.7, 0.9, 0.95],
    ];
    expect(averageMeasuredAccuracy(full)).toBeCloseTo(averageAccuracy(full), 12);
    expect(forgettingOfMeasured(full)).toBeCloseTo(forgetting(full), 12);
    // The last round's class had no held-out picture; the first round's class was deleted.
    const gaps = [
      [0.9, null, null],
      [0.8, 1, null],
      [null, 0.9, null],
    ];
    expect(averageMeasuredAccuracy(gaps)).toBeCloseTo(0.9, 12);
    expect(forgettingOfMeasured(gaps)).toBeCloseTo(0.1, 12);
    expect(averageMeasuredAccuracy([[null]])).toBeNull();
    expect(forgettingOfMeasured([[1]])).toBeNull();
  });
});
