/** WebGPU program of the barrier-free fused EWC penalty + gradient (one partial sum per thread; software adapters). */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/ewc_penalty.wgsl?raw';
import { workgroupConstant } from './workgroup';

/** Threads per workgroup of the fused EWC kernel. */
export const EWC_WORKGROUP_SIZE = workgroupConstant(source, 'WORKGROUP_SIZE');

/** Parameter tensors one dispatch reads: 5 + anchor arena + Fisher arena = 7 inputs, the WebGPU default limit. */
export const EWC_PARAMS_PER_DISPATCH = 5;

/** Workgroups a dispatch over `count` elements with `perThread` elements per thread uses. */
export function ewcWorkgroups(count: number, perThread: number): number {
  return Math.ceil(count / (EWC_WORKGROUP_SIZE * perThread));
}

/** Partial-sum slots such a dispatch writes: one per thread of every workgroup. */
export function ewcPartialSlots(count: number, perThread: number): number {
  return ewcWorkgroups(count, perThread) * EWC_WORKGROUP_SIZE;
}

/**
 * Fused EWC penalty partial sums + gradient over one range of the parameter arena (see shaders/ewc_penalty.wgsl).
 * Inputs: P0..P4 (parameter tensors, flattened; unused slots repeat P0), A and F (anchor and Fisher arenas).
 * Output: the shared arena `[gradient (total) | partial sums]`; each dispatch writes its own disjoint range.
 * Uniforms (runtime values, never in the shader key): lambda, start, count, total, partialBase, perThread,
 * end0..end3.
 */
export class EwcPenaltyProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainEwcPenalty';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['P0', 'P1', 'P2', 'P3', 'P4', 'A', 'F'];
  workgroupSize: [number, number, number] = [EWC_WORKGROUP_SIZE, 1, 1];
  uniforms =
    'lambda : f32, start : i32, count : i32, total : i32, partialBase : i32, perThread : i32, end0 : i32, end1 : i32, end2 : i32, end3 : i32,';
  /** Elements really read (theta, anchors, Fisher over `count`) and written (gradient + partials). */
  accessed: { read: number[]; written: number };

  /**
   * `arenaSize` = gradient + partial-sum slots of the whole output; `count` = elements this dispatch covers;
   * `perThread` = elements each thread handles (the same value must go in the perThread uniform).
   */
  constructor(arenaSize: number, count: number, perThread: number) {
    this.outputShape = [arenaSize];
    this.dispatch = [ewcWorkgroups(count, perThread), 1, 1];
    this.accessed = { read: [count, count, count], written: count + ewcPartialSlots(count, perThread) };
  }

  getUserCode(): string {
    return source;
  }
}
