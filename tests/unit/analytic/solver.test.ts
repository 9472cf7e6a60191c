import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { choleskyFactor, choleskySolve, disposeCholeskyFactor, triangularSolveRows } from '../../../src/ops/cholesky';
import { HOST_SOLVE_MAX_SIZE, solveSpd } from '../../../src/ops/spd_solve';
import { useWasmBackend } from '../support/setup-wasm';
import { gramProblem, relativeResidual } from './support';

beforeAll(async () => {
  await useWasmBackend();
});

describe('solveSpd on WASM (float32 blocked Cholesky + float64 refinement)', () => {
  // The conformance sizes: below, at and around a block, and the feature widths the learner uses.
  // M = 2048 and 4096 (3 and 23 GFLOP: minutes on a shared 2-core machine) run with RETAIN_SOLVER_LARGE=1.
  const sizes = [1, 63, 64, 65, 127, 128, 129, 1000, ...(process.env.RETAIN_SOLVER_LARGE ? [2048, 4096] : [])];
  for (const m of sizes) {
    it(`relative residual <= 1e-4 at M = ${m}`, async () => {
      const { g, c, k, shift } = await gramProblem(m, 10, 7 + m);
      const before = tf.memory().numTensors;
      const started = performance.now();
      const { x, relativeResidual: reported, refinements } = await solveSpd(g, m, c, k, { shift, path: 'backend' });
      const seconds = (performance.now() - started) / 1000;
      expect(tf.memory().numTensors).toBe(before);
      const r = relativeResidual(g, m, shift, x, c, k);
      console.log(`M = ${m}: residual ${r.toExponential(2)} after ${refinements} refinements, ${seconds.toFixed(1)} s`);
      expect(r).toBeLessThanOrEqual(1e-4);
      expect(reported).toBeCloseTo(r, 10);
    }, 1_800_000);
  }

  it('without refinement the float32 factor alone is already close (the refinement only polishes)', async () => {
    const m = 300;
    const { g, c, k, shift } = await gramProblem(m, 4, 3);
    const { x } = await solveSpd(g, m, c, k, { shift, maxRefinements: 0, path: 'backend' });
    const r = relativeResidual(g, m, shift, x, c, k);
    expect(r).toBeLessThan(1e-2);
    expect(r).toBeGreaterThan(1e-12);
  });

  it('rejects a matrix that is not positive definite with a specific error', async () => {
    const g = Float64Array.from([1, 2, 2, 1]);
    await expect(solveSpd(g, 2, Float64Array.from([1, 1]), 1, { path: 'backend' })).rejects.toThrow(/not positive definite/);
    await expect(solveSpd(g, 2, Float64Array.from([1, 1]), 1, { path: 'host' })).rejects.toThrow(/not positive definite/);
    await expect(solveSpd(Float64Array.from([1, NaN, NaN, 1]), 2, Float64Array.from([1, 1]), 1)).rejects.toThrow(/A has non-finite values/);
    await expect(solveSpd(g, 3, Float64Array.from([1, 1, 1]), 1)).rejects.toThrow(/A must hold 3 x 3/);
  });

  it('the float64 host path (auto below HOST_SOLVE_MAX_SIZE) solves to float64 accuracy and agrees with the backend path', async () => {
    for (const m of [1, 63, 64, 65, 256, HOST_SOLVE_MAX_SIZE]) {
      const { g, c, k, shift } = await gramProblem(m, 10, 7 + m);
      const before = tf.memory().numTensors;
      const host = await solveSpd(g, m, c, k, { shift });
      expect(tf.memory().numTensors).toBe(before);
      expect(host.refinements).toBe(0);
      const r = relativeResidual(g, m, shift, host.x, c, k);
      expect(r).toBeLessThan(1e-10);
      expect(host.relativeResidual).toBeCloseTo(r, 12);
      const backend = await solveSpd(g, m, c, k, { shift, path: 'backend' });
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < host.x.length; i++) {
        diff += (host.x[i] - backend.x[i]) ** 2;
        norm += host.x[i] ** 2;
      }
      // The backend stops refining at a residual of 1e-6; times the systems' condition (~1e4) that bounds the gap.
      expect(Math.sqrt(diff / (norm || 1))).toBeLessThan(1e-2);
      expect(backend.relativeResidual).toBeLessThan(1e-5);
    }
  });

  it('the host path pairs rows and right-hand sides: odd and even sizes and widths all solve to float64 accuracy', async () => {
    for (const m of [1, 2, 3, 64, 65, 129]) {
      for (const width of [1, 2, 3, 7]) {
        const { g, c, k, shift } = await gramProblem(m, width, 31 * m + width);
        const host = await solveSpd(g, m, c, k, { shift, path: 'host' });
        expect(relativeResidual(g, m, shift, host.x, c, k)).toBeLessThan(1e-10);
      }
    }
  });

  it('factor and solve agree with a float64 reference on a small matrix, for block sizes that split it unevenly', async () => {
    const m = 37;
    const { g, c, k, shift } = await gramProblem(m, 3, 11);
    const a = new Float32Array(m * m);
    for (let i = 0; i < m * m; i++) a[i] = g[i];
    for (let i = 0; i < m; i++) a[i * m + i] += shift;
    const reference = choleskyHost(a, m);
    for (const block of [1, 8, 16, 64]) {
      const at = tf.tensor2d(a, [m, m]);
      const f = await choleskyFactor(at, block);
      // Reassemble L from its block columns.
      const l = new Float64Array(m * m);
      for (let q = 0; q < f.offsets.length; q++) {
        const off = f.offsets[q];
        const w = f.diag[q].shape[0];
        const d = await f.diag[q].data();
        const b = await f.below[q].data();
        for (let i = 0; i < w; i++) for (let j = 0; j < w; j++) l[(off + i) * m + off + j] = d[i * w + j];
        for (let i = 0; i < m - off - w; i++) for (let j = 0; j < w; j++) l[(off + w + i) * m + off + j] = b[i * w + j];
      }
      let err = 0;
      for (let i = 0; i < m * m; i++) err = Math.max(err, Math.abs(l[i] - reference[i]));
      expect(err).toBeLessThan(1e-4);
      const ct = tf.tensor2d(Float32Array.from(c), [m, k]);
      const xt = await choleskySolve(f, ct);
      const x = Float64Array.from(await xt.data());
      expect(relativeResidual(g, m, shift, x, c, k)).toBeLessThan(1e-3);
      tf.dispose([at, ct, xt]);
      disposeCholeskyFactor(f);
    }
  });

  it('triangularSolveRows solves L x = b and L^T x = b row by row', async () => {
    const l = tf.tensor2d([2, 0, 0, 1, 3, 0, -1, 2, 4], [3, 3]);
    const b = tf.tensor2d([2, 7, 13, 4, 5, 6], [2, 3]);
    const forward = await triangularSolveRows(l, b, false);
    const backward = await triangularSolveRows(l, b, true);
    const f = await forward.data();
    const bw = await backward.data();
    // Row 0: 2x0 = 2 -> 1; x0 + 3x1 = 7 -> 2; -x0 + 2x1 + 4x2 = 13 -> 2.5.
    expect(Array.from(f.slice(0, 3))).toEqual([1, 2, 2.5]);
    // Row 1 of L^T x = b: 4x2 = 6 -> 1.5; 3x1 + 2x2 = 5 -> 2/3; 2x0 + x1 - x2 = 4 -> 2.41666...
    expect(bw[5]).toBeCloseTo(1.5, 6);
    expect(bw[4]).toBeCloseTo(2 / 3, 6);
    expect(bw[3]).toBeCloseTo((4 - 2 / 3 + 1.5) / 2, 6);
    tf.dispose([l, b, forward, backward]);
  });
});

/** Unblocked float64 Cholesky, the reference. */
function choleskyHost(a: Float32Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    l[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}
