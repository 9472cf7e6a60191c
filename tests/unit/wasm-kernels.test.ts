import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from './setup-wasm';

beforeAll(async () => {
  // Registers the fast WASM kernels (transposed matMul, row gather) as the app does.
  await useWasmBackend();
});

/** Plain JS gather along `axis` of a row-major array. */
function gatherRef(x: ArrayLike<number>, shape: number[], idx: number[], axis: number): number[] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (const i of idx) for (let k = 0; k < inner; k++) out.push(x[(o * shape[axis] + i) * inner + k]);
  return out;
}

describe('fast row gather on WASM', () => {
  it('matches a plain JS gather for rows of float32 and int32, 1-D to 3-D, repeated and 2-D indices, and falls back for other axes', async () => {
    expect((tf.getKernel('GatherV2', 'wasm')!.kernelFunc as { fastRows?: boolean }).fastRows).toBe(true);
    const cases: { shape: number[]; idx: number[]; idxShape?: number[]; axis: number; dtype: 'float32' | 'int32' }[] = [
      { shape: [360, 1280], idx: [5, 0, 359, 5, 17], axis: 0, dtype: 'float32' },
      { shape: [7], idx: [6, 1, 1], axis: 0, dtype: 'int32' },
      { shape: [4, 3, 5], idx: [3, 0], axis: 0, dtype: 'float32' },
      { shape: [6, 4], idx: [1, 2, 5, 0], idxShape: [2, 2], axis: 0, dtype: 'float32' },
      { shape: [6, 4], idx: [3, 1], axis: 1, dtype: 'float32' },
      { shape: [6, 4], idx: [], axis: 0, dtype: 'float32' },
    ];
    for (const c of cases) {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: size }, (_, i) => (c.dtype === 'int32' ? i * 3 - 7 : Math.sin(i) * 100));
      const x = tf.tensor(values, c.shape, c.dtype);
      const indices = tf.tensor(c.idx, c.idxShape ?? [c.idx.length], 'int32');
      const y = tf.gather(x, indices, c.axis);
      const expectedShape = [...c.shape.slice(0, c.axis), ...(c.idxShape ?? [c.idx.length]), ...c.shape.slice(c.axis + 1)];
      expect(y.shape).toEqual(expectedShape);
      expect(y.dtype).toBe(c.dtype);
      const ref = gatherRef(Float32Array.from(values), c.shape, c.idx, c.axis);
      expect(Array.from(await y.data())).toEqual(c.dtype === 'int32' ? ref : Array.from(Float32Array.from(ref)));
      tf.dispose([x, indices, y]);
    }
  });

  it('refuses an out-of-range index like tfjs, and leaks nothing over many batches', async () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(() => tf.tidy(() => tf.gather(x, tf.tensor1d([2], 'int32')))).toThrow(/index value 2 is not in \[0, 1\]/);
    expect(() => tf.tidy(() => tf.gather(x, tf.tensor1d([-1], 'int32')))).toThrow(/not in/);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) tf.tidy(() => {
      tf.gather(x, tf.tensor1d([i % 2, 1 - (i % 2)], 'int32'));
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
