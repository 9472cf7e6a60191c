/** The WebGPU program that factors one diagonal block of the blocked Cholesky (shaders/cholesky_block.wgsl). */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/cholesky_block.wgsl?raw';
import { workgroupConstant } from './workgroup';

/** Threads of the one workgroup that factors a block. */
export const CHOLESKY_BLOCK_WORKGROUP_SIZE = workgroupConstant(source, 'WORKGROUP_SIZE');

/**
 * Cholesky factor L of one n x n symmetric positive-definite block (lower triangle read, zeros written above).
 * Input: A (n x n). Output: L (n x n). Uniform: n. One workgroup; n is a uniform, so every block size shares
 * one pipeline.
 */
export class CholeskyBlockProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainCholeskyBlock';
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number] = [1, 1, 1];
  variableNames = ['A'];
  workgroupSize: [number, number, number] = [CHOLESKY_BLOCK_WORKGROUP_SIZE, 1, 1];
  uniforms = 'n : i32,';

  constructor(n: number) {
    this.outputShape = [n, n];
  }

  getUserCode(): string {
    return source;
  }
}
