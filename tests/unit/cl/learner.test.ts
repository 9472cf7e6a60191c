import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ContinualModel,
  EwcPlugin,
  InvalidTaskError,
  Learner,
  LwfPlugin,
  NonFiniteLossError,
  ReplayPlugin,
  maskedCrossEntropy,
  weightedRowCrossEntropy,
  type BatchContext,
  type LearnerConfig,
  type StrategyConfig,
  type TaskContext,
} from '../../../src/cl';
import { distillationKL, ewcPenalty } from '../../../src/ops';
import { InMemoryReplayMemory } from '../../../src/memory';
import { gaussianBlobs, threeTasks } from '../support/blobs';
import { useWasmBackend } from '../support/setup-wasm';

beforeAll(useWasmBackend);

function learnerWith(strategies: StrategyConfig, overrides: Partial<LearnerConfig['model']> = {}): Learner {
  return new Learner({
    model: { inputDim: 8, hidden: [32], scenario: 'class-il', outputs: 0, seed: 1, ...overrides },
    strategies,
    optimizer: 'adam',
    learningRate: 0.01,
    batchSize: 32,
    seed: 1,
  });
}

const memory = () => new InMemoryReplayMemory({ policy: 'class-balanced', perClass: 20 });

const strategies: Record<string, () => StrategyConfig> = {
  'fine-tuning': () => ({}),
  'fine-tuning (head only)': () => ({ freeze: { train: 'head' } }),
  'EWC separate': () => ({
    ewc: { lambda: 1000, mode: 'separate', gamma: 1, fisher: 'true', fisherSamples: 40 },
  }),
  'EWC online': () => ({
    ewc: { lambda: 1000, mode: 'online', gamma: 0.9, fisher: 'empirical', fisherSamples: 40 },
  }),
  LwF: () => ({ lwf: { alpha: 1, temperature: 2 } }),
  replay: () => ({ replay: { memory: memory(), batchSize: 32, weighting: 'inverse-task' } }),
  combined: () => ({
    replay: { memory: memory(), batchSize: 32, weighting: 0.5, distillStored: { alpha: 1, temperature: 2 } },
    lwf: { alpha: 1, temperature: 2 },
    ewc: { lambda: 100, mode: 'online', gamma: 0.9, fisher: 'true', fisherSamples: 40 },
  }),
};

describe('a small class-incremental run (3 tasks of Gaussian blobs)', () => {
  it('fine-tuning forgets the first task; replay keeps it', async () => {
    const { train, test } = threeTasks();
    const finalFirstTask: Record<string, number> = {};
    for (const name of ['fine-tuning', 'replay']) {
      const learner = learnerWith(strategies[name]());
      for (const task of train) await learner.learnTask(task, { iterations: 100 });
      finalFirstTask[name] = (await learner.evaluate(test[0])).accuracy;
      learner.dispose();
    }
    expect(finalFirstTask['fine-tuning']).toBeLessThan(0.2);
    expect(finalFirstTask.replay).toBeGreaterThan(0.9);
  });

  it('is repeatable with the same seed', async () => {
    const { train, test } = threeTasks();
    const run = async () => {
      const l = learnerWith(strategies.combined());
      for (const task of train.slice(0, 2)) await l.learnTask(task, { iterations: 30 });
      const p = await l.predictProba(test[1].x, test[1].y.length);
      l.dispose();
      return p;
    };
    expect(Array.from(await run())).toEqual(Array.from(await run()));
  });
});

describe('no tensor leaks', () => {
  for (const [name, make] of Object.entries(strategies)) {
    it(`${name}: tf.memory().numTensors is unchanged by 100 training steps`, async () => {
      const { train } = threeTasks();
      const learner = learnerWith(make());
      await learner.learnTask(train[0], { iterations: 10 });
      await learner.learnTask(train[1], { iterations: 10 });
      const before = tf.memory().numTensors;
      // Same classes again: the head does not grow, so any change is a leak.
      await learner.learnTask({ ...train[1], task: 2 }, { iterations: 100, progressEvery: 7 });
      const after = tf.memory().numTensors;
      // EWC state is replaced, not added to; the replay memory holds no tensors.
      expect(after).toBe(before);
      learner.dispose();
    });
  }
});

describe('learning rounds are all-or-nothing', () => {
  it('a cancelled round leaves the model as it was', async () => {
    const { train, test } = threeTasks();
    const learner = learnerWith({});
    await learner.learnTask(train[0], { iterations: 30 });
    const before = await learner.predictProba(rows(test[0].x, 10), 10);
    const ctrl = new AbortController();
    const run = learner.learnTask(train[1], {
      iterations: 200,
      signal: ctrl.signal,
      progressEvery: 5,
      onProgress: (p) => p.step >= 20 && ctrl.abort(),
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(learner.numOutputs).toBe(2);
    expect(learner.tasksSeen).toBe(1);
    expect(Array.from(await learner.predictProba(rows(test[0].x, 10), 10))).toEqual(Array.from(before));
    learner.dispose();
  });

  it('a diverging round (NaN loss) is refused and rolled back', async () => {
    const { train, test } = threeTasks();
    const learner = new Learner({
      model: { inputDim: 8, hidden: [32], scenario: 'class-il', outputs: 0, seed: 1 },
      strategies: {},
      optimizer: 'sgd',
      learningRate: 1e30,
      batchSize: 32,
      seed: 1,
    });
    const before = await learner.predictProba(rows(test[0].x, 10), 10);
    await expect(learner.learnTask(train[0], { iterations: 50, progressEvery: 1 })).rejects.toBeInstanceOf(
      NonFiniteLossError,
    );
    expect(learner.numOutputs).toBe(0);
    expect(before.length).toBe(0);
    learner.dispose();
  });

  it('bad task data gets a specific error and changes nothing', async () => {
    const learner = learnerWith({});
    const t = gaussianBlobs(0, [0, 1], 10, 1);
    await expect(learner.learnTask({ ...t, x: t.x.subarray(1) })).rejects.toThrow(
      /x has 159 values, expected 20 x 8/,
    );
    const bad = t.x.slice();
    bad[5] = NaN;
    await expect(learner.learnTask({ ...t, x: bad })).rejects.toBeInstanceOf(InvalidTaskError);
    await expect(learner.learnTask({ ...t, classes: [0] })).rejects.toThrow(
      /label 1 .* is not among its classes/,
    );
    expect(learner.numOutputs).toBe(0);
    learner.dispose();
  });
});

describe('EWC', () => {
  it('separate mode folds per-task penalties exactly into one anchor/Fisher pair', async () => {
    const { train } = threeTasks();
    const learner = learnerWith({
      ewc: { lambda: 10, mode: 'separate', gamma: 1, fisher: 'empirical', fisherSamples: 30 },
    });
    const ewc = learner.plugins[0] as EwcPlugin;
    const perTask: { fisher: tf.Tensor[]; anchor: tf.Tensor[] }[] = [];
    for (const task of train.slice(0, 2)) {
      await learner.learnTask(task, { iterations: 20 });
      // Recover this task's own Fisher from the running sum (the first task's sum is its own Fisher).
      perTask.push({
        fisher: ewc.fisherTensors.map((f) => f.clone()),
        anchor: learner.currentModel.allVariables().map((v) => v.clone()),
      });
    }
    const vars = learner.currentModel.allVariables();
    const f1 = perTask[0].fisher;
    const f2 = perTask[1].fisher.map((f, i) =>
      tf.sub(
        f,
        f1[i].shape.join() === f.shape.join()
          ? f1[i]
          : tf.pad(
              f1[i],
              f1[i].shape.map((s, k) => [0, f.shape[k] - s] as [number, number]),
            ),
      ),
    );
    const pad = (t: tf.Tensor, like: tf.Tensor) =>
      t.shape.join() === like.shape.join()
        ? t
        : tf.pad(
            t,
            t.shape.map((s, k) => [0, like.shape[k] - s] as [number, number]),
          );
    // Move the parameters away from the anchors, then compare.
    vars.forEach((v) => v.assign(tf.add(v, 0.05)));
    const separate =
      (
        await ewcPenalty(
          vars,
          perTask[0].anchor.map((a, i) => pad(a, vars[i])),
          f1.map((f, i) => pad(f, vars[i])),
          10,
        ).data()
      )[0] + (await ewcPenalty(vars, perTask[1].anchor, f2, 10).data())[0];
    const folded = (await ewc.lossTerms({ trainable: vars } as never).ewc.data())[0];
    expect(folded).toBeCloseTo(separate, 2);
    learner.dispose();
  });

  it('online mode decays the old Fisher by gamma', async () => {
    const { train } = threeTasks();
    // fisherSamples above the task size: every sample is used, so the estimate does not depend on the draw.
    const cfg = {
      lambda: 1,
      mode: 'online' as const,
      gamma: 0.5,
      fisher: 'empirical' as const,
      fisherSamples: 1000,
    };
    const learner = learnerWith({ ewc: cfg }, { outputs: 6, scenario: 'domain-il' });
    const ewc = learner.plugins[0] as EwcPlugin;
    await learner.learnTask(train[0], { iterations: 20 });
    const f1 = await Promise.all(ewc.fisherTensors.map((f) => f.data()));
    // An SGD step of size 0 keeps the parameters, so the second task's Fisher is computed at the same point.
    const frozen = new Learner({ ...learner.config, learningRate: 1e-30, optimizer: 'sgd' });
    const state = await learner.exportState();
    const twin = Learner.fromState({ ...state, json: { ...state.json, config: { ...frozen.config } } });
    frozen.dispose();
    const twinEwc = twin.plugins[0] as EwcPlugin;
    await twin.learnTask(train[0], { iterations: 1 });
    const f2 = await Promise.all(twinEwc.fisherTensors.map((f) => f.data()));
    // Same data, same parameters => F_t = F_1, so F = 0.5 F_1 + F_1 = 1.5 F_1.
    f1.forEach((f, k) => f.forEach((v, i) => expect(f2[k][i]).toBeCloseTo(1.5 * v, 4)));
    learner.dispose();
    twin.dispose();
  });
});

describe('scenarios and state', () => {
  it('task-IL predicts within the task’s classes; domain-IL keeps a fixed head', async () => {
    const { train, test } = threeTasks();
    const til = learnerWith({}, { scenario: 'task-il' });
    for (const task of train) await til.learnTask(task, { iterations: 60 });
    const acc = await Promise.all(test.map(async (t) => (await til.evaluate(t)).accuracy));
    // Masking makes fine-tuning in Task-IL forget far less than in Class-IL.
    expect(Math.min(...acc)).toBeGreaterThan(0.6);
    til.dispose();
    const dil = learnerWith({}, { scenario: 'domain-il', outputs: 2 });
    await dil.learnTask({ ...train[0] }, { iterations: 10 });
    expect(dil.numOutputs).toBe(2);
    await expect(dil.learnTask(train[1], { iterations: 1 })).rejects.toThrow(/head has 2 outputs/);
    dil.dispose();
  });

  it('exportState / fromState restores identical predictions, EWC and LwF state included', async () => {
    const { train, test } = threeTasks();
    const mem = memory();
    const cfg: StrategyConfig = {
      replay: {
        memory: mem,
        batchSize: 16,
        weighting: 'inverse-task',
        distillStored: { alpha: 1, temperature: 2 },
      },
      lwf: { alpha: 1, temperature: 2 },
      ewc: { lambda: 10, mode: 'separate', gamma: 1, fisher: 'true', fisherSamples: 20 },
    };
    const a = learnerWith(cfg);
    for (const task of train.slice(0, 2)) await a.learnTask(task, { iterations: 20 });
    // A twin memory with the same samples and policy state, so both learners continue from the same point.
    const twinMemory = memory();
    twinMemory.restore(mem.all(), mem.exportState());
    const b = Learner.fromState(await a.exportState(), { memory: twinMemory });
    expect(Array.from(await b.predictProba(rows(test[0].x, 20), 20))).toEqual(
      Array.from(await a.predictProba(rows(test[0].x, 20), 20)),
    );
    // Continuing both gives the same result: RNG, Fisher, anchors and teacher all came back (the optimiser
    // starts afresh every round by design).
    await a.learnTask(train[2], { iterations: 10 });
    await b.learnTask(train[2], { iterations: 10 });
    expect(Array.from(await b.predictProba(rows(test[2].x, 20), 20))).toEqual(
      Array.from(await a.predictProba(rows(test[2].x, 20), 20)),
    );
    expect(() => Learner.fromState({ format: 'something-else' } as never)).toThrow(
      /not a Retain engine state/,
    );
    a.dispose();
    b.dispose();
  });
});

/** The first n rows (of 8 features) of a row-major matrix. */
function rows(x: Float32Array, n: number): Float32Array {
  return x.subarray(0, n * 8);
}

describe('frozen feature extractor', () => {
  it('trains the model on extracted features and predicts from raw inputs', async () => {
    const { train, test } = threeTasks();
    const projection = tf.randomNormal([8, 16], 0, 0.5, 'float32', 5);
    const extractor = {
      inputDim: 8,
      outputDim: 16,
      apply: (x: tf.Tensor2D) => tf.relu(tf.matMul(x, projection)) as tf.Tensor2D,
    };
    const learner = new Learner(
      {
        model: { inputDim: 16, hidden: [], scenario: 'class-il', outputs: 0, seed: 1 },
        strategies: {},
        optimizer: 'adam',
        learningRate: 0.05,
        batchSize: 32,
        seed: 1,
      },
      { featureExtractor: extractor },
    );
    const before = projection.dataId;
    await learner.learnTask(train[0], { iterations: 60 });
    expect((await learner.evaluate(test[0])).accuracy).toBeGreaterThan(0.9);
    expect(projection.dataId).toBe(before);
    expect(
      () =>
        new Learner(
          { ...learner.config, model: { ...learner.config.model, inputDim: 15 } },
          { featureExtractor: extractor },
        ),
    ).toThrow(/gives 16 features but the model takes 15/);
    learner.dispose();
    projection.dispose();
  });
});

describe('LwF weighting', () => {
  it('inverse-task keeps 1/t of the new data\'s loss and gives (1 - 1/t) alpha to distillation in the t-th task', async () => {
    const model = new ContinualModel({ inputDim: 4, hidden: [], scenario: 'class-il', outputs: 3, seed: 1 });
    const fixed = new LwfPlugin({ alpha: 2, temperature: 2 });
    const inverse = new LwfPlugin({ alpha: 2, temperature: 2, weighting: 'inverse-task' });
    for (const p of [fixed, inverse]) {
      p.afterTask({ model } as unknown as TaskContext);
      p.taskCommitted();
    }
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 7) as tf.Tensor2D;
    const student = tf.randomNormal([5, 3], 0, 1, 'float32', 8) as tf.Tensor2D;
    for (const tasksSeen of [1, 3]) {
      const ctxFixed = { x, tasksSeen, newLossWeight: 1 } as unknown as BatchContext;
      const ctxInverse = { x, tasksSeen, newLossWeight: 0.8 } as unknown as BatchContext;
      fixed.beforeBatch?.(ctxFixed);
      inverse.beforeBatch(ctxInverse);
      expect(ctxFixed.newLossWeight).toBe(1);
      // Scales what replay set before it (plugins run in order: replay, LwF, EWC).
      expect(ctxInverse.newLossWeight).toBeCloseTo(0.8 / (tasksSeen + 1), 12);
      const a = (await fixed.lossTerms(ctxFixed, student, {}).lwf.data())[0];
      const b = (await inverse.lossTerms(ctxInverse, student, {}).lwf.data())[0];
      expect(a).toBeGreaterThan(0);
      expect(b).toBeCloseTo(a * (1 - 1 / (tasksSeen + 1)), 5);
    }
    tf.dispose([x, student]);
    fixed.dispose?.();
    inverse.dispose?.();
    model.dispose();
  });
});

describe('LwF teacher logits', () => {
  it('are computed once per task and gathered per batch: the loss equals distilling the teacher run on the batch', async () => {
    const model = new ContinualModel({ inputDim: 4, hidden: [6], scenario: 'class-il', outputs: 3, seed: 2 });
    const lwf = new LwfPlugin({ alpha: 1, temperature: 2 });
    lwf.afterTask({ model } as unknown as TaskContext);
    lwf.taskCommitted();
    const n = 5000; // more than one precompute chunk
    const taskX = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 0.37));
    const ctxTask = { task: { task: 1, x: taskX, y: new Int32Array(n), classes: [3] }, model, tasksSeen: 1 } as unknown as TaskContext;
    const batchRows = Int32Array.from([4999, 0, 2048, 7]);
    const x = tf.tensor2d(Array.from(batchRows).flatMap((r) => Array.from(taskX.subarray(r * 4, r * 4 + 4))), [4, 4]);
    const student = tf.randomNormal([4, 3], 0, 1, 'float32', 9) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    lwf.beforeTask(ctxTask);
    const ctx = { ...ctxTask, x, rows: batchRows, owned: [] as tf.Tensor[], newLossWeight: 1 } as unknown as BatchContext;
    const ext = lwf.beforeBatch(ctx);
    expect(ctx.owned).toHaveLength(1);
    expect(ext?.data).toBe(ctx.owned[0]);
    const term = tf.tidy(() => lwf.lossTerms(ctx, student, { data: ext!.data }).lwf);
    const teacher = lwf.teacherModel!.logits(x);
    const kl = distillationKL(student, teacher, 2, 3);
    const [viaCache, direct] = [(await term.data())[0], (await kl.data())[0]];
    expect(viaCache).toBeGreaterThan(0);
    expect(viaCache).toBeCloseTo(direct, 5);
    tf.dispose([term, teacher, kl, ...ctx.owned]);
    lwf.taskAborted();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, student]);
    lwf.dispose();
    model.dispose();
  });

  it('a cancelled LwF round leaks no tensor', async () => {
    const { train } = threeTasks();
    const learner = learnerWith({ lwf: { alpha: 1, temperature: 2 } });
    await learner.learnTask(train[0], { iterations: 20 });
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    const run = learner.learnTask(train[1], { iterations: 200, signal: ctrl.signal, progressEvery: 5, onProgress: (p) => p.step >= 10 && ctrl.abort() });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(tf.memory().numTensors).toBe(before);
    learner.dispose();
  });
});

describe('replay in one pass with the new data', () => {
  it('the row-weighted cross-entropy of the joint batch equals w_new CE(new) + w_replay CE(replay), with Task-IL masks, in value and gradient', async () => {
    const C = 5;
    const newLogits = tf.randomNormal([4, C], 0, 2, 'float32', 11) as tf.Tensor2D;
    const replayLogits = tf.randomNormal([6, C], 0, 2, 'float32', 12) as tf.Tensor2D;
    const yNew = tf.oneHot(tf.tensor1d([3, 4, 3, 4], 'int32'), C).toFloat() as tf.Tensor2D;
    const yReplay = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), C).toFloat() as tf.Tensor2D;
    const newMask = tf.tensor1d([-1e9, -1e9, -1e9, 0, 0]);
    const replayMask = tf.tensor2d([0, 0, -1e9, -1e9, -1e9, 0, 0, -1e9, -1e9, -1e9, -1e9, -1e9, 0, -1e9, -1e9, 0, 0, -1e9, -1e9, -1e9, 0, 0, -1e9, -1e9, -1e9, -1e9, -1e9, 0, -1e9, -1e9], [6, C]);
    const [wNew, wReplay] = [0.25, 0.75];
    const twoPass = (a: tf.Tensor, b: tf.Tensor) =>
      tf.add(tf.mul(maskedCrossEntropy(a as tf.Tensor2D, yNew, newMask), wNew), tf.mul(maskedCrossEntropy(b as tf.Tensor2D, yReplay, replayMask), wReplay)) as tf.Scalar;
    const weights = tf.tensor1d([...Array(4).fill(wNew / 4), ...Array(6).fill(wReplay / 6)]);
    const jointMask = tf.concat([tf.tile(tf.reshape(newMask, [1, C]), [4, 1]), replayMask]);
    const onePass = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(weightedRowCrossEntropy(tf.concat([a, b]) as tf.Tensor2D, tf.concat([yNew, yReplay]) as tf.Tensor2D, weights, jointMask)) as tf.Scalar;
    const expected = tf.valueAndGrads(twoPass)([newLogits, replayLogits]);
    const actual = tf.valueAndGrads(onePass)([newLogits, replayLogits]);
    expect((await actual.value.data())[0]).toBeCloseTo((await expected.value.data())[0], 5);
    for (let i = 0; i < 2; i++) {
      const [a, e] = [await actual.grads[i].data(), await expected.grads[i].data()];
      a.forEach((v, j) => expect(v).toBeCloseTo(e[j], 6));
    }
  });

  it('a batch gathered from the task\'s upload of the memory equals the batch copied from host memory', async () => {
    const mem = new InMemoryReplayMemory({ policy: 'class-balanced', perClass: 20 });
    const { train } = threeTasks();
    const d = 8;
    const model = new ContinualModel({ inputDim: d, hidden: [], scenario: 'task-il', outputs: 6, seed: 3 });
    const taskClasses = new Map<number, number[]>([[0, [0, 1]], [1, [2, 3]], [2, [4, 5]]]);
    await mem.add(
      Array.from(train[0].y.slice(0, 30), (label, i) => ({ x: train[0].x.slice(i * d, (i + 1) * d), label, task: 0, logits: Float32Array.from({ length: 6 }, (_, k) => i + k) })),
      () => 0.5,
    );
    const batchOf = (cached: boolean) => {
      const plugin = new ReplayPlugin({ memory: mem, batchSize: 16, weighting: 'inverse-task', distillStored: { alpha: 1, temperature: 2 } });
      let seed = 7;
      const rng = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
      const ctxTask = { task: train[1], model, scenario: 'task-il', taskClasses, tasksSeen: 1, rng } as unknown as TaskContext;
      if (cached) {
        const n0 = tf.memory().numTensors;
        plugin.beforeTask(ctxTask);
        expect(tf.memory().numTensors - n0).toBe(4); // x, one-hot y, mask, stored logits uploaded once
      }
      const ctx = { ...ctxTask, owned: [], newLossWeight: 1 } as unknown as BatchContext;
      const ext = plugin.beforeBatch(ctx)!;
      expect(ctx.owned).toEqual([ext.data!.logits]);
      return { plugin, replay: { ...ext.rows!, logits: ext.data!.logits }, newLossWeight: ctx.newLossWeight };
    };
    const host = batchOf(false);
    const before = tf.memory().numTensors;
    const cached = batchOf(true);
    expect(cached.replay.weight).toBe(host.replay.weight);
    expect(cached.newLossWeight).toBeCloseTo(0.5, 12);
    for (const k of ['x', 'y', 'mask', 'logits'] as const) {
      expect(cached.replay[k]!.shape).toEqual(host.replay[k]!.shape);
      expect(Array.from(await cached.replay[k]!.data())).toEqual(Array.from(await host.replay[k]!.data()));
    }
    tf.dispose([cached.replay.x, cached.replay.y, cached.replay.mask!, cached.replay.logits!]);
    cached.plugin.taskAborted();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([host.replay.x, host.replay.y, host.replay.mask!, host.replay.logits!]);
    model.dispose();
  });
});

describe('large tasks', () => {
  it('a task bigger than the device budget (64 MiB) trains from host memory, without leaking', async () => {
    const dim = 1024;
    const big = gaussianBlobs(0, [0, 1, 2], 5600, 3, dim); // 16.8 M values
    expect(big.x.length).toBeGreaterThan(16 * 1024 * 1024);
    const learner = learnerWith({}, { inputDim: dim, hidden: [] });
    const before = tf.memory().numTensors;
    await learner.learnTask(big, { iterations: 150 });
    expect(tf.memory().numTensors).toBe(before);
    const test = gaussianBlobs(0, [0, 1, 2], 50, 4, dim);
    expect((await learner.evaluate(test)).accuracy).toBeGreaterThan(0.9);
    learner.dispose();
  });
});
