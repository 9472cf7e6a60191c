/** WebGPU program of the fused distillation KL with one workgroup per row (wide rows; online softmax). */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/distillation_kl.wgsl?raw';
import { workgroupConstant } from './workgroup';

/** Threads that share one row of logits. */
export const KL_WORKGROUP_SIZE = workgroupConstant(source, 'KL_WORKGROUP_SIZE');

/**
 * Fused distillation KL, one workgroup per row (see shaders/distillation_kl.wgsl).
 * Inputs: student [rows*studentCols], teacher [rows*teacherCols] (flattened).
 * Output arena: `[gradient (rows x studentCols) | per-row KL (rows)]`.
 * Uniforms: temperature, columns, rows, studentCols, teacherCols, gradScale (= T/B).
 */
export class DistillationKLProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainDistillationKL';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['student', 'teacher'];
  workgroupSize: [number, number, number] = [KL_WORKGROUP_SIZE, 1, 1];
  uniforms =
    'temperature : f32, columns : i32, rows : i32, studentCols : i32, teacherCols : i32, gradScale : f32,';

  constructor(rows: number, studentCols: number) {
    this.outputShape = [rows * studentCols + rows];
    // One workgroup per row; the backend folds more than 65,535 rows into a 2-D dispatch.
    this.dispatch = [rows, 1, 1];
  }

  getUserCode(): string {
    return source;
  }
}
