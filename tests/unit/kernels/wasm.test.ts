import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../support/setup-wasm';
import { distillationKL } from '../../../src/ops';
import { setFusedOpsEnabled } from '../../../src/kernels/registry';
import { DISTILLATION_KL_WASM_KERNEL } from '../../../src/kernels/wasm_distillation_kl';

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

describe('fused distillation KL on WASM', () => {
  /** Loss and gradient with respect to the student, on the fused path (true) or the tfjs reference (false). */
  async function lossAndGrad(student: tf.Tensor2D, teacher: tf.Tensor2D, T: number, columns: number, fused: boolean) {
    setFusedOpsEnabled(fused);
    try {
      const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => distillationKL(s as tf.Tensor2D, teacher, T, columns))(student);
      const out = { loss: (await value.data())[0], grad: Array.from(await grad.data()) };
      tf.dispose([value, grad]);
      return out;
    } finally {
      setFusedOpsEnabled(true);
    }
  }

  it('matches the reference chain on random and adversarial logits, T = 1 and 5, all or only the old columns', async () => {
    expect(tf.getKernel(DISTILLATION_KL_WASM_KERNEL, 'wasm')).toBeDefined();
    let seed = 3;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const cases = [
      { b: 1, cs: 1, ct: 1, columns: 1, scale: 1 },
      { b: 32, cs: 15, ct: 14, columns: 14, scale: 3 },
      { b: 128, cs: 100, ct: 100, columns: 100, scale: 10 },
      { b: 7, cs: 9, ct: 9, columns: 5, scale: 80 }, // large logits: exp would overflow without the max shift
    ];
    for (const c of cases)
      for (const T of [1, 5]) {
        const student = tf.tensor2d(Array.from({ length: c.b * c.cs }, () => rnd() * c.scale), [c.b, c.cs]);
        const teacher = tf.tensor2d(Array.from({ length: c.b * c.ct }, () => rnd() * c.scale), [c.b, c.ct]);
        const fused = await lossAndGrad(student, teacher, T, c.columns, true);
        const ref = await lossAndGrad(student, teacher, T, c.columns, false);
        expect(Number.isFinite(fused.loss)).toBe(true);
        expect(fused.loss).toBeCloseTo(ref.loss, 4);
        fused.grad.forEach((g, i) => expect(g).toBeCloseTo(ref.grad[i], 5));
        // Columns past `columns` (the new classes) get no distillation gradient.
        for (let r = 0; r < c.b; r++) for (let k = c.columns; k < c.cs; k++) expect(fused.grad[r * c.cs + k]).toBe(0);
        tf.dispose([student, teacher]);
      }
  });

  it('propagates NaN like the reference and leaks nothing', async () => {
    const student = tf.tensor2d([1, NaN, 2, 0.5, 0.1, -3], [2, 3]);
    const teacher = tf.tensor2d([0, 1, 2, 1, 1, 1], [2, 3]);
    const fused = await lossAndGrad(student, teacher, 2, 3, true);
    const ref = await lossAndGrad(student, teacher, 2, 3, false);
    expect(Number.isNaN(fused.loss)).toBe(Number.isNaN(ref.loss));
    fused.grad.forEach((g, i) => expect(Number.isNaN(g)).toBe(Number.isNaN(ref.grad[i])));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) await lossAndGrad(student, teacher, 2, 3, true);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([student, teacher]);
  });
});
