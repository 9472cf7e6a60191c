/** WebGPU program that copies one range of a flat buffer scaled by a 1-element tensor (a fused loss's backward). */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import scalarSource from '../../shaders/scale_slice.wgsl?raw';
import vec4Source from '../../shaders/scale_slice_vec4.wgsl?raw';

/** Threads per workgroup (tfjs's default for elementwise kernels). */
export const SCALE_SLICE_WORKGROUP_SIZE = 64;

/** Elements one invocation handles (one vec4, or 4 scalars when the range is not vec4-aligned). */
export const SCALE_SLICE_ELEMENTS_PER_THREAD = 4;

/**
 * `X[offset .. offset+count) * dy[0]` as a new flat tensor (see shaders/scale_slice*.wgsl).
 * Inputs: X (flat arena), dy (1 element). Uniforms: offset, count (runtime values, never in the shader key).
 * When offset and count are multiples of 4, X and the output are bound as vec4 arrays (the key says which variant).
 */
export class ScaleSliceProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['X', 'dy'];
  workgroupSize: [number, number, number] = [SCALE_SLICE_WORKGROUP_SIZE, 1, 1];
  uniforms = 'offset : i32, count : i32,';
  outputComponent: number;
  variableComponents: number[];
  /** Elements really read (the range and dy) and written. */
  accessed: { read: number[]; written: number };
  private readonly vec4: boolean;

  /** `count` = elements of the range, `offset` = where it starts in X (the same values go in the uniforms). */
  constructor(count: number, offset: number) {
    this.vec4 = count % 4 === 0 && offset % 4 === 0;
    this.outputComponent = this.vec4 ? 4 : 1;
    this.variableComponents = this.vec4 ? [4, 1] : [1, 1];
    this.shaderKey = this.vec4 ? 'retainScaleSliceVec4' : 'retainScaleSlice4';
    this.outputShape = [count];
    this.dispatch = [Math.ceil(count / (SCALE_SLICE_WORKGROUP_SIZE * SCALE_SLICE_ELEMENTS_PER_THREAD)), 1, 1];
    this.accessed = { read: [count, 1], written: count };
  }

  getUserCode(): string {
    return this.vec4 ? vec4Source : scalarSource;
  }
}
