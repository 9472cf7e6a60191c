/** Statistics helpers for the memory tests (chi-square p-values), written out so the thresholds are honest. */

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

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
