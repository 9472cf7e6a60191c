/**
 * "Not sure"'s calibration statistics (src/app/worker/open-set-calibration.ts): the Beta CDF against closed forms,
 * the tolerance threshold's rank against Wilks's binomial bound and its accept rate on new draws (at least the asked
 * share in >= 95 % of calibrations), the textbook interpolated quantile.
 */
import { describe, expect, it } from 'vitest';
import { acceptThreshold, betaCdf, quantile, standardisation, toleranceRank } from '../../../src/app/worker/open-set-calibration';
import { lcgUniforms } from '../support/lcg';

describe('open-set calibration', () => {
  it('computes the Beta CDF', () => {
    expect(betaCdf(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(betaCdf(0.5, 7.5, 7.5)).toBeCloseTo(0.5, 12);
    // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b.
    expect(betaCdf(0.8, 3.7, 1)).toBeCloseTo(0.8 ** 3.7, 12);
    expect(betaCdf(0.2, 1, 86.45)).toBeCloseTo(1 - 0.8 ** 86.45, 12);
    // I_x(2, 2) = 3x^2 - 2x^3.
    expect(betaCdf(0.9, 2, 2)).toBeCloseTo(3 * 0.81 - 2 * 0.729, 12);
    expect(betaCdf(0, 2, 3)).toBe(0);
    expect(betaCdf(1, 2, 3)).toBe(1);
    expect(() => betaCdf(0.5, 0, 1)).toThrow(/positive/);
  });

  it('ranks the tolerance threshold by the binomial bound: the smallest k with P(Binomial(n, a) <= k - 1) >= 0.95', () => {
    // The k-th of n uniforms is below a with P(Binomial(n, a) >= k) = betaCdf(a, k, n + 1 - k).
    const binomialAtLeast = (n: number, a: number, k: number) => {
      let p = 0;
      let logChoose = 0;
      for (let j = 0; j <= n; j++) {
        if (j >= k) p += Math.exp(logChoose + j * Math.log(a) + (n - j) * Math.log(1 - a));
        logChoose += Math.log((n - j) / (j + 1));
      }
      return p;
    };
    for (const [n, a] of [[90, 0.95], [450, 0.95], [220, 0.8], [60, 0.5]] as const) {
      const k = toleranceRank(n, a);
      expect(binomialAtLeast(n, a, k)).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(binomialAtLeast(n, a, k - 1)).toBeGreaterThan(0.05);
    }
    // 450 pictures at 0.95: the 436th, an expected share of 436 / 451 = 0.967; 90 at 0.9 with 90 % confidence: the 86th.
    expect(toleranceRank(450, 0.95)).toBe(436);
    expect(toleranceRank(90, 0.9, 0.9)).toBe(86);
    // Too few pictures to be that sure (58 < log 0.05 / log 0.95): the largest.
    expect(toleranceRank(58, 0.95)).toBe(58);
    expect(() => toleranceRank(0, 0.95)).toThrow(/No values/);
  });

  it('sets a threshold that accepts at least the asked share of new draws in about 95 % of calibrations', () => {
    const u = lcgUniforms(5);
    const shares: number[] = [];
    for (let t = 0; t < 400; t++) {
      // Uniform scores: the share of new draws below a threshold is the threshold itself.
      shares.push(Math.min(1, acceptThreshold(Array.from({ length: 200 }, u), 0.95)));
    }
    const atLeast = shares.filter((s) => s >= 0.95).length / shares.length;
    expect(atLeast).toBeGreaterThanOrEqual(0.92);
    expect(atLeast).toBeLessThan(0.99);
    const mean = standardisation(shares).mean;
    expect(mean).toBeGreaterThan(0.96);
    expect(mean).toBeLessThan(0.98);
  });

  it('takes interpolated quantiles and refuses an empty list', () => {
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5);
    expect(() => quantile([], 0.5)).toThrow(/No values/);
  });

  it('standardises by the mean and standard deviation', () => {
    expect(standardisation([1, 3])).toEqual({ mean: 2, sd: 1 });
    expect(standardisation([5, 5]).sd).toBeGreaterThan(0);
  });
});
