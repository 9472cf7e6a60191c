/** WebGPU program that copies one range of a flat buffer scaled by a 1-element tensor (a fused loss's backward). */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/scale_slice.wgsl?raw';

/** Threads per workgroup (tfjs's default for elementwise kernels). */
export const SCALE_SLICE_WORKGROUP_SIZE = 64;

/**
 * `X[offset .. offset+count) * dy[0]` as a new flat tensor (see shaders/scale_slice.wgsl).
 * Inputs: X (flat arena), dy (1 element). Uniforms: offset, count.
 */
export class ScaleSliceProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainScaleSlice';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['X', 'dy'];
  workgroupSize: [number, number, number] = [SCALE_SLICE_WORKGROUP_SIZE, 1, 1];
  uniforms = 'offset : i32, count : i32,';
  /** Elements really read (the range and dy) and written. */
  accessed: { read: number[]; written: number };

  constructor(count: number) {
    this.outputShape = [count];
    this.dispatch = [Math.ceil(count / SCALE_SLICE_WORKGROUP_SIZE), 1, 1];
    this.accessed = { read: [count, 1], written: count };
  }

  getUserCode(): string {
    return source;
  }
}
