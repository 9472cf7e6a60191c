/** The WebGPU program for row-wise triangular solves with a lower-triangular block (triangular_solve_rows.wgsl). */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/triangular_solve_rows.wgsl?raw';

/** Threads per workgroup: one row (right-hand side) per thread. */
export const TRIANGULAR_SOLVE_WORKGROUP_SIZE = 64;

/**
 * Solves L x = b (transposed = 0) or L^T x = b (transposed = 1) for every row b of B.
 * Inputs: L (n x n, lower triangular), B (rows x n). Output: X (rows x n). Uniforms: rows, n, transposed.
 */
export class TriangularSolveRowsProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainTriangularSolveRows';
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  variableNames = ['L', 'B'];
  workgroupSize: [number, number, number] = [TRIANGULAR_SOLVE_WORKGROUP_SIZE, 1, 1];
  uniforms = 'rows : i32, n : i32, transposed : i32,';

  constructor(rows: number, n: number) {
    this.outputShape = [rows, n];
    this.dispatch = [Math.ceil(rows / TRIANGULAR_SOLVE_WORKGROUP_SIZE), 1, 1];
  }

  getUserCode(): string {
    return source;
  }
}
