/** The diagonal Fisher of a ReLU MLP from one batched forward and backward pass (no per-sample loop). */
import * as tf from '@tensorflow/tfjs';
import { fisherAccumulate, fisherAccumulateDense, type DenseLayerBatch } from '../../ops';
import type { ContinualModel } from '../model';

/**
 * Each dense layer's inputs and the gradients of every sample's own loss `-sum_c target_c log softmax(z + mask)_c`
 * with respect to the layer's outputs, for a batch `x` [rows x inputDim] and one-hot `target` [rows x outputs].
 * Written out for the model's ReLU MLP (z_l = h_{l-1} W_l + b_l, h_l = relu(z_l), logits z_L): the head's output
 * gradient is softmax(z_L + mask) - target (rows of a one-hot sum to 1), and each earlier layer's is
 * (D_{l+1} W_{l+1}^T) o [z_l > 0] (tfjs's relu gradient, 0 at 0). Because each row's loss depends on that row only,
 * row s of D_l is sample s's own gradient, so one pass gives every per-sample gradient of every layer.
 * Returns tensors the caller disposes (inputs[0] is a copy of `x`).
 */
export function denseLayerBatches(
  model: ContinualModel,
  x: tf.Tensor2D,
  target: tf.Tensor2D,
  mask?: tf.Tensor,
): DenseLayerBatch[] {
  const [inputs, grads] = tf.tidy(() => {
    const layers = model.layers;
    const inputs: tf.Tensor2D[] = [];
    const outputs: tf.Tensor2D[] = [];
    let h = x;
    layers.forEach((layer, l) => {
      inputs.push(l === 0 ? (tf.clone(x) as tf.Tensor2D) : h);
      const z = tf.add(tf.matMul(h, layer.kernel), layer.bias) as tf.Tensor2D;
      outputs.push(z);
      if (l < layers.length - 1) h = tf.relu(z);
    });
    const last = layers.length - 1;
    const logits = mask ? (tf.add(outputs[last], mask) as tf.Tensor2D) : outputs[last];
    const grads: tf.Tensor2D[] = [];
    grads[last] = tf.sub(tf.softmax(logits), target) as tf.Tensor2D;
    for (let l = last - 1; l >= 0; l--) {
      const back = tf.matMul(grads[l + 1], layers[l + 1].kernel, false, true);
      grads[l] = tf.mul(back, tf.step(outputs[l])) as tf.Tensor2D;
    }
    return [inputs, grads];
  });
  return inputs.map((input, l) => ({ input, outputGrad: grads[l] }));
}

/** Rows per batched pass: bounds the activations kept at once (a few MB for the app's head and the MNIST MLPs). */
const FISHER_CHUNK_ROWS = 256;

/**
 * `gamma * previous + (1/m) sum_s g_s^2` over the m rows of `x` with one-hot `target`, g_s the gradient of row
 * s's negative log-likelihood for every parameter ([kernel0, bias0, ...] = `model.allVariables()` order);
 * `previous` null means zeros. Equal to the per-sample loop within float32 rounding, in a few batched passes.
 */
export function batchedDiagonalFisher(
  model: ContinualModel,
  x: tf.Tensor2D,
  target: tf.Tensor2D,
  options: { mask?: tf.Tensor; previous: readonly tf.Tensor[] | null; gamma: number },
): tf.Tensor[] {
  const m = x.shape[0];
  let fisher: tf.Tensor[] = options.previous
    ? options.previous.map((f) => f.clone())
    : model.allVariables().map((v) => tf.zerosLike(v));
  try {
    for (let start = 0; start < m; start += FISHER_CHUNK_ROWS) {
      const rows = Math.min(FISHER_CHUNK_ROWS, m - start);
      const xRows = tf.slice(x, [start, 0], [rows, -1]);
      const targetRows = tf.slice(target, [start, 0], [rows, -1]);
      const layers = denseLayerBatches(model, xRows, targetRows, options.mask);
      tf.dispose([xRows, targetRows]);
      const gamma = start === 0 && options.previous ? options.gamma : 1;
      const next = fisherAccumulateDense(fisher, layers, gamma, 1 / m);
      tf.dispose([...fisher, ...layers.flatMap((l) => [l.input, l.outputGrad])]);
      fisher = next;
    }
  } catch (err) {
    tf.dispose(fisher);
    throw err;
  }
  return fisher;
}

/**
 * The same Fisher one sample at a time (a batch-1 backward pass per row, squared and accumulated): the reference
 * the batched form is tested and timed against. Arguments and result as `batchedDiagonalFisher`.
 */
export function perSampleDiagonalFisher(
  model: ContinualModel,
  x: tf.Tensor2D,
  target: tf.Tensor2D,
  options: { mask?: tf.Tensor; previous: readonly tf.Tensor[] | null; gamma: number },
): tf.Tensor[] {
  const vars = model.allVariables();
  const m = x.shape[0];
  let fisher: tf.Tensor[] = options.previous ? options.previous.map((f) => f.clone()) : vars.map((v) => tf.zerosLike(v));
  for (let s = 0; s < m; s++) {
    const grads = tf.tidy(() => {
      const xs = tf.slice(x, [s, 0], [1, -1]) as tf.Tensor2D;
      const ts = tf.slice(target, [s, 0], [1, -1]);
      const { value, grads: g } = tf.variableGrads(() => {
        const z = model.logits(xs);
        return tf.neg(tf.sum(tf.mul(ts, tf.logSoftmax(options.mask ? tf.add(z, options.mask) : z)))) as tf.Scalar;
      }, vars);
      value.dispose();
      return vars.map((v) => g[v.name]);
    });
    const next = fisherAccumulate(fisher, grads, s === 0 && options.previous ? options.gamma : 1, 1 / m);
    tf.dispose([...fisher, ...grads]);
    fisher = next;
  }
  return fisher;
}
