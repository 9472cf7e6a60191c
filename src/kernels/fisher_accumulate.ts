/** `RetainFisherAccumulate` on WebGPU: the running Fisher update, one dispatch per parameter tensor. */
import * as tf from '@tensorflow/tfjs';
import { FisherAccumulateProgram } from '../gpu/fisher_accumulate_webgpu';
import { activeWebGpuBackend, assertFloat32, dispatchCounts, flat, toTensor } from './backend';

/**
 * Fused `RetainFisherAccumulate` on WebGPU. Inputs `[...fisher, ...grads]`, attrs `{gamma, scale, count}`;
 * returns the new Fisher tensors. One dispatch per tensor writes that tensor's result directly: packing into
 * an arena would add a concat and a split (4 extra bytes moved per element each) to save a few launches.
 */
export function fisherAccumulateWebGpu(inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] {
  // tidy: intermediate tensors (program outputs before reshape/slice) are freed even when the op is called
  // outside a scope, as fisherAccumulate is.
  return tf.tidy(() => fisherAccumulateWebGpuScoped(inputs, attrs));
}

function fisherAccumulateWebGpuScoped(inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] {
  const n = attrs.count;
  if (!Number.isInteger(n) || n < 0 || inputs.length !== 2 * n) {
    throw new Error(`RetainFisherAccumulate: expected 2 x ${n} inputs, got ${inputs.length}`);
  }
  assertFloat32('RetainFisherAccumulate', inputs);
  const backend = activeWebGpuBackend('RetainFisherAccumulate');
  return inputs.slice(0, n).map((f, i) => {
    if (f.size === 0) return tf.zeros(f.shape);
    const out = backend.runWebGPUProgram(
      new FisherAccumulateProgram(f.size),
      [flat(f), flat(inputs[n + i])],
      'float32',
      [
        { type: 'float32', data: [attrs.gamma] },
        { type: 'float32', data: [attrs.scale] },
        { type: 'int32', data: [f.size] },
      ],
    );
    dispatchCounts.RetainFisherAccumulate++;
    return tf.reshape(toTensor(out), f.shape);
  });
}
