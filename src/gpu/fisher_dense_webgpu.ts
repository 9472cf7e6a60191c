/** WebGPU program of the batched dense-layer Fisher: (X o X)^T (D o D) folded into the running Fisher. */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/fisher_dense.wgsl?raw';

/** Threads per workgroup (one output element each). */
export const FISHER_DENSE_WORKGROUP_SIZE = 64;

/**
 * `F * gamma + scale * sum_s X[s,i]^2 D[s,j]^2` (kernel) or `F * gamma + scale * sum_s D[s,j]^2` (bias, X unread)
 * (see shaders/fisher_dense.wgsl). Inputs: F (flat), X [rows x inDim], D [rows x outDim], all flat.
 * Uniforms: gamma, scale, rows, inDim, outDim, biasOnly.
 */
export class FisherDenseProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainFisherDense';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['F', 'X', 'D'];
  workgroupSize: [number, number, number] = [FISHER_DENSE_WORKGROUP_SIZE, 1, 1];
  uniforms = 'gamma : f32, scale : f32, rows : i32, inDim : i32, outDim : i32, biasOnly : i32,';
  /** Elements really read (F once, X and D once each from memory) and written. */
  accessed: { read: number[]; written: number };

  constructor(outputs: number, xElements: number, dElements: number) {
    this.outputShape = [outputs];
    this.dispatch = [Math.ceil(outputs / FISHER_DENSE_WORKGROUP_SIZE), 1, 1];
    this.accessed = { read: [outputs, xElements, dElements], written: outputs };
  }

  getUserCode(): string {
    return source;
  }
}
