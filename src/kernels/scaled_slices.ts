/** `RetainScaledSlices` on WebGPU: a fused loss's backward, cutting its gradient arena into per-tensor gradients. */
import * as tf from '@tensorflow/tfjs';
import { ScaleSliceProgram } from '../gpu/scale_slice_webgpu';
import { activeWebGpuBackend, assertFloat32, flat, toTensor } from './backend';

/**
 * Inputs `[arena, dy, ...like]`: `arena` holds one gradient per `like` tensor laid end to end from position 0,
 * `dy` is the upstream gradient (1 element), each `like` gives a gradient's shape (its data is not read).
 * Returns `arena[range_i] * dy` shaped like `like_i`, one dispatch per non-empty tensor.
 */
export function scaledSlicesWebGpu(inputs: tf.Tensor[]): tf.Tensor[] {
  if (inputs.length < 2) throw new Error('RetainScaledSlices: expected [arena, dy, ...like]');
  const [arena, dy, ...like] = inputs;
  if (dy.size !== 1) throw new Error(`RetainScaledSlices: dy must hold one value, got shape [${dy.shape}]`);
  const needed = like.reduce((a, t) => a + t.size, 0);
  if (arena.size < needed)
    throw new Error(`RetainScaledSlices: the arena holds ${arena.size} values, the gradients need ${needed}`);
  assertFloat32('RetainScaledSlices', [arena, dy]);
  const backend = activeWebGpuBackend('RetainScaledSlices');
  let offset = 0;
  return like.map((t) => {
    const start = offset;
    offset += t.size;
    if (t.size === 0) return tf.zeros(t.shape);
    const out = backend.runWebGPUProgram(new ScaleSliceProgram(t.size, start), [flat(arena), flat(dy)], 'float32', [
      { type: 'int32', data: [start] },
      { type: 'int32', data: [t.size] },
    ]);
    // Reshape on WebGPU shares the buffer: no copy.
    return tf.tidy(() => {
      const flatOut = toTensor(out);
      return tf.reshape(flatOut, t.shape);
    });
  });
}
