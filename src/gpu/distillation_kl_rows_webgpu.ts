/** WebGPU program of the fused distillation KL with one thread per row (narrow rows). */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import source from '../../shaders/distillation_kl_rows.wgsl?raw';
import { workgroupConstant } from './workgroup';

/** Rows per workgroup of the row-per-thread KL kernel. */
export const KL_ROWS_WORKGROUP_SIZE = workgroupConstant(source, 'KL_ROWS_WORKGROUP_SIZE');

/**
 * Widest row (student columns) the row-per-thread layout takes on a software adapter, where the workgroup layout's
 * barriers are emulated slowly; wider rows use a workgroup per row.
 */
export const KL_ROWS_MAX_COLUMNS = 512;

/** The same limit on a hardware GPU: above ~64 columns a workgroup shares each row (few rows fill few threads). */
export const KL_ROWS_MAX_COLUMNS_HARDWARE = 64;

/**
 * Fused distillation KL, one thread per row (see shaders/distillation_kl_rows.wgsl): the layout for narrow
 * rows. Same inputs, output arena and uniforms as `DistillationKLProgram`.
 */
export class DistillationKLRowsProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'retainDistillationKLRows';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['student', 'teacher'];
  workgroupSize: [number, number, number] = [KL_ROWS_WORKGROUP_SIZE, 1, 1];
  uniforms =
    'temperature : f32, columns : i32, rows : i32, studentCols : i32, teacherCols : i32, gradScale : f32,';

  constructor(rows: number, studentCols: number) {
    this.outputShape = [rows * studentCols + rows];
    this.dispatch = [Math.ceil(rows / KL_ROWS_WORKGROUP_SIZE), 1, 1];
  }

  getUserCode(): string {
    return source;
  }
}
