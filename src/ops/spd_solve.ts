/** Solving (A + shift I) X = B for a float64 symmetric positive-definite A: float32 Cholesky plus float64 refinement. */
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
}

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
