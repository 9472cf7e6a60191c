/** Solving (A + shift I) X = B for a float64 symmetric positive-definite A: float64 host Cholesky when small, else float32 Cholesky plus float64 refinement. */
import * as tf from '@tensorflow/tfjs';
import { solveSpdWasm } from '../kernels/spd_host_wasm';
import { CHOLESKY_BLOCK_SIZE, choleskyFactor, choleskySolve, disposeCholeskyFactor } from './cholesky';

/** Options of solveSpd. */
export interface SpdSolveOptions {
  /** Added to A's diagonal (a ridge penalty); default 0. */
  shift?: number;
  /** Stop refining once ||B - (A + shift I) X|| / ||B|| is at most this; default 1e-6. */
  tolerance?: number;
  /** Most refinement steps (each: one residual in float64 on the host, one float32 solve); default 4. */
  maxRefinements?: number;
  blockSize?: number;
  /**
   * Where to factor: `backend` (float32 on the tfjs backend, WGSL on WebGPU, then refinement), `host` (float64
   * loops, exact to float64 rounding), or `auto` (default): the host up to HOST_SOLVE_MAX_SIZE, the backend above.
   */
  path?: 'auto' | 'backend' | 'host';
  /** Host path only: false skips the float64 residual (n^2 k multiply-adds) and reports NaN; default true. */
  residual?: boolean;
}

/**
 * Largest system `auto` factors on the host. Measured with `npx tsx bench/analytic/solve-paths.ts` (Node, WASM):
 * up to 256 the host was 2.5-13x faster (the backend pays per-block dispatches and read-backs), at 512 0.86x.
 */
export const HOST_SOLVE_MAX_SIZE = 256;

/** What solveSpd returns. */
export interface SpdSolveResult {
  /** The solution, n x k row-major, float64. */
  x: Float64Array;
  /** ||B - (A + shift I) X||_F / ||B||_F of the returned X, computed in float64. */
  relativeResidual: number;
  refinements: number;
}

/** R = B - (A + shift I) X in float64 (A n x n, X and B n x k, row-major); returns ||R||_F. */
export function residualInto(r: Float64Array, a: Float64Array, n: number, shift: number, x: Float64Array, b: Float64Array, k: number): number {
  const acc = new Float64Array(k);
  let norm = 0;
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const aij = a[row + j];
      if (aij === 0) continue;
      const xj = j * k;
      for (let c = 0; c < k; c++) acc[c] += aij * x[xj + c];
    }
    for (let c = 0; c < k; c++) {
      const v = b[i * k + c] - acc[c] - shift * x[i * k + c];
      r[i * k + c] = v;
      norm += v * v;
    }
  }
  return Math.sqrt(norm);
}

/**
 * Solves (A + shift I) X = B where A (n x n, symmetric positive semi-definite, row-major float64) and B (n x k)
 * live on the host in float64. The factorisation and the solves run in float32 on the tfjs backend
 * (choleskyFactor / choleskySolve: WGSL on WebGPU); mixed-precision iterative refinement with float64 residuals
 * then brings the residual to float64-like accuracy as long as the float32 factor is not useless (condition
 * number below ~1e6). Throws a specific error when the matrix is not positive definite in float32.
 */
export async function solveSpd(a: Float64Array, n: number, b: Float64Array, k: number, options: SpdSolveOptions = {}): Promise<SpdSolveResult> {
  const shift = options.shift ?? 0;
  const tolerance = options.tolerance ?? 1e-6;
  const maxRefinements = options.maxRefinements ?? 4;
  if (!Number.isInteger(n) || n < 1 || a.length !== n * n) throw new Error(`solveSpd: A must hold ${n} x ${n} values, got ${a.length}`);
  if (!Number.isInteger(k) || k < 1 || b.length !== n * k) throw new Error(`solveSpd: B must hold ${n} x ${k} values, got ${b.length}`);
  if (!Number.isFinite(shift) || shift < 0) throw new Error(`solveSpd: shift must be finite and >= 0, got ${shift}`);
  const path = options.path ?? 'auto';
  if (path === 'host' || (path === 'auto' && n <= HOST_SOLVE_MAX_SIZE)) return solveSpdHost(a, n, b, k, shift, options.residual ?? true);
  const a32 = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) a32[i] = a[i];
  for (let i = 0; i < n; i++) a32[i * n + i] = a[i * n + i] + shift;
  if (!a32.every(Number.isFinite)) throw new Error('solveSpd: A has non-finite values');
  const aTensor = tf.tensor2d(a32, [n, n]);
  const factor = await choleskyFactor(aTensor, options.blockSize ?? CHOLESKY_BLOCK_SIZE).finally(() => aTensor.dispose());
  try {
    const solve = async (rhs: Float64Array): Promise<Float32Array> => {
      const t = tf.tensor2d(Float32Array.from(rhs), [n, k]);
      const out = await choleskySolve(factor, t).finally(() => t.dispose());
      const values = (await out.data()) as Float32Array;
      out.dispose();
      return values;
    };
    let bNorm = 0;
    for (let i = 0; i < b.length; i++) bNorm += b[i] * b[i];
    bNorm = Math.sqrt(bNorm) || 1;
    const x = Float64Array.from(await solve(b));
    const r = new Float64Array(n * k);
    let relativeResidual = residualInto(r, a, n, shift, x, b, k) / bNorm;
    let refinements = 0;
    while (relativeResidual > tolerance && refinements < maxRefinements && Number.isFinite(relativeResidual)) {
      const d = await solve(r);
      for (let i = 0; i < x.length; i++) x[i] += d[i];
      refinements++;
      const next = residualInto(r, a, n, shift, x, b, k) / bNorm;
      // A factor too inexact for this matrix makes refinement diverge: keep the better iterate and stop.
      if (!(next < relativeResidual)) {
        for (let i = 0; i < x.length; i++) x[i] -= d[i];
        break;
      }
      relativeResidual = next;
    }
    if (!Number.isFinite(relativeResidual)) {
      throw new Error('solveSpd: the matrix is not positive definite in float32 (the factorisation broke down); raise the shift');
    }
    return { x, relativeResidual, refinements };
  } finally {
    disposeCholeskyFactor(factor);
  }
}

/** Throws unless `s` is a usable pivot of row `i` (positive and finite). */
function checkPivot(s: number, i: number): void {
  if (!(s > 0) || !Number.isFinite(s)) throw new Error(`solveSpd: the matrix is not positive definite (pivot ${s} at row ${i}); raise the shift`);
}

/** One entry of L by its plain dot product: L[i][j] (i > j) or the diagonal L[i][i] (for the blocks' edges). */
function choleskyEntry(a: Float64Array, l: Float64Array, n: number, shift: number, i: number, j: number): void {
  const ri = i * n;
  const rj = j * n;
  let s = 0;
  for (let p = 0; p < j; p++) s += l[ri + p] * l[rj + p];
  if (i === j) {
    const d = a[ri + i] + shift - s;
    checkPivot(d, i);
    l[ri + i] = Math.sqrt(d);
  } else {
    l[ri + j] = (a[ri + j] - s) / l[rj + j];
  }
}

/**
 * Cholesky factor L (row-major, lower triangle) of A + shift I, in float64. Each entry is a dot product of two row
 * prefixes (n^3/6 multiply-adds in all); they are computed two rows by two columns at a time, so each value read
 * serves two products: V8's code runs ~1.9x faster than one entry at a time (an ad-hoc microbenchmark in Node:
 * 1.5 ms against 2.6-4 ms at n = 256). Each dot product still sums its terms in order, as one at a time does.
 */
export function choleskyHost(a: Float64Array, n: number, shift = 0): Float64Array {
  const l = new Float64Array(n * n);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const r0 = i * n;
    const r1 = r0 + n;
    for (let j = 0; j + 1 < i; j += 2) {
      const c0 = j * n;
      const c1 = c0 + n;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let p = 0; p < j; p++) {
        const x0 = l[r0 + p];
        const x1 = l[r1 + p];
        const y0 = l[c0 + p];
        const y1 = l[c1 + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      // Column j first; column j + 1's sums then take its last term, L[.][j] L[j+1][j].
      const v00 = (a[r0 + j] - s00) / l[c0 + j];
      const v10 = (a[r1 + j] - s10) / l[c0 + j];
      l[r0 + j] = v00;
      l[r1 + j] = v10;
      const y1j = l[c1 + j];
      l[r0 + j + 1] = (a[r0 + j + 1] - (s01 + v00 * y1j)) / l[c1 + j + 1];
      l[r1 + j + 1] = (a[r1 + j + 1] - (s11 + v10 * y1j)) / l[c1 + j + 1];
    }
    // The 2 x 2 block on the diagonal.
    choleskyEntry(a, l, n, shift, i, i);
    choleskyEntry(a, l, n, shift, i + 1, i);
    choleskyEntry(a, l, n, shift, i + 1, i + 1);
  }
  // An odd n leaves one row.
  for (; i < n; i++) for (let j = 0; j <= i; j++) choleskyEntry(a, l, n, shift, i, j);
  return l;
}

/**
 * Solves L L^T X = B (L from choleskyHost, B n x k row-major) in float64. The right-hand sides are transposed so
 * that each substitution step is a dot product of contiguous rows (L's for the forward pass, L^T's for the back
 * pass), two right-hand sides at a time: ~2x faster in V8 than row-wise updates over the k columns.
 */
export function choleskySolveHost(l: Float64Array, n: number, b: Float64Array, k: number): Float64Array {
  const z = new Float64Array(k * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) z[c * n + i] = b[i * k + c];
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = l[i * n + j];
  // Forward (L z = b): row i of L against the solved prefix; back (L^T x = z): row i of U = L^T against the suffix.
  substitute(l, n, z, k, true);
  substitute(u, n, z, k, false);
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) x[i * k + c] = z[c * n + i];
  return x;
}

/** One triangular pass in place over the k transposed right-hand sides `z` (k x n): forward with L, or back with U. */
function substitute(t: Float64Array, n: number, z: Float64Array, k: number, forward: boolean): void {
  for (let c = 0; c < k; c += 2) {
    const z0 = c * n;
    // With an odd k the last pass pairs the last column with itself (the same sums twice, written twice).
    const z1 = c + 1 < k ? z0 + n : z0;
    for (let step = 0; step < n; step++) {
      const i = forward ? step : n - 1 - step;
      const ri = i * n;
      const from = forward ? 0 : i + 1;
      const to = forward ? i : n;
      // Two partial sums per right-hand side (even and odd p): independent multiply-adds run faster.
      let s0 = 0;
      let s1 = 0;
      let e0 = 0;
      let e1 = 0;
      let p = from;
      for (; p + 1 < to; p += 2) {
        const v = t[ri + p];
        const w = t[ri + p + 1];
        s0 += v * z[z0 + p];
        e0 += w * z[z0 + p + 1];
        s1 += v * z[z1 + p];
        e1 += w * z[z1 + p + 1];
      }
      if (p < to) {
        const v = t[ri + p];
        s0 += v * z[z0 + p];
        s1 += v * z[z1 + p];
      }
      const inv = 1 / t[ri + i];
      const x0 = (z[z0 + i] - (s0 + e0)) * inv;
      const x1 = (z[z1 + i] - (s1 + e1)) * inv;
      z[z0 + i] = x0;
      z[z1 + i] = x1;
    }
  }
}

/**
 * The host path of solveSpd: Cholesky in float64 (choleskyHost), then forward and back substitution on all k
 * columns (choleskySolveHost). No refinement is needed: the factor is float64. A is symmetric by contract and only
 * its lower triangle is read: a non-finite value there fails a pivot (then reported as A's), one above is not seen.
 */
export function solveSpdHost(a: Float64Array, n: number, b: Float64Array, k: number, shift = 0, residual = true): SpdSolveResult {
  if (!b.every(Number.isFinite)) throw new Error('solveSpd: B has non-finite values');
  let x: Float64Array;
  try {
    // The WebAssembly kernel where it runs (~3x faster in Chromium), else the same algorithm in JavaScript.
    x = solveSpdWasm(a, n, b, k, shift) ?? choleskySolveHost(choleskyHost(a, n, shift), n, b, k);
  } catch (e) {
    // A non-finite entry of A's lower triangle (the one read) always fails a pivot: A is only scanned then.
    if (!a.every(Number.isFinite)) throw new Error('solveSpd: A has non-finite values', { cause: e });
    throw e;
  }
  if (!residual) {
    if (!x.every(Number.isFinite)) throw new Error('solveSpd: the solution is not finite');
    return { x, relativeResidual: NaN, refinements: 0 };
  }
  let bNorm = 0;
  for (let i = 0; i < b.length; i++) bNorm += b[i] * b[i];
  const relativeResidual = residualInto(new Float64Array(n * k), a, n, shift, x, b, k) / (Math.sqrt(bNorm) || 1);
  if (!Number.isFinite(relativeResidual)) throw new Error('solveSpd: the solution is not finite (A or B has non-finite values)');
  return { x, relativeResidual, refinements: 0 };
}
