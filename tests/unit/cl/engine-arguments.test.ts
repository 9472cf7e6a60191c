import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EwcPlugin,
  InvalidConfigError,
  InvalidTaskError,
  Learner,
  LwfPlugin,
  type LearnerConfig,
  type StrategyConfig,
  type TrainOptions,
} from '../../../src/cl';
import { InMemoryReplayMemory } from '../../../src/memory';
import { gaussianBlobs, threeTasks } from '../support/blobs';
import { useWasmBackend } from '../support/setup-wasm';

beforeAll(useWasmBackend);

const ewc = { lambda: 100, mode: 'separate' as const, gamma: 1, fisher: 'true' as const, fisherSamples: 20 };

function config(strategies: StrategyConfig = {}, model: Partial<LearnerConfig['model']> = {}): LearnerConfig {
  return {
    model: { inputDim: 8, hidden: [16], scenario: 'class-il', outputs: 0, seed: 1, ...model },
    strategies,
    optimizer: 'adam',
    learningRate: 0.01,
    batchSize: 16,
    seed: 1,
  };
}

/** Everything a refusal must leave as it was: head, history, predictions, EWC's tensors. */
async function observe(learner: Learner, probe: Float32Array): Promise<unknown> {
  const ewcPlugin = learner.plugins.find((p) => p.name === 'ewc') as EwcPlugin | undefined;
  return {
    outputs: learner.numOutputs,
    tasks: learner.tasksSeen,
    classes: [...learner.classesByTask.entries()],
    predictions: Array.from(await learner.predictProba(probe, probe.length / 8)),
    fisher: ewcPlugin ? await Promise.all(ewcPlugin.fisherTensors.map(async (f) => [f.shape, Array.from(await f.data())])) : null,
    tensors: tf.memory().numTensors,
  };
}

describe('a refused learner config allocates nothing', () => {
  const memory = () => new InMemoryReplayMemory({ policy: 'class-balanced', capacity: 50 });
  const cases: [string, () => LearnerConfig, RegExp][] = [
    ['λ = ∞', () => config({ ewc: { ...ewc, lambda: Infinity } }), /EWC lambda must be a finite number >= 0, got Infinity/],
    ['λ = NaN', () => config({ ewc: { ...ewc, lambda: NaN } }), /EWC lambda/],
    ['an unknown EWC mode', () => config({ ewc: { ...ewc, mode: 'offline' as 'online' } }), /EWC mode must be one of 'separate', 'online', got "offline"/],
    ['an unknown Fisher kind', () => config({ ewc: { ...ewc, fisher: 'exact' as 'true' } }), /EWC fisher must be one of/],
    ['fisherSamples 0', () => config({ ewc: { ...ewc, fisherSamples: 0 } }), /EWC fisherSamples must be an integer/],
    ['an unknown optimizer', () => ({ ...config(), optimizer: 'rmsprop' as 'adam' }), /optimizer must be one of 'adam', 'sgd', got "rmsprop"/],
    ['an unknown scenario', () => config({}, { scenario: 'online-il' as 'class-il' }), /ModelConfig.scenario must be one of/],
    ['a head of 20,000 outputs', () => config({}, { outputs: 20_000 }), /ModelConfig.outputs must be an integer in \[0, 10000\]/],
    ['learning rate ∞', () => ({ ...config(), learningRate: Infinity }), /learningRate must be a finite number > 0/],
    ['learning rate 0', () => ({ ...config(), learningRate: 0 }), /learningRate must be a finite number > 0, got 0/],
    ['batch size 2.5', () => ({ ...config(), batchSize: 2.5 }), /batchSize must be an integer/],
    ['LwF temperature 0', () => config({ lwf: { alpha: 1, temperature: 0 } }), /LwF temperature must be a finite number > 0/],
    ['LwF alpha ∞', () => config({ lwf: { alpha: Infinity, temperature: 2 } }), /LwF alpha/],
    ['an unknown LwF weighting', () => config({ lwf: { alpha: 1, temperature: 2, weighting: 'linear' as 'fixed' } }), /LwF weighting must be one of/],
    ['replay ratio 2', () => config({ replay: { memory: memory(), batchSize: 8, weighting: 2 } }), /replay weighting .* got 2/],
    ['replay without a memory', () => config({ replay: { memory: undefined as never, batchSize: 8, weighting: 0.5 } }), /replay needs a memory/],
    ['replay storePerClass -1', () => config({ replay: { memory: memory(), batchSize: 8, weighting: 0.5, storePerClass: -1 } }), /storePerClass/],
    ['freeze the last 0 layers', () => config({ freeze: { train: 'last', layers: 0 } }), /freeze.layers must be an integer/],
    ['an unknown freeze', () => config({ freeze: { train: 'body' } as never }), /freeze.train must be one of/],
    ['an unknown strategy', () => config({ ewc, si: { c: 1 } } as never), /unknown strategy 'si' \(known: freeze, replay, lwf, ewc\)/],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      const cfg = make();
      const before = tf.memory().numTensors;
      expect(() => new Learner(cfg)).toThrow(message);
      expect(() => new Learner(cfg)).toThrow(InvalidConfigError);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('two plugins of one name', () => {
    const before = tf.memory().numTensors;
    expect(() => new Learner(config(), { plugins: [new EwcPlugin(ewc), new EwcPlugin(ewc)] })).toThrow(/two strategy plugins are named 'ewc'/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a refused learnTask changes nothing', () => {
  const { train, test } = threeTasks();
  const probe = test[0].x.subarray(0, 10 * 8);
  const bad: [string, () => [typeof train[0], TrainOptions], RegExp][] = [
    ['iterations 0', () => [train[1], { iterations: 0 }], /iterations must be an integer in \[1, 1000000\], got 0/],
    ['iterations -1', () => [train[1], { iterations: -1 }], /iterations must be an integer/],
    ['iterations NaN', () => [train[1], { iterations: NaN }], /iterations must be an integer .* got NaN/],
    ['iterations 2.5', () => [train[1], { iterations: 2.5 }], /iterations must be an integer/],
    ['iterations 1e12', () => [train[1], { iterations: 1e12 }], /iterations must be an integer/],
    ['epochs 0', () => [train[1], { epochs: 0 }], /epochs must be a finite number > 0/],
    ['epochs ∞', () => [train[1], { epochs: Infinity }], /epochs/],
    ['progressEvery 0', () => [train[1], { iterations: 5, progressEvery: 0 }], /progressEvery must be an integer/],
    ['class id 1e5', () => [{ ...gaussianBlobs(1, [100_000], 4, 3) }, { iterations: 5 }], /class 100000 is beyond the model's limit of 10000 outputs/],
    ['class id 2^53', () => [{ ...gaussianBlobs(1, [2], 4, 3), classes: [2 ** 53] }, { iterations: 5 }], /class 9007199254740992 is beyond/],
    ['class id 2.5', () => [{ ...gaussianBlobs(1, [2], 4, 3), classes: [2.5] }, { iterations: 5 }], /class 2.5 is not an index/],
    ['task index -1', () => [{ ...train[1], task: -1 }, { iterations: 5 }], /task index -1/],
  ];

  for (const strategies of [{}, { ewc }, { lwf: { alpha: 1, temperature: 2 }, ewc: { ...ewc, mode: 'online' as const, gamma: 0.9 } }] as StrategyConfig[]) {
    it(`with ${Object.keys(strategies).join(' + ') || 'fine-tuning'}: every refusal leaves head, history, predictions, EWC state and the tensor count as they were`, async () => {
      const learner = new Learner(config(strategies));
      await learner.learnTask(train[0], { iterations: 10 });
      const before = JSON.stringify(await observe(learner, probe));
      for (const [what, make, message] of bad) {
        const [task, options] = make();
        const err = await learner.learnTask(task, options).then(() => null, (e: unknown) => e);
        expect(err, what).toBeInstanceOf(Error);
        expect((err as Error).message, what).toMatch(message);
        expect(err instanceof InvalidConfigError || err instanceof InvalidTaskError, what).toBe(true);
        expect(JSON.stringify(await observe(learner, probe)), what).toBe(before);
      }
      learner.dispose();
    });
  }
});

describe('a cancelled round restores every plugin', () => {
  it('EWC keeps its Fisher and anchors sized for the old head, and the next task learns (cancel, then learn)', async () => {
    const { train, test } = threeTasks();
    const learner = new Learner(config({ ewc, lwf: { alpha: 1, temperature: 2 } }));
    const ewcPlugin = learner.plugins.find((p) => p.name === 'ewc') as EwcPlugin;
    const lwf = learner.plugins.find((p) => p.name === 'lwf') as LwfPlugin;
    await learner.learnTask(train[0], { iterations: 10 });
    const probe = test[0].x.subarray(0, 10 * 8);
    const before = JSON.stringify(await observe(learner, probe));
    const teacher = lwf.teacherModel;
    const ctrl = new AbortController();
    // Classes 2 and 3 grow the head to 4 outputs before training starts; cancelled after 5 steps.
    const run = learner.learnTask(train[1], { iterations: 100, progressEvery: 5, signal: ctrl.signal, onProgress: () => ctrl.abort() });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(JSON.stringify(await observe(learner, probe))).toBe(before);
    expect(ewcPlugin.fisherTensors.map((f) => f.shape)).toEqual(learner.currentModel.allVariables().map((v) => v.shape));
    expect(lwf.teacherModel).toBe(teacher);
    // Class 2 alone: a 3-output head, smaller than the cancelled round's (EWC once failed: cannot pad [16,4] to [16,3]).
    await learner.learnTask(gaussianBlobs(1, [2], 50, 9), { iterations: 10 });
    expect(learner.numOutputs).toBe(3);
    expect(ewcPlugin.consolidatedTasks).toBe(2);
    expect(ewcPlugin.fisherTensors.map((f) => f.shape)).toEqual(learner.currentModel.allVariables().map((v) => v.shape));
    learner.dispose();
  });

  it('a plugin failing at the end of a task leaves EWC and the LwF teacher as they were, without a leak', async () => {
    const { train, test } = threeTasks();
    const failing = { name: 'failing', afterTask: () => Promise.reject(new Error('disk full')) };
    const ewcPlugin = new EwcPlugin(ewc);
    const lwf = new LwfPlugin({ alpha: 1, temperature: 2 });
    const learner = new Learner(config({ ewc, lwf: { alpha: 1, temperature: 2 } }), { plugins: [lwf, ewcPlugin] });
    await learner.learnTask(train[0], { iterations: 10 });
    const withFailing = new Learner(config(), { plugins: [lwf, ewcPlugin, failing] });
    // Same plugins, a second learner with its own model: compare the plugins' state only.
    const probe = test[0].x.subarray(0, 10 * 8);
    const fisher = JSON.stringify(await Promise.all(ewcPlugin.fisherTensors.map(async (f) => Array.from(await f.data()))));
    const teacherLogits = async () => {
      const out = tf.tidy(() => lwf.teacherModel!.logits(tf.tensor2d(probe, [10, 8])));
      const values = Array.from(await out.data());
      out.dispose();
      return values;
    };
    const teacherOut = await teacherLogits();
    const tensors = tf.memory().numTensors;
    await expect(withFailing.learnTask(train[1], { iterations: 5 })).rejects.toThrow(/disk full/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(ewcPlugin.consolidatedTasks).toBe(1);
    expect(JSON.stringify(await Promise.all(ewcPlugin.fisherTensors.map(async (f) => Array.from(await f.data()))))).toBe(fisher);
    expect(await teacherLogits()).toEqual(teacherOut);
    withFailing.dispose();
    learner.dispose();
  });
});

describe('a refused checkpoint allocates nothing', () => {
  it('missing model weights, unpaired EWC tensors, a teacher missing a layer, a negative task count', async () => {
    const { train } = threeTasks();
    const learner = new Learner(config({ ewc, lwf: { alpha: 1, temperature: 2 } }));
    await learner.learnTask(train[0], { iterations: 5 });
    const state = await learner.exportState();
    learner.dispose();
    const broken = [
      { ...state, tensors: state.tensors.filter((t) => t.name !== 'model/L1/bias') },
      { ...state, tensors: state.tensors.filter((t) => t.name !== 'ewc/anchor/3') },
      { ...state, tensors: state.tensors.filter((t) => t.name !== 'lwf/teacher/L1/kernel') },
      { ...state, json: { ...state.json, tasksSeen: -1 } },
    ];
    const before = tf.memory().numTensors;
    for (const [i, s] of broken.entries()) {
      expect(() => Learner.fromState(s), `case ${i}`).toThrow();
      expect(tf.memory().numTensors).toBe(before);
    }
    const ok = Learner.fromState(state);
    expect(ok.tasksSeen).toBe(1);
    ok.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
