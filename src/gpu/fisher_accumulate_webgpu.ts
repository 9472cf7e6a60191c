/** WebGPU program of the running Fisher update F * gamma + g^2 * scale, one dispatch per tensor. */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/fisher_accumulate.wgsl?raw';

/** Threads per workgroup of the Fisher update (tfjs's default for elementwise kernels). */
export const FISHER_WORKGROUP_SIZE = 64;

/**
 * Elementwise `F * gamma + g^2 * scale` for one parameter tensor (see shaders/fisher_accumulate.wgsl).
 * Inputs: F, G (flattened, same size). Output: the new Fisher, flat. Uniforms: gamma, scale, count.
 */
export class FisherAccumulateProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainFisherAccumulate';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['F', 'G'];
  workgroupSize: [number, number, number] = [FISHER_WORKGROUP_SIZE, 1, 1];
  uniforms = 'gamma : f32, scale : f32, count : i32,';

  constructor(size: number) {
    this.outputShape = [size];
    this.dispatch = [Math.ceil(size / FISHER_WORKGROUP_SIZE), 1, 1];
  }

  getUserCode(): string {
    return source;
  }
}
