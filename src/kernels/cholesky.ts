/** WebGPU implementations of the solver's two small-block kernels (Cholesky block, row-wise triangular solve). */
import * as tf from '@tensorflow/tfjs';
import { CholeskyBlockProgram } from '../gpu/cholesky_block_webgpu';
import { TriangularSolveRowsProgram } from '../gpu/triangular_solve_rows_webgpu';
import { activeWebGpuBackend, assertFloat32, dispatchCounts, toTensor } from './backend';
import { CHOLESKY_BLOCK_KERNEL, TRIANGULAR_SOLVE_ROWS_KERNEL, registerFusedOp } from './registry';

function count(kernel: string): void {
  dispatchCounts[kernel] = (dispatchCounts[kernel] ?? 0) + 1;
}

/**
 * `RetainCholeskyBlock` on WebGPU: inputs `[A]` (n x n, symmetric positive definite, lower triangle read);
 * returns `[L]`, its lower Cholesky factor, without reading anything back.
 */
export function choleskyBlockWebGpu(inputs: tf.Tensor[]): tf.Tensor[] {
  const [a] = inputs;
  if (inputs.length !== 1 || a.rank !== 2 || a.shape[0] !== a.shape[1]) {
    throw new Error(`${CHOLESKY_BLOCK_KERNEL}: expected one square matrix, got shape ${a?.shape}`);
  }
  assertFloat32(CHOLESKY_BLOCK_KERNEL, inputs);
  const n = a.shape[0];
  const backend = activeWebGpuBackend(CHOLESKY_BLOCK_KERNEL);
  const out = backend.runWebGPUProgram(new CholeskyBlockProgram(n), [a], 'float32', [
    { type: 'int32', data: [n] },
  ]);
  count(CHOLESKY_BLOCK_KERNEL);
  return [toTensor(out)];
}

/**
 * `RetainTriangularSolveRows` on WebGPU: inputs `[L, B]` (L n x n lower triangular, B rows x n), attr
 * `{transposed}` (0: L x = b, 1: L^T x = b per row b of B); returns `[X]` (rows x n).
 */
export function triangularSolveRowsWebGpu(inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] {
  const [l, b] = inputs;
  if (inputs.length !== 2 || l.rank !== 2 || b.rank !== 2 || l.shape[0] !== l.shape[1] || b.shape[1] !== l.shape[0]) {
    throw new Error(`${TRIANGULAR_SOLVE_ROWS_KERNEL}: expected L (n x n) and B (rows x n), got ${l?.shape} and ${b?.shape}`);
  }
  assertFloat32(TRIANGULAR_SOLVE_ROWS_KERNEL, inputs);
  const [rows, n] = b.shape;
  if (rows === 0) return [tf.zeros([0, n])];
  const backend = activeWebGpuBackend(TRIANGULAR_SOLVE_ROWS_KERNEL);
  const out = backend.runWebGPUProgram(new TriangularSolveRowsProgram(rows, n), [l, b], 'float32', [
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [n] },
    { type: 'int32', data: [attrs.transposed ? 1 : 0] },
  ]);
  count(TRIANGULAR_SOLVE_ROWS_KERNEL);
  return [toTensor(out)];
}

/** Registers both solver kernels for the 'webgpu' backend (called by registerWebGpuKernels). */
export function registerSolverWebGpuKernels(): void {
  registerFusedOp(CHOLESKY_BLOCK_KERNEL, 'webgpu', choleskyBlockWebGpu);
  registerFusedOp(TRIANGULAR_SOLVE_ROWS_KERNEL, 'webgpu', triangularSolveRowsWebGpu);
}
