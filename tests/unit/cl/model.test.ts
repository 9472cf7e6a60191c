import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContinualModel } from '../../../src/cl';
import { useWasmBackend } from '../support/setup-wasm';

beforeAll(useWasmBackend);

const config = { inputDim: 6, hidden: [16, 8], scenario: 'class-il' as const, outputs: 2, seed: 3 };

describe('ContinualModel', () => {
  it('growing the head leaves the old classes’ logits bit-identical', async () => {
    const m = new ContinualModel(config);
    const x = tf.randomNormal([10, 6], 0, 1, 'float32', 7) as tf.Tensor2D;
    const before = await m.logits(x).data();
    m.growHead(5);
    expect(m.numOutputs).toBe(5);
    const after = await m.logits(x).data();
    for (let i = 0; i < 10; i++) {
      for (let c = 0; c < 2; c++) expect(after[i * 5 + c]).toBe(before[i * 2 + c]);
    }
    expect(() => m.growHead(3)).toThrow(/cannot shrink/);
    m.dispose();
    x.dispose();
  });

  it('selects trainable variables by freeze specification', () => {
    const m = new ContinualModel(config);
    expect(m.trainableVariables({ train: 'all' })).toHaveLength(6);
    expect(m.trainableVariables({ train: 'head' })).toEqual([m.head.kernel, m.head.bias]);
    expect(m.trainableVariables({ train: 'last', layers: 2 })).toHaveLength(4);
    expect(() => m.trainableVariables({ train: 'last', layers: 0 })).toThrow(/freeze.layers must be an integer in \[1,/);
    m.dispose();
  });

  it('clones independently and round-trips through weight records', async () => {
    const m = new ContinualModel(config);
    const c = m.clone();
    m.head.bias.assign(tf.onesLike(m.head.bias));
    expect(Array.from(await c.head.bias.data())).not.toEqual([1, 1]);
    const records = await m.exportWeights('w/');
    const back = ContinualModel.fromWeights(config, records, 'w/');
    const x = tf.ones([2, 6]) as tf.Tensor2D;
    expect(Array.from(await back.logits(x).data())).toEqual(Array.from(await m.logits(x).data()));
    records[0] = { ...records[0], shape: [5, 16] };
    expect(() => ContinualModel.fromWeights(config, records, 'w/')).toThrow(/layer 0 has shapes \[5,16\]/);
    [m, c, back].forEach((k) => k.dispose());
    x.dispose();
  });

  it('refuses an invalid config', () => {
    expect(() => new ContinualModel({ ...config, inputDim: 0 })).toThrow(/inputDim/);
    expect(() => new ContinualModel({ ...config, hidden: [3, -1] })).toThrow(/hidden/);
  });
});
