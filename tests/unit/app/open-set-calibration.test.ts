/**
 * "Not sure"'s calibration statistics (src/app/worker/open-set-calibration.ts): the Beta CDF against closed forms,
 * the Harrell-Davis quantile against its definition and its spread against one order statistic's, the conformal
 * threshold's accept rate on new draws, the textbook interpolated quantile.
 */
import { describe, expect, it } from 'vitest';
import { acceptThreshold, betaCdf, harrellDavisQuantile, quantile, standardisation } from '../../../src/app/worker/open-set-calibration';
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

  it('takes the Harrell-Davis quantile: the median of symmetric data, the ends at 0 and 1, steadier than one order statistic', () => {
    expect(harrellDavisQuantile([1, 2, 3, 4, 5], 0.5)).toBeCloseTo(3, 12);
    expect(harrellDavisQuantile([3, 1, 2], 0)).toBe(1);
    expect(harrellDavisQuantile([3, 1, 2], 1)).toBe(3);
    // n = 2: weights I_{1/2}(3q, 3(1-q)) and its complement.
    const w = betaCdf(0.5, 3 * 0.7, 3 * 0.3);
    expect(harrellDavisQuantile([10, 20], 0.7)).toBeCloseTo(10 * w + 20 * (1 - w), 12);
    expect(() => harrellDavisQuantile([], 0.5)).toThrow(/No values/);
    // 300 samples of 90 uniforms: the estimate of the 0.95 quantile is centred on it and varies less than the order statistic's.
    const u = lcgUniforms(11);
    const hd: number[] = [];
    const order: number[] = [];
    for (let t = 0; t < 300; t++) {
      const xs = Array.from({ length: 90 }, u);
      hd.push(harrellDavisQuantile(xs, 0.95));
      order.push(quantile(xs, 0.95));
    }
    const { mean, sd } = standardisation(hd);
    expect(mean).toBeCloseTo(0.95, 2);
    expect(sd).toBeLessThan(standardisation(order).sd);
  });

  it('sets a threshold that accepts at least the asked share of new draws on average', () => {
    const u = lcgUniforms(5);
    let accepted = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      // Uniform scores: the share of new draws below a threshold is the threshold itself.
      accepted += Math.min(1, acceptThreshold(Array.from({ length: 30 }, u), 0.95));
    }
    expect(accepted / trials).toBeGreaterThanOrEqual(0.95);
    expect(accepted / trials).toBeLessThan(0.975);
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
