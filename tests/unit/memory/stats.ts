/** Statistics helpers for the memory tests (chi-square p-values), written out so the thresholds are honest. */
import { logGamma } from '../../../src/util/log-gamma';

/** Regularised upper incomplete gamma Q(a, x) (Numerical Recipes: series below a+1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
  }
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** P(X >= stat) for X ~ chi-square with `df` degrees of freedom. */
export function chiSquarePValue(stat: number, df: number): number {
  return gammaQ(df / 2, stat / 2);
}

/**
 * Chi-square test that kept items are spread uniformly over `bins` equal slices of a stream.
 * Each trial keeps k of N items without replacement, so bin counts are multivariate hypergeometric: their
 * variance is the multinomial one times (N - k) / (N - 1); the Pearson statistic is divided by that factor.
 */
export function uniformityPValue(binCounts: readonly number[], streamLength: number, keptPerTrial: number): { stat: number; p: number } {
  const total = binCounts.reduce((a, b) => a + b, 0);
  const expected = total / binCounts.length;
  let pearson = 0;
  for (const o of binCounts) pearson += ((o - expected) * (o - expected)) / expected;
  const fpc = (streamLength - keptPerTrial) / (streamLength - 1);
  const stat = pearson / fpc;
  return { stat, p: chiSquarePValue(stat, binCounts.length - 1) };
}
