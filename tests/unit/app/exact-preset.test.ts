/**
 * The Exact preset through the worker service (fake-indexeddb, tfjs WASM): a round adds the new pictures'
 * statistics and solves; the statistics survive a restart bit for bit; deleting a class gives the model of a
 * project that never had it; a failed commit changes nothing; switching presets rebuilds from stored pictures.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineState } from '../../../src/memory/types';
import type { LearnSettings } from '../../../src/app/protocol';
import { PRESET_DEFAULTS } from '../../../src/app/worker/settings';
import { readCheckpoint } from '../../../src/app/worker/checkpoint-format';
import { EXACT_LOGIT_SCALE, ExactModel } from '../../../src/app/worker/exact-model';
import type { LiveModel } from '../../../src/app/worker/live-model';
import type { LearnerService } from '../../../src/app/worker/service';
import { useWasmBackend } from '../support/setup-wasm';
import { byName, capture, openService, picture, type Colour } from '../support/service-harness';

beforeAll(useWasmBackend);

/**
 * A fixed shrinkage: two projects compared must solve with the same one (Auto picks per round). No projection:
 * the test's 6 colour features are the statistics' width.
 */
const EXACT: LearnSettings = { preset: 'exact', advanced: { exactShrinkage: '0.01', exactProjection: 0 } };
const BALANCED: LearnSettings = { preset: 'balanced', advanced: { epochs: 40, laterEpochs: 20, learningRate: 0.05, batchSize: 8 } };

let counter = 0;
const open: LearnerService[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.dispose();
});

async function start(name = `exact-${++counter}-${Date.now()}`, hooks = {}) {
  const ctx = await openService(name, hooks);
  open.push(ctx.service);
  return { ...ctx, name };
}

/** The live model of a service (the statistics are read through it). */
function liveModel(service: LearnerService): ExactModel {
  const model = (service as unknown as { live: LiveModel }).live.model;
  if (!(model instanceof ExactModel)) throw new Error('the live model is not an Exact model');
  return model;
}

/** The statistics' tensors of the live model, by name (float32 hi + lo pairs of the float64 sums). */
async function statistics(service: LearnerService): Promise<Record<string, number[]>> {
  const state: EngineState = await liveModel(service).exportState();
  return Object.fromEntries(state.tensors.map((t) => [t.name, [...t.data]]));
}

/** Classes taught in the given rounds (each round: colours, 10 pictures each, every 5th held out). */
async function teach(service: LearnerService, rounds: Colour[][], settings: LearnSettings = EXACT) {
  const ids: Record<string, string> = {};
  for (const colours of rounds) {
    for (const colour of colours) {
      ids[colour] = (await service.addClass(colour)).id;
      await capture(service, ids[colour], colour, 10, colour.length * 100);
    }
    await service.learn(settings);
  }
  return ids;
}

const PROBES: [Colour, number][] = [['red', 900], ['green', 901], ['blue', 902], ['yellow', 903], ['red', 904], ['green', 905]];

/** Probabilities of each probe picture by class name. */
async function predictions(service: LearnerService) {
  return Promise.all(PROBES.map(async ([c, seed]) => byName(await service.predict(picture(c, seed)))));
}

describe('the Exact preset in the app', () => {
  it('is the preset a new project starts with; a project with a gradient model keeps Balanced', async () => {
    const fresh = await start();
    expect(fresh.service.status().preset).toBe('exact');
    const { service } = await start();
    await teach(service, [['red', 'green']], BALANCED);
    expect(service.status().preset).toBe('balanced');
    // A checkpoint that names no preset: its model's kind decides.
    const gradient = await (service as unknown as { live: LiveModel }).live.model!.exportState();
    expect(readCheckpoint({ round: 0, created: 0, engineState: gradient, classToOutput: {}, strategy: null, metrics: null }).preset).toBe('balanced');
    expect(readCheckpoint(null).preset).toBe('exact');
  });

  it('a round adds the pictures to the statistics and solves; the storage panel sees their size', async () => {
    const { service, events } = await start();
    const tensorsBefore = tf.memory().numTensors;
    const ids = await teach(service, [['red', 'green']]);
    expect(await liveModel(service).statisticsCount(Number(ids.red))).toBe(8);
    expect((await service.predict(picture('red', 900))).top).toBe(ids.red);
    expect((await service.predict(picture('green', 901))).top).toBe(ids.green);
    // A later round: one new class, the old ones kept (order and grouping do not matter to the statistics).
    const blue = await service.addClass('blue');
    await capture(service, blue.id, 'blue', 10, 400);
    const report = await service.learn(EXACT);
    expect(report).toMatchObject({ round: 2, cancelled: false, steps: 1 });
    expect(events.some((e) => e.type === 'progress')).toBe(true);
    const metrics = await service.metrics();
    expect(metrics.accuracyMatrix).toEqual([[1, null], [1, 1]]);
    // 6 features: G's lower triangle (21) + 3 class sums (18) in float64, and 3 counts.
    expect((await service.storage()).statisticsBytes).toBe(8 * (21 + 18) + 8 * 3);
    expect((await service.storage()).memoryBudget).toBe(1_000_000);
    // "Compare with retraining": the incremental column's storage is the pictures plus these sums.
    const comparison = await service.compareWithRetraining({ preset: 'fast', advanced: { epochs: 5 } });
    const storage = await service.storage();
    expect(comparison.incremental.storageBytes).toBe(comparison.incremental.storedPictures * storage.bytesPerSample + storage.statisticsBytes);
    // The model's tensors: the classifier's weights and bias (and nothing left over from the rounds).
    expect(tf.memory().numTensors - tensorsBefore).toBeLessThanOrEqual(2);
  });

  it('a restart restores the statistics exactly, and the predictions with them', async () => {
    const { service, name } = await start();
    await teach(service, [['red', 'green'], ['blue']]);
    const stats = await statistics(service);
    const before = await predictions(service);
    service.dispose();
    open.splice(0);
    const again = await start(name);
    expect(again.service.status()).toMatchObject({ rounds: 2, preset: 'exact' });
    expect(await statistics(again.service)).toEqual(stats);
    expect(await predictions(again.service)).toEqual(before);
  });

  it('deleting a class unlearns it: predictions equal those of a project that never had it, also after a restart', async () => {
    const taught = await start();
    const ids = await teach(taught.service, [['red', 'green'], ['blue'], ['yellow']]);
    await taught.service.deleteClass(ids.blue);
    const never = await start();
    await teach(never.service, [['red', 'green'], ['yellow']]);
    const expected = await predictions(never.service);
    const close = (got: Record<string, number>[]) =>
      got.forEach((row, i) => {
        expect(Object.keys(row).sort()).toEqual(Object.keys(expected[i]).sort());
        for (const k of Object.keys(row)) expect(row[k]).toBeCloseTo(expected[i][k], 5);
      });
    close(await predictions(taught.service));
    expect(await liveModel(taught.service).statisticsCount(Number(ids.blue))).toBe(0);
    // The deletion and the model without the class were stored together.
    taught.service.dispose();
    open.splice(open.indexOf(taught.service), 1);
    const again = await start(taught.name);
    close(await predictions(again.service));
  });

  it('a failed commit leaves the statistics and the predictions as they were', async () => {
    let fail = false;
    const hooks = {
      beforeWrite(op: string) {
        if (fail && op === 'commitRound') throw new Error('disk unplugged');
      },
    };
    const { service, name } = await start(undefined, hooks);
    await teach(service, [['red', 'green']]);
    const stats = await statistics(service);
    const before = await predictions(service);
    const blue = await service.addClass('blue');
    await capture(service, blue.id, 'blue', 10, 400);
    fail = true;
    await expect(service.learn(EXACT)).rejects.toThrow(/disk unplugged|save the learning round/);
    expect(await statistics(service)).toEqual(stats);
    expect(await predictions(service)).toEqual(before);
    fail = false;
    service.dispose();
    open.splice(0);
    const again = await start(name);
    expect(await statistics(again.service)).toEqual(stats);
    // The pictures are still pending: the next round learns them.
    expect((await again.service.learn(EXACT)).cancelled).toBe(false);
    expect((await again.service.predict(picture('blue', 902))).top).toBe(blue.id);
  });

  it('a round cancelled or failing after its commit began (while its model is measured) writes nothing; the next round learns the pictures', async () => {
    const { service, name } = await start();
    await teach(service, [['red', 'green']]);
    const stats = await statistics(service);
    const before = await predictions(service);
    const rounds = (await service.metrics()).rounds;
    const blue = await service.addClass('blue');
    await capture(service, blue.id, 'blue', 10, 400);
    // The commit has begun (the memory's rows are being written) when the model is measured: cancel there.
    const measure = ExactModel.prototype.predictProbaOfRows;
    const spy = vi.spyOn(ExactModel.prototype, 'predictProbaOfRows').mockImplementationOnce(function (this: ExactModel, rows) {
      service.cancelLearn();
      return measure.call(this, rows);
    });
    expect((await service.learn(EXACT)).cancelled).toBe(true);
    // Then the measuring fails outright: the learning error is reported, not a storage one.
    spy.mockImplementationOnce(() => Promise.reject(new Error('measuring broke')));
    await expect(service.learn(EXACT)).rejects.toThrow(/measuring broke/);
    spy.mockRestore();
    for (const s of [service, (await start(name)).service]) {
      expect(await statistics(s)).toEqual(stats);
      expect(await predictions(s)).toEqual(before);
      expect((await s.metrics()).rounds).toBe(rounds);
      expect(rounds).toBe(1);
    }
    const again = open[open.length - 1];
    expect((await again.learn(EXACT)).cancelled).toBe(false);
    expect((await again.predict(picture('blue', 902))).top).toBe(blue.id);
  });

  it('switching presets: Balanced to Exact rebuilds from every stored picture; Exact to Balanced trains a fresh head', async () => {
    const { service } = await start();
    const ids = await teach(service, [['red', 'green']], BALANCED);
    const blue = await service.addClass('blue');
    await capture(service, blue.id, 'blue', 10, 400);
    await service.learn(EXACT);
    // Every stored training picture (Balanced's memory kept all 16, plus the 8 new) is in the statistics.
    for (const id of [ids.red, ids.green, blue.id]) expect(await liveModel(service).statisticsCount(Number(id))).toBe(8);
    expect((await service.predict(picture('red', 900))).top).toBe(ids.red);
    const yellow = await service.addClass('yellow');
    await capture(service, yellow.id, 'yellow', 10, 600);
    await service.learn(BALANCED);
    expect(service.status().preset).toBe('balanced');
    expect((await service.predict(picture('yellow', 903))).top).toBe(yellow.id);
    expect((await service.predict(picture('blue', 902))).top).toBe(blue.id);
  });
});

describe('the Exact model', () => {
  it('with a random projection, its dense head (projection folded in) gives the same logits, and a restore the same model', async () => {
    const dim = 32;
    const n = 60;
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 3;
      for (let j = 0; j < dim; j++) x[i * dim + j] = Math.sin(i * 0.7 + j * 1.3) * 0.3 + (j % 3 === y[i] ? 1 : 0);
    }
    const tensors = tf.memory().numTensors;
    const model = ExactModel.create(dim, { ...PRESET_DEFAULTS.exact, exactProjection: 16, exactShrinkage: '0.01' });
    await model.learnTask({ task: 0, x, y, classes: [0, 1, 2] }, {});
    const logits = await model.predictLogits(x, n);
    const head = await model.denseHead();
    expect(head.layers).toHaveLength(1);
    const [layer] = head.layers;
    expect([layer.inputDim, layer.units]).toEqual([dim, 3]);
    let worst = 0;
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 3; c++) {
        let z = layer.bias[c];
        for (let j = 0; j < dim; j++) z += x[i * dim + j] * layer.kernel[j * 3 + c];
        worst = Math.max(worst, Math.abs(z - logits[i * 3 + c]) / EXACT_LOGIT_SCALE);
      }
    expect(worst).toBeLessThan(1e-4);
    const restored = ExactModel.fromState(await model.exportState(), PRESET_DEFAULTS.exact);
    expect(await restored.predictLogits(x, n)).toEqual(logits);
    expect(await restored.statisticsBytes()).toBe(8 * ((16 * 17) / 2 + 3 * 16) + 8 * 3);
    model.dispose();
    restored.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('predicts stored pictures as predictProba does, projecting each picture once across rounds', async () => {
    const dim = 32;
    const rows = Array.from({ length: 45 }, (_, i) => Float32Array.from({ length: dim }, (_, j) => Math.cos(i * 0.9 + j) * 0.3 + (j % 3 === i % 3 ? 1 : 0)));
    const joined = (list: Float32Array[]) => Float32Array.from(list.flatMap((r) => [...r]));
    const model = ExactModel.create(dim, { ...PRESET_DEFAULTS.exact, exactProjection: 16, exactShrinkage: '0.01' });
    const train = rows.slice(0, 30);
    await model.learnTask({ task: 0, x: joined(train.slice(0, 20)), y: Int32Array.from({ length: 20 }, (_, i) => i % 2), classes: [0, 1] }, {});
    const probe = rows.slice(30);
    const close = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]) < 1e-6);
    expect(close(await model.predictProbaOfRows(probe), await model.predictProba(joined(probe), probe.length))).toBe(true);
    // A later round changes the weights; the cached projections still give predictProba's answer, and the probe
    // pictures are not projected again (the backend projection runs for the round's own pictures only).
    const projections = vi.spyOn(model as unknown as { features: (x: Float32Array, n: number) => Promise<Float32Array> }, 'features');
    await model.learnTask({ task: 1, x: joined(train.slice(20)), y: Int32Array.from({ length: 10 }, () => 2), classes: [2] }, {});
    expect(projections).toHaveBeenCalledTimes(1);
    const cached = await model.predictProbaOfRows(probe);
    expect(projections).toHaveBeenCalledTimes(1);
    expect(cached.length).toBe(probe.length * 3);
    expect(close(cached, await model.predictProba(joined(probe), probe.length))).toBe(true);
    projections.mockRestore();
    await expect(model.predictProbaOfRows([new Float32Array(3)])).rejects.toThrow(/not 32 wide/);
    model.dispose();
  });
});
