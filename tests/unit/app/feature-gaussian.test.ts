/**
 * The tied-covariance Mahalanobis distance (src/app/worker/feature-gaussian.ts), computed through Woodbury's
 * identity on the Gram matrix, equals the textbook (x - mu)^T (S + lambda I)^-1 (x - mu) solved directly, for one
 * class and for all at once; the relative distance is the nearest class's minus the background Gaussian's.
 */
import { describe, expect, it } from 'vitest';
import { RelativeMahalanobis, TiedGaussian } from '../../../src/app/worker/feature-gaussian';
import { lcgStates } from '../support/lcg';

/** Solves A y = b by Gaussian elimination with partial pivoting (A is n x n, row-major; both copied). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * y[k];
    y[r] = s / m[r][r];
  }
  return y;
}

describe('tied Gaussian', () => {
  it('matches the direct Mahalanobis distance with shrinkage', () => {
    const state = lcgStates(3);
    const rand = () => state() / 2 ** 32 - 0.5;
    const d = 6;
    const rows = Array.from({ length: 14 }, (_, i) => ({ classId: i % 2, x: Float32Array.from({ length: d }, () => rand() + (i % 2)) }));
    const alpha = 0.3;
    const g = new TiedGaussian(rows, alpha);
    // Direct: class means, S = sum (x - mu)(x - mu)^T / n, lambda = alpha * trace(S) / d.
    const means = [0, 1].map((c) => {
      const xs = rows.filter((r) => r.classId === c);
      return Array.from({ length: d }, (_, k) => xs.reduce((a, r) => a + r.x[k], 0) / xs.length);
    });
    const s = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (const r of rows) {
      const v = Array.from(r.x, (x, k) => x - means[r.classId][k]);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) s[i][j] += (v[i] * v[j]) / rows.length;
    }
    const lambda = (alpha * s.reduce((a, row, i) => a + row[i], 0)) / d;
    for (let i = 0; i < d; i++) s[i][i] += lambda;
    for (let t = 0; t < 5; t++) {
      const x = Float32Array.from({ length: d }, () => rand() * 2);
      for (const c of [0, 1]) {
        const v = Array.from(x, (xk, k) => xk - means[c][k]);
        const y = solve(s, v);
        const direct = v.reduce((a, vk, k) => a + vk * y[k], 0);
        expect(g.distance(x, c)).toBeCloseTo(direct, 3);
      }
    }
    expect(g.distance(new Float32Array(d), 7)).toBe(Infinity);
  });

  it('gives every class distance at once, and the relative distance against one background Gaussian', () => {
    const state = lcgStates(9);
    const rand = () => state() / 2 ** 32 - 0.5;
    const d = 5;
    const rows = Array.from({ length: 21 }, (_, i) => ({ classId: i % 3, x: Float32Array.from({ length: d }, (_, k) => rand() + (k === i % 3 ? 1 : 0)) }));
    const classes = new TiedGaussian(rows, 0.5);
    const background = new TiedGaussian(rows.map((r) => ({ classId: 0, x: r.x })), 0.5);
    const relative = new RelativeMahalanobis(rows, 0.5);
    for (let t = 0; t < 5; t++) {
      const x = Float32Array.from({ length: d }, () => rand() * 2);
      const all = classes.distances(x);
      expect([...all.keys()].sort()).toEqual([0, 1, 2]);
      // distance() rounds x - mu to float32, distances() does not: equal to ~1e-8 relative.
      for (const c of [0, 1, 2]) expect(all.get(c)! / classes.distance(x, c)).toBeCloseTo(1, 6);
      expect(relative.distance(x)).toBeCloseTo(Math.min(...all.values()) - background.distance(x, 0), 4);
    }
    // One class: nothing to compare with, the plain distance.
    const one = rows.filter((r) => r.classId === 1);
    const x = Float32Array.from({ length: d }, () => rand());
    expect(new RelativeMahalanobis(one, 0.5).distance(x)).toBeCloseTo(new TiedGaussian(one, 0.5).distance(x, 1), 4);
  });

  it('gives each stored picture the distance a fit without it gives, shrinkage apart, with n < d as in the app', () => {
    const state = lcgStates(21);
    const rand = () => state() / 2 ** 32 - 0.5;
    const d = 150;
    const rows = Array.from({ length: 90 }, (_, i) => ({ classId: i % 3, x: Float32Array.from({ length: d }, (_, k) => rand() + (k % 3 === i % 3 ? 0.8 : 0)) }));
    rows.push({ classId: 5, x: Float32Array.from({ length: d }, () => rand()) });
    const classesLoo = new TiedGaussian(rows, 1).leaveOneOut();
    const relativeLoo = new RelativeMahalanobis(rows, 1).leaveOneOut();
    const full = new RelativeMahalanobis(rows, 1);
    let optimism = 0;
    for (let i = 0; i < 90; i += 7) {
      const without = rows.filter((_, j) => j !== i);
      const nearest = Math.min(...new TiedGaussian(without, 1).distances(rows[i].x).values());
      // Only the shrinkage stays at the full fit's (it moves by |r|^2 / trace, ~1/n): within 2 % of the refit.
      expect(classesLoo[i] / nearest).toBeCloseTo(1, 1);
      expect(Math.abs(classesLoo[i] - nearest)).toBeLessThan(0.02 * nearest);
      expect(Math.abs(relativeLoo[i] - new RelativeMahalanobis(without, 1).distance(rows[i].x))).toBeLessThan(0.02 * nearest);
      optimism += relativeLoo[i] - full.distance(rows[i].x);
    }
    // A stored picture is nearer to a fit that includes it: leaving it out matters.
    expect(optimism / 13).toBeGreaterThan(0.05 * classesLoo[0]);
    // The lone picture of class 5 has no class left without it.
    expect(classesLoo[90]).toBeNaN();
    expect(relativeLoo[90]).toBeNaN();
  });
});
