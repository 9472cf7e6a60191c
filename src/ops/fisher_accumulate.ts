/** The running Fisher update op: a tfjs reference, or the fused kernel of the active backend. */
import * as tf from '@tensorflow/tfjs';
import { FISHER_ACCUMULATE_KERNEL, kernelFor } from '../kernels/registry';
import { assertSameShapes } from './validate';

/**
 * Running Fisher update `F <- gamma * F + scale * g^2` for every parameter tensor; returns new tensors
 * (the caller owns them and disposes or assigns the old ones). Not differentiable: Fisher is a statistic.
 */
export function fisherAccumulate(
  fisher: tf.Tensor[],
  grads: tf.Tensor[],
  gamma: number,
  scale: number,
): tf.Tensor[] {
  assertSameShapes('fisherAccumulate', fisher, grads, 'grads');
  if (!Number.isFinite(gamma) || !Number.isFinite(scale)) {
    throw new Error(`fisherAccumulate: gamma and scale must be finite, got ${gamma}, ${scale}`);
  }
  if (fisher.length === 0) return [];
  const fused = kernelFor(FISHER_ACCUMULATE_KERNEL);
  if (fused) return fused([...fisher, ...grads], { gamma, scale, count: fisher.length });
  return tf.tidy(() => fisher.map((f, i) => tf.add(tf.mul(f, gamma), tf.mul(tf.square(grads[i]), scale))));
}

export { FISHER_ACCUMULATE_KERNEL };
