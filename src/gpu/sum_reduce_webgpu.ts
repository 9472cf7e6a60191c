/** WebGPU program that finishes a loss: the scaled sum of a range of partial sums, in one workgroup. */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/sum_reduce.wgsl?raw';
import { workgroupConstant } from './workgroup';

/** Threads of the single reduction workgroup. */
export const REDUCE_WORKGROUP_SIZE = workgroupConstant(source, 'REDUCE_WORKGROUP_SIZE');

/**
 * `scale * sum(X[offset .. offset+count))` in one workgroup, written to a 1-element output (see
 * shaders/sum_reduce.wgsl). Finishes the EWC penalty and the distillation loss from their partial sums.
 * Uniforms: offset, count, scale.
 */
export class SumReduceProgram implements WebGPUProgram {
  outputShape = [1];
  shaderKey = 'retainSumReduce';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number] = [1, 1, 1];
  variableNames = ['X'];
  workgroupSize: [number, number, number] = [REDUCE_WORKGROUP_SIZE, 1, 1];
  uniforms = 'offset : i32, count : i32, scale : f32,';
  /** Elements really read (the summed range) and written (one). */
  accessed: { read: number[]; written: number };

  /** `count` = elements summed (the same value goes in the count uniform). */
  constructor(count: number) {
    this.accessed = { read: [count], written: 1 };
  }

  getUserCode(): string {
    return source;
  }
}
