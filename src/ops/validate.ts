/** Shape checks shared by the ops. */
import type * as tf from '@tensorflow/tfjs';

/** Throws a specific error when two lists of tensors do not pair up shape for shape. */
export function assertSameShapes(op: string, a: tf.Tensor[], b: tf.Tensor[], what: string): void {
  if (a.length !== b.length) throw new Error(`${op}: ${a.length} parameter tensors but ${b.length} ${what}`);
  for (let i = 0; i < a.length; i++) {
    const sa = a[i].shape.join('x');
    const sb = b[i].shape.join('x');
    if (sa !== sb) throw new Error(`${op}: ${what}[${i}] has shape [${sb}], expected [${sa}]`);
  }
}
