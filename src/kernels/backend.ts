/** Shared helpers of the fused WebGPU kernels: the active backend, flat views, dtype checks, counters. */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** A uniform value for `runWebGPUProgram`, in the order of the program's `uniforms` string. */
export type Uniform = { type: 'float32' | 'int32' | 'uint32'; data: number[] };

/** The active tfjs backend as a WebGPUBackend; the fused ops are only registered for 'webgpu'. */
export function activeWebGpuBackend(op: string): WebGPUBackend {
  const backend = tf.backend();
  if (!(backend instanceof WebGPUBackend)) {
    throw new Error(`${op}: fused WebGPU kernel called while the active backend is '${tf.getBackend()}'`);
  }
  return backend;
}

/** A flat view of a tensor's data for a program input: same GPU buffer, no copy, no new tensor. */
export function flat(t: tf.TensorInfo): tf.TensorInfo {
  return { dataId: t.dataId, shape: [sizeOf(t.shape)], dtype: t.dtype };
}

/** Number of elements of a shape. */
export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Wraps a program's output in a tensor owned by the current tfjs scope. */
export function toTensor(info: tf.TensorInfo): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** Throws a specific error unless every tensor is float32 (the kernels read and write f32 only). */
export function assertFloat32(op: string, tensors: tf.Tensor[]): void {
  tensors.forEach((t, i) => {
    if (t.dtype !== 'float32')
      throw new Error(`${op}: input ${i} has dtype ${t.dtype}, the WebGPU kernel needs float32`);
  });
}

/** Per-kernel dispatch counters, so tests can check the fused path really ran. */
export const dispatchCounts: Record<string, number> = {
  RetainEwcPenalty: 0,
  RetainFisherAccumulate: 0,
  RetainDistillationKL: 0,
  RetainFisherDense: 0,
};
