/** `RetainFisherDense` on WebGPU: the batched Fisher of dense layers, one dispatch per parameter tensor. */
import * as tf from '@tensorflow/tfjs';
import { FisherDenseProgram } from '../gpu/fisher_dense_webgpu';
import { activeWebGpuBackend, assertFloat32, dispatchCounts, flat, toTensor } from './backend';

/**
 * Inputs `[...fisher, ...inputs, ...outputGrads]` for `count` dense layers (fisher = kernel0, bias0, kernel1, ...;
 * inputs X_l [rows x in_l], outputGrads D_l [rows x out_l]), attrs `{gamma, scale, count}`; returns the new
 * Fisher tensors in the order of `fisher`. Shapes are checked by the op (src/ops/fisher_dense.ts).
 */
export function fisherDenseWebGpu(inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] {
  const n = attrs.count;
  if (!Number.isInteger(n) || n < 0 || inputs.length !== 4 * n) {
    throw new Error(`RetainFisherDense: expected 4 x ${n} inputs, got ${inputs.length}`);
  }
  assertFloat32('RetainFisherDense', inputs);
  const backend = activeWebGpuBackend('RetainFisherDense');
  return tf.tidy(() =>
    inputs.slice(0, 2 * n).map((f, k) => {
      const layer = k >> 1;
      const biasOnly = k % 2 === 1;
      const x = inputs[2 * n + layer] as tf.Tensor2D;
      const d = inputs[3 * n + layer] as tf.Tensor2D;
      if (f.size === 0) return tf.zeros(f.shape);
      const [rows, inDim] = x.shape;
      const outDim = d.shape[1];
      const program = new FisherDenseProgram(f.size, biasOnly ? 0 : x.size, d.size);
      const out = backend.runWebGPUProgram(program, [flat(f), flat(x), flat(d)], 'float32', [
        { type: 'float32', data: [attrs.gamma] },
        { type: 'float32', data: [attrs.scale] },
        { type: 'int32', data: [rows] },
        { type: 'int32', data: [inDim] },
        { type: 'int32', data: [outDim] },
        { type: 'int32', data: [biasOnly ? 1 : 0] },
      ]);
      dispatchCounts.RetainFisherDense++;
      return tf.reshape(toTensor(out), f.shape);
    }),
  );
}
