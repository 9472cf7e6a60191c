import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averageAccuracy,
  backwardTransfer,
  confusionMatrix,
  forgetting,
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
});
