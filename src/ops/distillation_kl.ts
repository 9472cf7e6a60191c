/** The distillation KL op: a tfjs reference with its gradient, or the fused kernel of the active backend. */
import * as tf from '@tensorflow/tfjs';
import { DISTILLATION_KL_KERNEL, SCALED_SLICES_KERNEL, kernelFor } from '../kernels/registry';

/**
 * Knowledge-distillation loss `T^2 * mean_b KL(softmax(teacher_b/T) || softmax(student_b/T))`, computed on the
 * first `columns` outputs only (the old classes; a grown head appends new classes after them).
 * Gradient with respect to the student logits is `T * (p_student - p_teacher) / B` on those columns, 0 elsewhere;
 * the teacher is a constant.
 */
export function distillationKL(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  temperature: number,
  columns: number = teacherLogits.shape[1],
): tf.Scalar {
  if (studentLogits.rank !== 2 || teacherLogits.rank !== 2) {
    throw new Error(
      `distillationKL: logits must be 2-D, got ranks ${studentLogits.rank} and ${teacherLogits.rank}`,
    );
  }
  const [b, cs] = studentLogits.shape;
  const [bt, ct] = teacherLogits.shape;
  if (b !== bt) throw new Error(`distillationKL: batch sizes differ (${b} vs ${bt})`);
  if (!Number.isInteger(columns) || columns < 0 || columns > cs || columns > ct) {
    throw new Error(
      `distillationKL: columns ${columns} out of range for ${cs} student / ${ct} teacher outputs`,
    );
  }
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new Error(`distillationKL: temperature must be > 0, got ${temperature}`);
  }
  if (b === 0 || columns === 0) return tf.scalar(0);
  const fused = kernelFor(DISTILLATION_KL_KERNEL);
  const slices = kernelFor(SCALED_SLICES_KERNEL);
  // The teacher is a constant, so it is captured rather than passed as an input: tfjs's customGrad computes a
  // gradient for every input, and a zeros tensor for the teacher would be one more op per training step.
  const teacher = teacherLogits;
  const op = tf.customGrad((...args: unknown[]) => {
    const [student, save] = args as [tf.Tensor, (ts: tf.Tensor[]) => void];
    let value: tf.Scalar;
    let grad: tf.Tensor;
    const outs = fused ? fused([student, teacher], { temperature, columns }) : [];
    if (slices && outs.length === 2 && outs[1].rank === 1) {
      // An arena-writing kernel (WebGPU) returns [loss, arena]: the backward scales it by dy and cuts the gradient
      // out in one pass.
      save([outs[1]]);
      return {
        value: outs[0] as tf.Scalar,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => slices([saved[0], dy, student], {}),
      };
    }
    if (fused) {
      // The fused kernel returns [loss, dLoss/dStudent] from one pass per row.
      value = outs[0] as tf.Scalar;
      grad = outs[1];
    } else {
      [value, grad] = tf.tidy(() => {
        const s = tf.div(tf.slice(student, [0, 0], [b, columns]), temperature);
        const t = tf.div(tf.slice(teacher, [0, 0], [b, columns]), temperature);
        const logPs = tf.logSoftmax(s);
        const logPt = tf.logSoftmax(t);
        const pt = tf.exp(logPt);
        const kl = tf.sum(tf.mul(pt, tf.sub(logPt, logPs)), 1);
        const v = tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
        let g: tf.Tensor = tf.mul(tf.sub(tf.exp(logPs), pt), temperature / b);
        if (columns < cs) g = tf.concat([g, tf.zeros([b, cs - columns])], 1);
        return [v, g] as [tf.Scalar, tf.Tensor];
      });
    }
    save([grad]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], dy)],
    };
  });
  return (op as (...ts: tf.Tensor[]) => tf.Scalar)(studentLogits);
}

export { DISTILLATION_KL_KERNEL };
