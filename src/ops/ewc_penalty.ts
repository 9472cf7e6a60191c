/** The EWC penalty op: a tfjs reference with its gradient, or the fused kernel of the active backend. */
import * as tf from '@tensorflow/tfjs';
import { EWC_PENALTY_KERNEL, SCALED_SLICES_KERNEL, kernelFor } from '../kernels/registry';
import { assertSameShapes } from './validate';

/**
 * EWC penalty `(lambda/2) * sum_i F_i (theta_i - anchor_i)^2` over every parameter tensor, as a scalar.
 * Gradient with respect to `params` is `lambda * F * (theta - anchor)`. Anchors and Fisher are constants of the
 * op: captured, not inputs, so the backward pass computes no gradient (and fills no zeros) for them.
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
  const slices = kernelFor(SCALED_SLICES_KERNEL);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[n] as (ts: tf.Tensor[]) => void;
    const p = args.slice(0, n) as tf.Tensor[];
    if (fused && slices) {
      // The fused kernel returns [penalty, arena]: every gradient laid end to end from one pass over the
      // parameters; the backward scales the arena by dy and cuts it per tensor in one pass each.
      const [value, arena] = fused([...p, ...anchors, ...fisher], { lambda, count: n });
      save([arena]);
      return {
        value: value as tf.Scalar,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => slices([saved[0], dy, ...p], {}),
      };
    }
    const out = tf.tidy(() => {
      const diffs = p.map((pi, i) => tf.sub(pi, anchors[i]));
      const g = diffs.map((d, i) => tf.mul(tf.mul(fisher[i], d), lambda));
      // Empty tensors are skipped: tf.sum of an empty tensor crashes tfjs-backend-webgpu 4.22. The per-tensor
      // sums are stacked, not tf.addN'ed: on WebGPU, addN of more than 7 tensors binds too many storage
      // buffers and silently returns 0 (tfjs 4.22), while stack/concat split their inputs.
      const sums = diffs.flatMap((d, i) => (d.size > 0 ? [tf.sum(tf.mul(fisher[i], tf.square(d)))] : []));
      const v = (sums.length > 0 ? tf.mul(tf.sum(tf.stack(sums)), lambda / 2) : tf.scalar(0)) as tf.Scalar;
      return [v, ...g];
    });
    save(out.slice(1));
    return {
      value: out[0] as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => saved.map((g) => tf.mul(g, dy)),
    };
  });
  return (op as (...ts: tf.Tensor[]) => tf.Scalar)(...params);
}

export { EWC_PENALTY_KERNEL };
