import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  Learner,
  ReplayPlugin,
  createStrategyPlugins,
  strategyRegistry,
  type BatchContext,
  type BatchExtension,
  type LearnerConfig,
  type OwnBatch,
  type StrategyPlugin,
  type TaskContext,
} from '../../../src/cl';
import { InMemoryReplayMemory } from '../../../src/memory';
import { threeTasks } from '../support/blobs';
import { useWasmBackend } from '../support/setup-wasm';

beforeAll(useWasmBackend);

const config: LearnerConfig = {
  model: { inputDim: 8, hidden: [16], scenario: 'class-il', outputs: 0, seed: 4 },
  strategies: {},
  optimizer: 'sgd',
  learningRate: 0.05,
  batchSize: 16,
  seed: 4,
};

/**
 * A strategy of one's own: adds a copy of the batch's rows at half weight and halves the new rows' weight, so the
 * joint cross-entropy equals the plain one; records how far its rows' logits are from the new rows' logits.
 */
class MirrorPlugin implements StrategyPlugin<{ copies: number }> {
  readonly name = 'mirror';
  gaps: tf.Scalar[] = [];
  tasks = 0;
  beforeBatch(ctx: BatchContext): BatchExtension<{ copies: number }> {
    ctx.newLossWeight *= 0.5;
    return { rows: { x: ctx.x.clone(), y: ctx.y.clone(), weight: 0.5 }, data: { copies: ctx.x.shape[0] } };
  }
  lossTerms(_ctx: BatchContext, logits: tf.Tensor2D, own: OwnBatch<{ copies: number }>): Record<string, tf.Scalar> {
    expect(own.data?.copies).toBe(16);
    this.gaps.push(tf.keep(tf.max(tf.abs(tf.sub(own.rowLogits!, logits)))) as tf.Scalar);
    return {};
  }
  afterTask(_ctx: TaskContext): void {
    this.tasks++;
  }
}

describe('strategy plugins', () => {
  it('the registry makes the configured plugins in hook order, whatever the config key order', () => {
    const memory = new InMemoryReplayMemory({ policy: 'reservoir', capacity: 10 });
    const plugins = createStrategyPlugins({
      ewc: { lambda: 1, mode: 'online', gamma: 1, fisher: 'true', fisherSamples: 5 },
      lwf: { alpha: 1, temperature: 2 },
      replay: { memory, batchSize: 4, weighting: 0.5 },
    });
    expect(plugins.map((p) => p.name)).toEqual(['replay', 'lwf', 'ewc']);
    expect(Object.keys(strategyRegistry)).toEqual(['replay', 'lwf', 'ewc']);
    expect(createStrategyPlugins({ freeze: { train: 'head' } })).toEqual([]);
  });

  it('a plugin of one\'s own adds rows and data to a batch without the learner knowing it', async () => {
    const { train, test } = threeTasks();
    const mirror = new MirrorPlugin();
    const withMirror = new Learner(config, { plugins: [mirror] });
    const plain = new Learner(config);
    const reports: Record<string, number>[] = [];
    const before = tf.memory().numTensors;
    await withMirror.learnTask(train[0], { iterations: 30, progressEvery: 10, onProgress: (p) => reports.push(p.losses) });
    await plain.learnTask(train[0], { iterations: 30 });
    expect(mirror.tasks).toBe(1);
    // Its rows went through the same forward pass: their logits are the new rows' logits.
    expect(mirror.gaps).toHaveLength(30);
    for (const g of mirror.gaps) expect((await g.data())[0]).toBeLessThan(1e-5);
    tf.dispose(mirror.gaps);
    // Its rows' cross-entropy is reported under its name: half of the batch's loss, like the new rows' half.
    for (const r of reports) {
      expect(Object.keys(r)).toEqual(['ce', 'mirror', 'total']);
      expect(r.mirror).toBeCloseTo(r.ce, 5);
    }
    // Half the new rows plus the same rows at half weight is the plain loss: the same training.
    const a = await withMirror.predictProba(test[0].x, test[0].y.length);
    const b = await plain.predictProba(test[0].x, test[0].y.length);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
    // The plugin's rows and data were disposed with each batch (a grown head replaces its variables).
    expect(tf.memory().numTensors).toBe(before);
    withMirror.dispose();
    plain.dispose();
  });

  it('replay offers views of the task to the memory, which copies only what its policy keeps', async () => {
    const memory = new InMemoryReplayMemory({ policy: 'class-balanced', capacity: 20 });
    const replay = new ReplayPlugin({ memory, batchSize: 8, weighting: 'inverse-task' });
    const { train } = threeTasks();
    const task = train[0];
    let seed = 3;
    const rng = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const slice = vi.spyOn(Float32Array.prototype, 'slice');
    let copies: number;
    try {
      await replay.afterTask({ task, rng, model: { config: { inputDim: 8 } } } as unknown as TaskContext);
    } finally {
      copies = slice.mock.calls.length;
      slice.mockRestore();
    }
    expect(memory.size()).toBe(20);
    // 200 samples offered, 20 kept: 20 copies (it was 400: the plugin's and the memory's copy of every sample).
    expect(copies).toBe(20);
    for (const s of memory.all()) expect(s.x.buffer).not.toBe(task.x.buffer);
    replay.dispose();
  });
});
