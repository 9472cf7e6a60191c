/** Blocked Cholesky factorisation and triangular solves on tfjs tensors: WGSL small blocks on WebGPU, loops elsewhere. */
import * as tf from '@tensorflow/tfjs';
import { CHOLESKY_BLOCK_KERNEL, TRIANGULAR_SOLVE_ROWS_KERNEL, kernelFor } from '../kernels/registry';

/**
 * Lower Cholesky factor L of an n x n matrix (A = L L^T), kept on the backend as block columns: block k covers
 * columns [offsets[k], offsets[k] + diag[k].shape[0]) with its diagonal block and the rows below it.
 */
export interface CholeskyFactor {
  readonly size: number;
  readonly offsets: readonly number[];
  readonly diag: readonly tf.Tensor2D[];
  /** Rows below the diagonal block (n - offset - blockSize of them; 0 rows for the last block). */
  readonly below: readonly tf.Tensor2D[];
}

/** Default block width: the diagonal blocks the small kernels factor; the rest of the work is matMuls. */
export const CHOLESKY_BLOCK_SIZE = 128;

function assertSquare(op: string, a: tf.Tensor): void {
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) throw new Error(`${op}: expected a square matrix, got shape [${a.shape}]`);
  if (a.dtype !== 'float32') throw new Error(`${op}: expected float32, got ${a.dtype}`);
}

/** Factors one small SPD block in float64 host loops (the reference and the WASM / CPU path). */
function factorBlockHost(a: Float32Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k <= i; k++) l[i * n + k] = a[i * n + k];
  for (let j = 0; j < n; j++) {
    const pivot = l[j * n + j];
    if (!(pivot > 0)) throw new Error(`choleskyFactor: the matrix is not positive definite (pivot ${pivot} at column ${j} of a block)`);
    const d = Math.sqrt(pivot);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) l[i * n + j] /= d;
    for (let i = j + 1; i < n; i++) {
      const lij = l[i * n + j];
      for (let k = j + 1; k <= i; k++) l[i * n + k] -= lij * l[k * n + j];
    }
  }
  return l;
}

/** Row-wise triangular solves in float64 host loops: L x = b (or L^T x = b) for each row b of B (rows x n). */
function solveRowsHost(l: ArrayLike<number>, b: Float32Array, rows: number, n: number, transposed: boolean): Float32Array {
  const out = new Float32Array(rows * n);
  const x = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    if (!transposed) {
      for (let i = 0; i < n; i++) {
        let s = b[base + i];
        const li = i * n;
        for (let j = 0; j < i; j++) s -= l[li + j] * x[j];
        x[i] = s / l[li + i];
      }
    } else {
      for (let i = n - 1; i >= 0; i--) {
        let s = b[base + i];
        for (let j = i + 1; j < n; j++) s -= l[j * n + i] * x[j];
        x[i] = s / l[i * n + i];
      }
    }
    for (let i = 0; i < n; i++) out[base + i] = x[i];
  }
  return out;
}

/**
 * Solves L x = b (transposed false) or L^T x = b (true) for every row b of B, L lower triangular (n x n), B rows x n.
 * WGSL kernel on WebGPU (no read-back); float64 loops on the host elsewhere.
 */
export async function triangularSolveRows(l: tf.Tensor2D, b: tf.Tensor2D, transposed: boolean): Promise<tf.Tensor2D> {
  assertSquare('triangularSolveRows', l);
  if (b.rank !== 2 || b.shape[1] !== l.shape[0]) {
    throw new Error(`triangularSolveRows: B must be rows x ${l.shape[0]}, got shape [${b.shape}]`);
  }
  const fused = kernelFor(TRIANGULAR_SOLVE_ROWS_KERNEL);
  if (fused) return fused([l, b], { transposed: transposed ? 1 : 0 })[0] as tf.Tensor2D;
  const [rows, n] = b.shape;
  const [lv, bv] = await Promise.all([l.data() as Promise<Float32Array>, b.data() as Promise<Float32Array>]);
  return tf.tensor2d(solveRowsHost(lv, bv, rows, n, transposed), [rows, n]);
}

/**
 * One block column of the factorisation: `panel` holds the updated columns (its first `width` rows are the
 * diagonal block). Returns the diagonal factor L11 and the rows below, L21 = A21 L11^-T.
 */
async function factorPanel(panel: tf.Tensor2D, width: number): Promise<{ diag: tf.Tensor2D; below: tf.Tensor2D }> {
  const rest = panel.shape[0] - width;
  const fused = kernelFor(CHOLESKY_BLOCK_KERNEL);
  if (fused && kernelFor(TRIANGULAR_SOLVE_ROWS_KERNEL)) {
    const top = tf.slice(panel, [0, 0], [width, width]);
    const diag = fused([top], {})[0] as tf.Tensor2D;
    top.dispose();
    const a21 = tf.slice(panel, [width, 0], [rest, width]);
    const below = await triangularSolveRows(diag, a21, false);
    a21.dispose();
    return { diag, below };
  }
  // Host path: one read-back of the whole panel, the block and the panel solve in float64 loops.
  const values = (await panel.data()) as Float32Array;
  const l = factorBlockHost(values.subarray(0, width * width), width);
  const below = solveRowsHost(l, values.subarray(width * width), rest, width, false);
  return { diag: tf.tensor2d(Float32Array.from(l), [width, width]), below: tf.tensor2d(below, [rest, width]) };
}

/**
 * Blocked left-looking Cholesky of a symmetric positive-definite float32 matrix (only its lower triangle is
 * read). Per block column: the update by the columns already factored is one matMul (the bulk of the n^3/3
 * flops, at matMul speed on every backend), then the small diagonal block and the panel below it are factored
 * by the WGSL kernels on WebGPU or host loops elsewhere. Throws when a host pivot is not positive; on WebGPU a
 * failed pivot shows as non-finite values in the solve (checked by solveSpd).
 */
export async function choleskyFactor(a: tf.Tensor2D, blockSize = CHOLESKY_BLOCK_SIZE): Promise<CholeskyFactor> {
  assertSquare('choleskyFactor', a);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`choleskyFactor: block size must be a positive integer, got ${blockSize}`);
  const n = a.shape[0];
  if (n === 0) throw new Error('choleskyFactor: the matrix is empty');
  const offsets: number[] = [];
  const diag: tf.Tensor2D[] = [];
  const below: tf.Tensor2D[] = [];
  // Columns 0..off of L restricted to rows off..n, grown by one block column per step.
  let left: tf.Tensor2D | null = null;
  try {
    for (let off = 0; off < n; off += blockSize) {
      const width = Math.min(blockSize, n - off);
      const panel = tf.tidy(() => {
        const p = tf.slice(a, [off, off], [n - off, width]);
        if (!left) return p;
        const top = tf.slice(left, [0, 0], [width, off]);
        return tf.sub(p, tf.matMul(left, top, false, true)) as tf.Tensor2D;
      });
      const block = await factorPanel(panel, width).finally(() => panel.dispose());
      offsets.push(off);
      diag.push(block.diag);
      below.push(block.below);
      if (off + width < n) {
        const previous: tf.Tensor2D | null = left;
        left = tf.tidy(() =>
          previous ? (tf.concat([tf.slice(previous, [width, 0], [n - off - width, off]), block.below], 1) as tf.Tensor2D) : tf.clone(block.below),
        );
        previous?.dispose();
      }
    }
  } catch (e) {
    tf.dispose([...diag, ...below]);
    throw e;
  } finally {
    left?.dispose();
  }
  return { size: n, offsets, diag, below };
}

/** Frees a factor's tensors. */
export function disposeCholeskyFactor(factor: CholeskyFactor): void {
  tf.dispose([...factor.diag, ...factor.below]);
}

/**
 * Solves A X = B with A = L L^T from choleskyFactor; B is n x k. Blocked forward then back substitution on the
 * transposed right-hand sides: the small triangles go to triangularSolveRows, the coupling to matMuls.
 */
export async function choleskySolve(factor: CholeskyFactor, b: tf.Tensor2D): Promise<tf.Tensor2D> {
  const n = factor.size;
  if (b.rank !== 2 || b.shape[0] !== n) throw new Error(`choleskySolve: B must be ${n} x k, got shape [${b.shape}]`);
  const k = b.shape[1];
  const blocks = factor.offsets.length;
  // Forward: L Y = B, on rows (Y^T).
  const ys: tf.Tensor2D[] = [];
  let rest = tf.transpose(b) as tf.Tensor2D;
  try {
    for (let q = 0; q < blocks; q++) {
      const width = factor.diag[q].shape[0];
      const head = tf.slice(rest, [0, 0], [k, width]);
      const y = await triangularSolveRows(factor.diag[q], head, false);
      head.dispose();
      ys.push(y);
      const below = factor.below[q];
      if (below.shape[0] === 0) break;
      const previous = rest;
      rest = tf.tidy(() => tf.sub(tf.slice(previous, [0, width], [k, below.shape[0]]), tf.matMul(y, below, false, true)) as tf.Tensor2D);
      previous.dispose();
    }
  } finally {
    rest.dispose();
  }
  // Back: L^T X = Y, last block first; `after` holds the rows of X^T already solved.
  let after: tf.Tensor2D | null = null;
  try {
    for (let q = blocks - 1; q >= 0; q--) {
      const prev: tf.Tensor2D | null = after;
      const rhs = prev ? (tf.tidy(() => tf.sub(ys[q], tf.matMul(prev, factor.below[q]))) as tf.Tensor2D) : ys[q];
      const x = await triangularSolveRows(factor.diag[q], rhs, true);
      if (rhs !== ys[q]) rhs.dispose();
      after = prev ? (tf.concat([x, prev], 1) as tf.Tensor2D) : x;
      if (prev) {
        prev.dispose();
        x.dispose();
      }
    }
    const done = after!;
    after = null;
    const out = tf.transpose(done) as tf.Tensor2D;
    done.dispose();
    return out;
  } finally {
    after?.dispose();
    tf.dispose(ys);
  }
}
