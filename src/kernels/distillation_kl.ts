/** The fused distillation KL loss + gradient on WebGPU: one pass per row, one reduction. */
import * as tf from '@tensorflow/tfjs';
import { DistillationKLProgram } from '../gpu/distillation_kl_webgpu';
import { DistillationKLRowsProgram, KL_ROWS_MAX_COLUMNS } from '../gpu/distillation_kl_rows_webgpu';
import { SumReduceProgram } from '../gpu/sum_reduce_webgpu';
import { activeWebGpuBackend, assertFloat32, dispatchCounts, flat, toTensor } from './backend';

/** Widest row the row-per-thread layout takes (set per adapter by `registerWebGpuKernels`). */
let rowThreadMaxColumns = KL_ROWS_MAX_COLUMNS;

/** Sets the widest row (student columns) one thread handles alone; wider rows get a workgroup each. */
export function setKlRowThreadMaxColumns(columns: number): void {
  if (!Number.isInteger(columns) || columns < 0) throw new Error(`KL row-thread limit must be an integer >= 0, got ${columns}`);
  rowThreadMaxColumns = columns;
}

/**
 * Fused `RetainDistillationKL` on WebGPU. Inputs `[student, teacher]` (2-D logits), attrs `{temperature, columns}`;
 * returns `[loss, arena]`. One thread per row (narrow rows) or one workgroup per row (wide rows) writes the row's
 * gradient and KL into the `[gradient (rows x studentCols) | row KL]` arena, one reduction dispatch makes the loss;
 * the op's backward scales the gradient by dy and cuts it out in one pass (`RetainScaledSlices`).
 */
export function distillationKLWebGpu(inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] {
  // tidy: intermediate tensors (program outputs before reshape/slice) are freed even when the op is called
  // outside a scope, as fisherAccumulate is.
  return tf.tidy(() => distillationKLWebGpuScoped(inputs, attrs));
}

function distillationKLWebGpuScoped(inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] {
  if (inputs.length !== 2 || inputs[0].rank !== 2 || inputs[1].rank !== 2) {
    throw new Error('RetainDistillationKL: expected two 2-D logits tensors [student, teacher]');
  }
  assertFloat32('RetainDistillationKL', inputs);
  const [student, teacher] = inputs as [tf.Tensor2D, tf.Tensor2D];
  const [rows, studentCols] = student.shape;
  const teacherCols = teacher.shape[1];
  const { temperature, columns } = attrs;
  if (rows === 0 || columns === 0) return [tf.scalar(0), tf.zeros([rows * studentCols])];
  const backend = activeWebGpuBackend('RetainDistillationKL');
  // Narrow rows (a class head): one thread per row, no barriers; wide rows: a workgroup shares each row.
  const program =
    studentCols <= rowThreadMaxColumns ? new DistillationKLRowsProgram(rows, studentCols) : new DistillationKLProgram(rows, studentCols);
  const arena = backend.runWebGPUProgram(
    program,
    [flat(student), flat(teacher)],
    'float32',
    [
      { type: 'float32', data: [temperature] },
      { type: 'int32', data: [columns] },
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [studentCols] },
      { type: 'int32', data: [teacherCols] },
      { type: 'float32', data: [temperature / rows] },
    ],
  );
  const lossInfo = backend.runWebGPUProgram(new SumReduceProgram(rows), [arena], 'float32', [
    { type: 'int32', data: [rows * studentCols] },
    { type: 'int32', data: [rows] },
    { type: 'float32', data: [(temperature * temperature) / rows] },
  ]);
  dispatchCounts.RetainDistillationKL++;
  return [tf.reshape(toTensor(lossInfo), []), toTensor(arena)];
}
