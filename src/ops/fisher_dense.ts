/** The batched Fisher of dense layers: the sum of per-sample squared gradients from one batched backward pass. */
import * as tf from '@tensorflow/tfjs';
import { FISHER_DENSE_KERNEL, kernelFor } from '../kernels/registry';

/** One dense layer's batch: its inputs X [rows x in] and the per-sample loss gradients D [rows x out] of its outputs. */
export interface DenseLayerBatch {
  input: tf.Tensor2D;
  outputGrad: tf.Tensor2D;
}

/**
 * Running Fisher update for dense layers `F <- gamma * F + scale * sum_s g_s^2`, where g_s is sample s's gradient,
 * without one backward pass per sample: for y = x W + b the per-sample squared gradients sum to
 * `(X o X)^T (D o D)` (kernel) and `sum_s D_s o D_s` (bias) (Dangel et al. 2020, BackPACK's SumGradSquared).
 * `fisher` is [kernel0, bias0, kernel1, bias1, ...], one pair per layer. Returns new tensors (caller owns them);
 * equal to `fisherAccumulate` over the per-sample gradients within float32 rounding.
 */
export function fisherAccumulateDense(
  fisher: tf.Tensor[],
  layers: DenseLayerBatch[],
  gamma: number,
  scale: number,
): tf.Tensor[] {
  if (fisher.length !== 2 * layers.length) {
    throw new Error(`fisherAccumulateDense: ${fisher.length} Fisher tensors for ${layers.length} layers (expected 2 per layer)`);
  }
  if (!Number.isFinite(gamma) || !Number.isFinite(scale)) {
    throw new Error(`fisherAccumulateDense: gamma and scale must be finite, got ${gamma}, ${scale}`);
  }
  layers.forEach(({ input, outputGrad }, l) => {
    if (input.rank !== 2 || outputGrad.rank !== 2 || input.shape[0] !== outputGrad.shape[0]) {
      throw new Error(
        `fisherAccumulateDense: layer ${l} needs 2-D input and output gradient with the same rows, got [${input.shape}] and [${outputGrad.shape}]`,
      );
    }
    const want = [`${input.shape[1]}x${outputGrad.shape[1]}`, `${outputGrad.shape[1]}`];
    const got = [fisher[2 * l].shape.join('x'), fisher[2 * l + 1].shape.join('x')];
    if (got[0] !== want[0] || got[1] !== want[1]) {
      throw new Error(`fisherAccumulateDense: layer ${l} Fisher has shapes [${got.join('], [')}], expected [${want.join('], [')}]`);
    }
  });
  if (layers.length === 0) return [];
  const fused = kernelFor(FISHER_DENSE_KERNEL);
  if (fused) {
    const inputs = [...fisher, ...layers.map((l) => l.input), ...layers.map((l) => l.outputGrad)];
    return fused(inputs, { gamma, scale, count: layers.length });
  }
  return tf.tidy(() =>
    layers.flatMap(({ input, outputGrad }, l) => {
      const d2 = tf.square(outputGrad);
      const kernel = tf.add(tf.mul(fisher[2 * l], gamma), tf.mul(tf.matMul(tf.square(input), d2, true, false), scale));
      const bias = tf.add(tf.mul(fisher[2 * l + 1], gamma), tf.mul(tf.sum(d2, 0), scale));
      return [kernel, bias];
    }),
  );
}

export { FISHER_DENSE_KERNEL };
