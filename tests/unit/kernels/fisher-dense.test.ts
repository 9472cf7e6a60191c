import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContinualModel } from '../../../src/cl/model';
import { columnMask } from '../../../src/cl/losses';
import { batchedDiagonalFisher, perSampleDiagonalFisher } from '../../../src/cl/strategies/fisher';
import { fisherAccumulateDense } from '../../../src/ops';
import { useWasmBackend } from '../support/setup-wasm';
import { lcgValues } from '../support/lcg';

beforeAll(useWasmBackend);

async function flatData(ts: tf.Tensor[]): Promise<number[]> {
  return (await Promise.all(ts.map((t) => t.data()))).flatMap((d) => Array.from(d));
}

describe('batched dense-layer Fisher', () => {
  it('equals the per-sample loop (3-layer ReLU MLP, task mask, online decay) within float32 rounding', async () => {
    const model = new ContinualModel({ inputDim: 12, hidden: [16, 9], outputs: 6, seed: 3, scenario: 'task-il' }, true);
    const rows = 300; // more than one chunk of 256 rows
    const x = tf.tensor2d(lcgValues(rows * 12, 5, 2), [rows, 12]);
    const labels = Array.from({ length: rows }, (_, i) => (i * 7) % 4);
    const mask = tf.tensor2d(columnMask([0, 1, 2, 3], 6), [1, 6]);
    const previous = model.allVariables().map((v, k) => tf.abs(tf.tensor(lcgValues(v.size, 40 + k), v.shape)));
    const before = tf.memory().numTensors;
    const target = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 6) as tf.Tensor2D);
    const batched = batchedDiagonalFisher(model, x, target, { mask, previous, gamma: 0.9 });
    expect(tf.memory().numTensors - before - 1).toBe(batched.length);
    // The reference: one batch-1 backward pass per row (tf.variableGrads), squared and accumulated.
    const loop = perSampleDiagonalFisher(model, x, target, { mask, previous, gamma: 0.9 });
    target.dispose();
    const got = await flatData(batched);
    const want = await flatData(loop);
    expect(batched.map((t) => t.shape)).toEqual(model.allVariables().map((v) => v.shape));
    const scale = Math.max(...want.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst / scale).toBeLessThan(1e-5);
    // The masked columns get no Fisher from the head's output gradient (softmax there is 0, target 0).
    const headBias = await batched[5].data();
    const prevBias = await previous[5].data();
    expect(headBias[5]).toBeCloseTo(prevBias[5] * 0.9, 6);
    tf.dispose([x, mask, ...previous, ...batched, ...loop, ...model.allVariables()]);
  });

  it('refuses Fisher shapes that do not match the layers, and changes nothing', () => {
    const x = tf.zeros([4, 3]) as tf.Tensor2D;
    const d = tf.zeros([4, 2]) as tf.Tensor2D;
    const f = [tf.zeros([3, 2]), tf.zeros([3])];
    const before = tf.memory().numTensors;
    expect(() => fisherAccumulateDense(f, [{ input: x, outputGrad: d }], 1, 1)).toThrow(
      /layer 0 Fisher has shapes \[3x2\], \[3\], expected \[3x2\], \[2\]/,
    );
    expect(() => fisherAccumulateDense(f.slice(0, 1), [{ input: x, outputGrad: d }], 1, 1)).toThrow(/2 per layer/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, d, ...f]);
  });
});
