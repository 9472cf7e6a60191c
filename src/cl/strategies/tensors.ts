/** Tensor helpers shared by the strategy plugins: padding to a grown head, and checkpoint records. */
import * as tf from '@tensorflow/tfjs';
import type { TensorRecord } from '../../memory/types';

/** Zero-pads a tensor at the end of each axis up to `shape` (a grown head's new columns get zeros). */
export function padTo(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (t.shape.join() === shape.join()) return t.clone();
  if (t.rank !== shape.length || t.shape.some((s, i) => s > shape[i])) {
    throw new Error(`cannot pad [${t.shape}] to [${shape}]`);
  }
  return tf.pad(
    t,
    t.shape.map((s, i) => [0, shape[i] - s] as [number, number]),
  );
}

/** Reads tensors back as named records. */
export async function toRecords(prefix: string, ts: readonly tf.Tensor[]): Promise<TensorRecord[]> {
  const data = await Promise.all(ts.map((t) => t.data()));
  return ts.map((t, i) => ({
    name: `${prefix}${i}`,
    shape: [...t.shape],
    dtype: 'float32',
    data: data[i] as Float32Array,
  }));
}

/** Builds tensors from records named `${prefix}0..n-1` (in order); checks every record before making any tensor. */
export function fromRecords(prefix: string, records: readonly TensorRecord[]): tf.Tensor[] {
  const found: TensorRecord[] = [];
  for (let i = 0; ; i++) {
    const r = records.find((x) => x.name === `${prefix}${i}`);
    if (!r) break;
    const size = r.shape.reduce((a, b) => a * b, 1);
    if (size !== r.data.length) throw new Error(`${r.name}: ${r.data.length} values for shape [${r.shape}]`);
    found.push(r);
  }
  return found.map((r) => tf.tensor(r.data as Float32Array, r.shape, 'float32'));
}
