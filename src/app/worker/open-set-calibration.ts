/**
 * The statistics "Not sure" calibrates with: the threshold from the calibration pictures' scores and the
 * standardisation that puts two scores on one scale. The threshold is a tolerance bound (Wilks 1941; the
 * training-conditional conformal threshold of Vovk 2012): the k-th smallest of n scores accepts a share of new
 * pictures like them that is Beta(k, n + 1 - k) distributed, so the smallest k with P(share >= acceptRate) >=
 * CONFIDENCE accepts at least acceptRate with that confidence for this very calibration, not just on average over
 * calibrations (the split-conformal level q (n + 1) / n guarantees only the average; with ~90 pictures one
 * calibration's share then misses by +-0.02). At the default 0.95 this is Wilks's 95 %/95 % bound: with 450
 * pictures the 436th, an expected share of 0.967.
 */
import { logGamma } from '../../util/log-gamma';

/** How sure the threshold is to accept at least the asked share of new pictures of taught classes. */
export const CONFIDENCE = 0.95;

/** Fewer held-out pictures than this: no calibration (every answer is accepted). */
export const MIN_CALIBRATION_PICTURES = 4;

/** The `q` quantile (0..1) of `values`, linearly interpolated. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('No values to take a quantile of');
  const s = [...values].sort((a, b) => a - b);
  const pos = Math.min(1, Math.max(0, q)) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Continued fraction of the incomplete Beta function (modified Lentz), valid for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const num of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete Beta function I_x(a, b): the Beta(a, b) distribution's CDF at x. */
export function betaCdf(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new Error(`Beta parameters must be positive, got ${a} and ${b}`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/**
 * The rank k (1-based) of the tolerance threshold: the smallest with P(Beta(k, n + 1 - k) >= acceptRate) >=
 * confidence; n when even the largest score is not that sure (fewer than log(1 - confidence) / log(acceptRate)
 * pictures: 59 at 0.95 and 0.95).
 */
export function toleranceRank(n: number, acceptRate: number, confidence = CONFIDENCE): number {
  if (!(n >= 1)) throw new Error('No values to take a threshold of');
  if (acceptRate <= 0) return 1;
  if (acceptRate >= 1) return n;
  // P(share >= a) grows with k: bisect on betaCdf(a; k, n + 1 - k) <= 1 - confidence.
  let lo = 1;
  let hi = n;
  while (lo < hi) {
    const k = Math.floor((lo + hi) / 2);
    if (betaCdf(acceptRate, k, n + 1 - k) <= 1 - confidence) hi = k;
    else lo = k + 1;
  }
  return lo;
}

/** The threshold accepting at least a share `acceptRate` of new pictures like `calibration`, with CONFIDENCE. */
export function acceptThreshold(calibration: readonly number[], acceptRate: number, confidence = CONFIDENCE): number {
  const s = [...calibration].sort((a, b) => a - b);
  return s[toleranceRank(s.length, acceptRate, confidence) - 1];
}

/** Mean and standard deviation of a score over the held-out pictures. */
export interface Standardisation {
  mean: number;
  sd: number;
}

/** The held-out scores' mean and standard deviation (sd floored so a constant score stays finite). */
export function standardisation(values: readonly number[]): Standardisation {
  if (values.length === 0) throw new Error('No values to standardise by');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, sd: Math.max(Math.sqrt(variance), 1e-12 * Math.max(1, Math.abs(mean))) };
}
