/** Loss helpers of the training loop: Task-IL column masks, (row-weighted) cross-entropy, masked argmax. */
import * as tf from '@tensorflow/tfjs';

/** Additive logit mask: 0 on the allowed columns, a large negative number elsewhere (Task-IL). */
export function columnMask(columns: readonly number[], numOutputs: number): Float32Array {
  const m = new Float32Array(numOutputs).fill(-1e9);
  for (const c of columns) m[c] = 0;
  return m;
}

/** Mean softmax cross-entropy of logits [B, C] against one-hot targets, with an optional additive mask. */
export function maskedCrossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D, mask?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const z = mask ? tf.add(logits, mask) : logits;
    const logp = tf.logSoftmax(z);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logp), 1))) as tf.Scalar;
  });
}

/**
 * Softmax cross-entropy per row [B] of logits [B, C] against one-hot targets, each row scaled by its weight
 * (`rowWeights` [B], e.g. a part's weight over its row count), with an optional additive mask.
 */
export function weightedRowCrossEntropy(
  logits: tf.Tensor2D,
  oneHot: tf.Tensor2D,
  rowWeights: tf.Tensor1D,
  mask?: tf.Tensor,
): tf.Tensor1D {
  return tf.tidy(() => {
    const z = mask ? tf.add(logits, mask) : logits;
    return tf.neg(tf.mul(tf.sum(tf.mul(oneHot, tf.logSoftmax(z)), 1), rowWeights)) as tf.Tensor1D;
  });
}

/** Row-wise argmax of masked logits as labels. */
export function maskedArgMax(logits: tf.Tensor2D, mask?: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.argMax(mask ? tf.add(logits, mask) : logits, 1) as tf.Tensor1D);
}
