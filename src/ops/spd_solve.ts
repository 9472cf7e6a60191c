/** Solving (A + shift I) X = B for a float64 symmetric positive-definite A: float64 host Cholesky when small, else float32 Cholesky plus float64 refinement. */
import * as tf from '@tensorflow/tfjs';
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

/**
 * The host path of solveSpd: Cholesky in float64 (row-oriented, inner loops over contiguous rows), then forward and
 * back substitution on all k columns at once. No refinement is needed: the factor is float64.
 */
export function solveSpdHost(a: Float64Array, n: number, b: Float64Array, k: number, shift = 0, residual = true): SpdSolveResult {
  if (!a.every(Number.isFinite)) throw new Error('solveSpd: A has non-finite values');
  if (!b.every(Number.isFinite)) throw new Error('solveSpd: B has non-finite values');
  // L row-major, lower triangle: L[i][j] = (A[i][j] - sum_p<j L[i][p] L[j][p]) / L[j][j], each sum a dot product of
  // two row prefixes (contiguous), n^3/6 multiply-adds in all.
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      // Four partial sums: independent multiply-adds let V8's code run ~2x faster than one running sum.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let p = 0;
      for (; p + 3 < j; p += 4) {
        s0 += l[ri + p] * l[rj + p];
        s1 += l[ri + p + 1] * l[rj + p + 1];
        s2 += l[ri + p + 2] * l[rj + p + 2];
        s3 += l[ri + p + 3] * l[rj + p + 3];
      }
      for (; p < j; p++) s0 += l[ri + p] * l[rj + p];
      const s = a[ri + j] + (i === j ? shift : 0) - (s0 + s1 + s2 + s3);
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) {
          throw new Error(`solveSpd: the matrix is not positive definite (pivot ${s} at row ${i}); raise the shift`);
        }
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / l[rj + j];
      }
    }
  }
  // L z = B, then L^T x = z, row by row over the k right-hand sides.
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const xi = i * k;
    for (let c = 0; c < k; c++) x[xi + c] = b[xi + c];
    for (let p = 0; p < i; p++) {
      const lip = l[ri + p];
      if (lip === 0) continue;
      const xp = p * k;
      for (let c = 0; c < k; c++) x[xi + c] -= lip * x[xp + c];
    }
    const inv = 1 / l[ri + i];
    for (let c = 0; c < k; c++) x[xi + c] *= inv;
  }
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * k;
    for (let p = i + 1; p < n; p++) {
      const lpi = l[p * n + i];
      if (lpi === 0) continue;
      const xp = p * k;
      for (let c = 0; c < k; c++) x[xi + c] -= lpi * x[xp + c];
    }
    const inv = 1 / l[i * n + i];
    for (let c = 0; c < k; c++) x[xi + c] *= inv;
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
