/** WebGPU program of the fused EWC penalty + gradient with a workgroup tree reduction (hardware adapters). */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/ewc_penalty_tree.wgsl?raw';
import { workgroupConstant } from './workgroup';

/** Threads per workgroup of the tree-reduction EWC kernel (its shared array has this many slots). */
export const EWC_TREE_WORKGROUP_SIZE = workgroupConstant(source, 'EWC_TREE_WORKGROUP_SIZE');

/** Most workgroups one dispatch uses: a few per compute unit of a large GPU (132 SMs x 4), so partials stay few. */
export const EWC_TREE_MAX_WORKGROUPS = 512;

/** Workgroups (= partial sums) a dispatch over `count` elements uses. */
export function ewcTreeWorkgroups(count: number): number {
  return Math.max(1, Math.min(EWC_TREE_MAX_WORKGROUPS, Math.ceil(count / EWC_TREE_WORKGROUP_SIZE)));
}

/**
 * Fused EWC over one range of the parameter arena with one partial sum per workgroup (see
 * shaders/ewc_penalty_tree.wgsl). Inputs: P0..P4 (parameter tensors; unused slots repeat P0), A and F (anchor and
 * Fisher arenas). Output: the shared arena `[gradient (total) | partial sums]`. Uniforms: lambda, start, count,
 * total, partialBase, gridThreads, end0..end3.
 */
export class EwcPenaltyTreeProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainEwcPenaltyTree';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['P0', 'P1', 'P2', 'P3', 'P4', 'A', 'F'];
  workgroupSize: [number, number, number] = [EWC_TREE_WORKGROUP_SIZE, 1, 1];
  uniforms =
    'lambda : f32, start : i32, count : i32, total : i32, partialBase : i32, gridThreads : i32, end0 : i32, end1 : i32, end2 : i32, end3 : i32,';
  /** Elements really read (theta, anchors, Fisher over `count`) and written (gradient + partials). */
  accessed: { read: number[]; written: number };

  constructor(arenaSize: number, count: number) {
    this.outputShape = [arenaSize];
    const workgroups = ewcTreeWorkgroups(count);
    this.dispatch = [workgroups, 1, 1];
    this.accessed = { read: [count, count, count], written: count + workgroups };
  }

  getUserCode(): string {
    return source;
  }
}
