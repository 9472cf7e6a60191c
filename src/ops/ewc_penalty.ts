import * as tf from '@tensorflow/tfjs';
import { EWC_PENALTY_KERNEL, kernelFor } from '../kernels/registry';
import { assertSameShapes } from './validate';

/**
 * EWC penalty `(lambda/2) * sum_i F_i (theta_i - anchor_i)^2` over every parameter tensor, as a scalar.
 * Gradient with respect to `params` is `lambda * F * (theta - anchor)`; anchors and Fisher are constants.
 */
export function ewcPenalty(
  params: tf.Tensor[],
  anchors: tf.Tensor[],
  fisher: tf.Tensor[],
  lambda: number,
): tf.Scalar {
  assertSameShapes('ewcPenalty', params, anchors, 'anchors');
  assertSameShapes('ewcPenalty', params, fisher, 'fisher');
  if (!Number.isFinite(lambda) || lambda < 0)
    throw new Error(`ewcPenalty: lambda must be finite and >= 0, got ${lambda}`);
  const n = params.length;
  if (n === 0) return tf.scalar(0);
  const fused = kernelFor(EWC_PENALTY_KERNEL);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as (ts: tf.Tensor[]) => void;
    const inputs = args.slice(0, 3 * n) as tf.Tensor[];
    const p = inputs.slice(0, n);
    const a = inputs.slice(n, 2 * n);
    const f = inputs.slice(2 * n, 3 * n);
    let value: tf.Scalar;
    let grads: tf.Tensor[];
    if (fused) {
      // The fused kernel returns [penalty, grad_0, ..., grad_{n-1}] from one pass over the parameters.
      const outs = fused([...p, ...a, ...f], { lambda, count: n });
      value = outs[0] as tf.Scalar;
      grads = outs.slice(1);
    } else {
      const out = tf.tidy(() => {
        const diffs = p.map((pi, i) => tf.sub(pi, a[i]));
        const g = diffs.map((d, i) => tf.mul(tf.mul(f[i], d), lambda));
        // Empty tensors are skipped: tf.sum of an empty tensor crashes tfjs-backend-webgpu 4.22. The per-tensor
        // sums are stacked, not tf.addN'ed: on WebGPU, addN of more than 7 tensors binds too many storage
        // buffers and silently returns 0 (tfjs 4.22), while stack/concat split their inputs.
        const sums = diffs.flatMap((d, i) => (d.size > 0 ? [tf.sum(tf.mul(f[i], tf.square(d)))] : []));
        const v = (sums.length > 0 ? tf.mul(tf.sum(tf.stack(sums)), lambda / 2) : tf.scalar(0)) as tf.Scalar;
        return [v, ...g];
      });
      value = out[0] as tf.Scalar;
      grads = out.slice(1);
    }
    save(grads);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        ...saved.map((g) => tf.mul(g, dy)),
        ...a.map((t) => tf.zerosLike(t)),
        ...f.map((t) => tf.zerosLike(t)),
      ],
    };
  });
  return (op as (...ts: tf.Tensor[]) => tf.Scalar)(...params, ...anchors, ...fisher);
}

export { EWC_PENALTY_KERNEL };
