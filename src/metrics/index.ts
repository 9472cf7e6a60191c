/**
 * Continual-learning metrics on an accuracy matrix R, where R[i][j] is the accuracy on task j after training
 * task i (rows in training order; entries for tasks not yet seen may be present for forward transfer).
 * Definitions follow Lopez-Paz & Ranzato (GEM) and Chaudhry et al., averaged over T-1 tasks.
 */

/** An accuracy matrix: R[i][j] = accuracy on task j after training task i (null where not measured). */
export type AccuracyMatrix = readonly (readonly (number | null)[])[];

function entry(r: AccuracyMatrix, i: number, j: number): number {
  const v = r[i]?.[j];
  if (v === null || v === undefined || !Number.isFinite(v)) {
    throw new Error(`accuracy matrix has no value at R[${i}][${j}]`);
  }
  return v;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Average accuracy after the last task: mean over j of R[T-1][j]. */
export function averageAccuracy(r: AccuracyMatrix): number {
  const t = r.length;
  if (t === 0) throw new Error('averageAccuracy: empty accuracy matrix');
  return mean(Array.from({ length: t }, (_, j) => entry(r, t - 1, j)));
}

/** Backward transfer: mean over i < T-1 of R[T-1][i] - R[i][i] (negative when the model forgets). */
export function backwardTransfer(r: AccuracyMatrix): number {
  const t = r.length;
  if (t < 2) return 0;
  return mean(Array.from({ length: t - 1 }, (_, i) => entry(r, t - 1, i) - entry(r, i, i)));
}

/**
 * Forward transfer: mean over i >= 1 of R[i-1][i] - b[i], where b[i] is a randomly initialised model's
 * accuracy on task i (how much learning earlier tasks helps a task before it is trained).
 */
export function forwardTransfer(r: AccuracyMatrix, randomInitAccuracy: readonly number[]): number {
  const t = r.length;
  if (t < 2) return 0;
  if (randomInitAccuracy.length < t) {
    throw new Error(`forwardTransfer: need ${t} baseline accuracies, got ${randomInitAccuracy.length}`);
  }
  return mean(Array.from({ length: t - 1 }, (_, k) => entry(r, k, k + 1) - randomInitAccuracy[k + 1]));
}

/** Forgetting: mean over j < T-1 of (max over l < T-1 of R[l][j]) - R[T-1][j]. */
export function forgetting(r: AccuracyMatrix): number {
  const t = r.length;
  if (t < 2) return 0;
  const per = Array.from({ length: t - 1 }, (_, j) => {
    let best = -Infinity;
    for (let l = j; l < t - 1; l++) best = Math.max(best, entry(r, l, j));
    return best - entry(r, t - 1, j);
  });
  return mean(per);
}

/**
 * Average accuracy over the tasks measured after the last one (null entries skipped: in an app a round's classes
 * may have no held-out sample, or may have been deleted since); null when none is measured.
 */
export function averageMeasuredAccuracy(r: AccuracyMatrix): number | null {
  const last = r[r.length - 1] ?? [];
  const measured = last.filter((v): v is number => v !== null && Number.isFinite(v));
  return measured.length ? mean(measured) : null;
}

/**
 * Forgetting over the tasks measured both now and at least once before (null entries skipped as in
 * averageMeasuredAccuracy); null when no task qualifies.
 */
export function forgettingOfMeasured(r: AccuracyMatrix): number | null {
  const t = r.length;
  const per: number[] = [];
  for (let j = 0; j < t - 1; j++) {
    const now = r[t - 1]?.[j];
    if (now === null || now === undefined || !Number.isFinite(now)) continue;
    let best = -Infinity;
    for (let l = j; l < t - 1; l++) {
      const v = r[l]?.[j];
      if (v !== null && v !== undefined && Number.isFinite(v)) best = Math.max(best, v);
    }
    if (best > -Infinity) per.push(best - now);
  }
  return per.length ? mean(per) : null;
}

/** Confusion matrix C[true][predicted] of counts. */
export function confusionMatrix(
  predicted: ArrayLike<number>,
  actual: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (predicted.length !== actual.length) {
    throw new Error(`confusionMatrix: ${predicted.length} predictions for ${actual.length} labels`);
  }
  const c = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const p = predicted[i];
    if (a < 0 || a >= numClasses || p < 0 || p >= numClasses) {
      throw new Error(`confusionMatrix: label ${a} or prediction ${p} outside 0..${numClasses - 1}`);
    }
    c[a][p]++;
  }
  return c;
}

/** Per-class accuracy (recall); null for a class with no samples. */
export function perClassAccuracy(
  predicted: ArrayLike<number>,
  actual: ArrayLike<number>,
  numClasses: number,
): (number | null)[] {
  const c = confusionMatrix(predicted, actual, numClasses);
  return c.map((row, k) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? null : row[k] / n;
  });
}

/** Fraction of predictions equal to the labels. */
export function accuracy(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length) throw new Error('accuracy: lengths differ');
  if (actual.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < actual.length; i++) if (predicted[i] === actual[i]) ok++;
  return ok / actual.length;
}
