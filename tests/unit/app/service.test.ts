/**
 * The learner service as the worker runs it, in Node: a real project store (fake-indexeddb), the real engine
 * (src/cl on tfjs WASM) and a small deterministic feature extractor in place of MobileNet (a few colour means),
 * so what the user does (classes, pictures, rounds, predictions, export/import, reset) runs end to end.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CLASSES } from '../../../src/memory/class-rules';
import type { StoreTestHooks } from '../../../src/memory/store/project-store';
import { AppError } from '../../../src/app/protocol';
import type { LearnerService } from '../../../src/app/worker/service';
import { QUICK, byName, capture, colourMeans, openService, picture, wasReleased } from '../support/service-harness';
import { useWasmBackend } from '../support/setup-wasm';

beforeAll(useWasmBackend);

let dbCounter = 0;
const services: LearnerService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.dispose();
});

/** A service on a fresh database (disposed after the test); `hooks` inject write failures. */
async function newService(name = `svc-${++dbCounter}-${Date.now()}`, hooks: StoreTestHooks = {}) {
  const ctx = await openService(name, hooks);
  services.push(ctx.service);
  return { ...ctx, name };
}

/** A project with Red and Green learned in one round. */
async function taughtRedGreen(name?: string, hooks?: StoreTestHooks) {
  const ctx = await newService(name, hooks);
  const red = await ctx.service.addClass('Red');
  const green = await ctx.service.addClass('Green');
  await capture(ctx.service, red.id, 'red', 10);
  await capture(ctx.service, green.id, 'green', 10, 100);
  const report = await ctx.service.learn(QUICK);
  return { ...ctx, red, green, report };
}

describe('LearnerService', () => {
  it('adds classes by the one name rule and holds out every 5th picture', async () => {
    const { service, events } = await newService();
    const red = await service.addClass('  Red ');
    expect(red).toMatchObject({ name: 'Red', sampleCount: 0, learned: false });
    await expect(service.addClass('red')).rejects.toThrow(/already a class named "Red"/);
    await expect(service.addClass('   ')).rejects.toThrow(/cannot be empty/);
    await expect(service.addClass('x'.repeat(61))).rejects.toThrow(/at most 60 characters/);
    const frame = picture('red', 1);
    const samples = await capture(service, red.id, 'red', 10);
    expect(samples.map((s) => s.heldOut)).toEqual([false, false, false, false, true, false, false, false, false, true]);
    expect(samples[0].thumbnailType).toBe('image/png');
    expect(service.status().classes).toEqual([expect.objectContaining({ name: 'Red', sampleCount: 10 })]);
    expect(events.filter((e) => e.type === 'classes').length).toBeGreaterThanOrEqual(11);
    expect((await service.listSamples(red.id)).length).toBe(10);
    await service.addSample(red.id, frame, 'file');
    expect(wasReleased(frame)).toBe(true);
    await expect(service.addSample('999', picture('red', 2), 'camera')).rejects.toThrow(/No class with id 999/);
    await expect(service.learn(QUICK)).rejects.toThrow(/at least two classes/);
  });

  it('refuses a class past the maximum count, and renaming keeps the count', async () => {
    const { service } = await newService();
    for (let i = 0; i < MAX_CLASSES; i++) await service.addClass(`class ${i}`);
    await expect(service.addClass('one too many')).rejects.toThrow(`at most ${MAX_CLASSES} classes`);
    await service.renameClass('0', 'first');
    expect(service.status().classes.length).toBe(MAX_CLASSES);
    await service.deleteClass('1');
    expect((await service.addClass('one more')).name).toBe('one more');
  });

  it('learns a round, predicts each colour, measures held-out accuracy and survives a restart', async () => {
    const { service, red, green, report, name } = await taughtRedGreen();
    expect(report).toMatchObject({ round: 1, cancelled: false });
    expect(report.steps).toBeGreaterThan(0);
    const pRed = await service.predict(picture('red', 500));
    const pGreen = await service.predict(picture('green', 501));
    expect(pRed.top).toBe(red.id);
    expect(pGreen.top).toBe(green.id);
    expect(pRed.scores.reduce((a, s) => a + s.p, 0)).toBeCloseTo(1, 5);
    const metrics = await service.metrics();
    expect(metrics.rounds).toBe(1);
    expect(metrics.accuracyMatrix).toEqual([[1]]);
    expect(metrics.perClass.map((c) => [c.name, c.accuracy, c.heldOut])).toEqual([['Red', 1, 2], ['Green', 1, 2]]);
    expect(service.status().classes.every((c) => c.learned)).toBe(true);
    await expect(service.learn(QUICK)).rejects.toThrow(/Nothing new to learn/);

    // A restart (a new worker on the same database) predicts exactly as before.
    service.dispose();
    services.splice(services.indexOf(service), 1);
    const again = await newService(name);
    expect(again.service.status()).toMatchObject({ rounds: 1, classes: [{ name: 'Red' }, { name: 'Green' }] });
    expect(byName(await again.service.predict(picture('red', 500)))).toEqual(byName(pRed));
  });

  it('adds a class in a later round and keeps the old ones', async () => {
    const { service, red, green } = await taughtRedGreen();
    const blue = await service.addClass('Blue');
    await capture(service, blue.id, 'blue', 10, 200);
    const report = await service.learn(QUICK);
    expect(report.round).toBe(2);
    expect((await service.predict(picture('red', 600))).top).toBe(red.id);
    expect((await service.predict(picture('green', 601))).top).toBe(green.id);
    expect((await service.predict(picture('blue', 602))).top).toBe(blue.id);
    const metrics = await service.metrics();
    expect(metrics.taskNames).toEqual(['Red, Green', 'Blue']);
    expect(metrics.accuracyMatrix[1]).toEqual([1, 1]);
    expect(metrics.forgetting).toBe(0);
  });

  it('the accuracy table still shows after a learned class is deleted and a class with too few pictures to hold one out is learned', async () => {
    const { service, green } = await taughtRedGreen();
    const blue = await service.addClass('Blue');
    await capture(service, blue.id, 'blue', 10, 200);
    await service.learn(QUICK);
    await service.deleteClass(blue.id);
    // Four pictures: the fifth would be the first held out, so this round's class has no held-out picture.
    const purple = await service.addClass('Purple');
    for (let i = 0; i < 4; i++) await service.addSample(purple.id, picture(i % 2 ? 'red' : 'blue', 300 + i), 'camera');
    expect((await service.learn(QUICK)).round).toBe(3);
    const metrics = await service.metrics();
    expect(metrics.accuracyMatrix[2]).toEqual([1, null, null]);
    expect(metrics.averageAccuracy).toBe(1);
    expect(metrics.forgetting).toBe(0);
    expect(metrics.perClass.map((c) => c.name)).toEqual(['Red', 'Green', 'Purple']);
    expect((await service.predict(picture('green', 702))).top).toBe(green.id);
    expect((await service.predict(picture('blue', 703))).top).not.toBe(blue.id);
  });

  it('renames and deletes classes; a deleted class is never predicted', async () => {
    const { service, red, green } = await taughtRedGreen();
    await expect(service.renameClass(red.id, 'green')).rejects.toThrow(/already a class named "Green"/);
    await service.renameClass(red.id, 'Crimson');
    await service.renameClass(green.id, 'GREEN'); // its own name in another case is allowed
    expect(byName(await service.predict(picture('red', 700)))).toHaveProperty('Crimson');
    await service.deleteClass(green.id);
    const p = await service.predict(picture('green', 701));
    expect(p.scores.map((s) => s.name)).toEqual(['Crimson']);
    expect(service.status().classes.map((c) => c.name)).toEqual(['Crimson']);
    await expect(service.deleteClass(green.id)).rejects.toThrow(/No class with id/);
  });

  it('exports a project and imports it back: same classes, same predictions', async () => {
    const { service } = await taughtRedGreen();
    const before = byName(await service.predict(picture('red', 800)));
    const statusBefore = service.status();
    const file = await service.exportProject();
    expect(file.byteLength).toBeGreaterThan(100);

    await service.reset();
    expect(service.status()).toMatchObject({ rounds: 0, classes: [] });
    expect((await service.predict(picture('red', 800))).scores).toEqual([]);

    await service.importProject(file);
    expect(service.status().classes).toEqual(statusBefore.classes);
    expect(service.status().rounds).toBe(1);
    const after = byName(await service.predict(picture('red', 800)));
    for (const [k, v] of Object.entries(before)) expect(after[k]).toBeCloseTo(v, 6);

    const broken = new Uint8Array(file.slice(0));
    broken[broken.length - 5] ^= 0xff;
    const err = await service.importProject(broken.buffer).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('import-refused');
    expect(service.status().classes).toEqual(statusBefore.classes);
  });

  it('a round whose commit fails changes nothing, and the next round succeeds', async () => {
    let failCommit = false;
    const hooks: StoreTestHooks = {
      beforeWrite(op) {
        if (failCommit && op === 'commitRound') throw new DOMException('quota', 'QuotaExceededError');
      },
    };
    const { service } = await taughtRedGreen(undefined, hooks);
    const blue = await service.addClass('Blue');
    await capture(service, blue.id, 'blue', 10, 300);
    const predictionBefore = byName(await service.predict(picture('red', 900)));
    const tensorsBefore = tf.memory().numTensors;
    failCommit = true;
    const err = await service.learn(QUICK).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('storage-full');
    expect((err as Error).message).toMatch(/Storage is full/);
    expect(service.status().rounds).toBe(1);
    expect(service.status().classes.find((c) => c.name === 'Blue')).toMatchObject({ learned: false, sampleCount: 10 });
    expect(byName(await service.predict(picture('red', 900)))).toEqual(predictionBefore);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    failCommit = false;
    expect((await service.learn(QUICK)).round).toBe(2);
    expect((await service.predict(picture('blue', 901))).top).toBe(blue.id);
  });

  it('a cancelled round is not kept', async () => {
    const { service, listener } = await taughtRedGreen();
    const blue = await service.addClass('Blue');
    await capture(service, blue.id, 'blue', 10, 400);
    const before = byName(await service.predict(picture('green', 950)));
    const tensorsBefore = tf.memory().numTensors;
    // Cancel at the round's first progress event.
    listener.onEvent = (e) => {
      if (e.type === 'progress') service.cancelLearn();
    };
    expect(await service.learn(QUICK)).toMatchObject({ cancelled: true, round: 1 });
    listener.onEvent = undefined;
    expect(service.status().rounds).toBe(1);
    expect(byName(await service.predict(picture('green', 950)))).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('a cancelled first round leaves no model', async () => {
    const { service, listener } = await newService();
    const red = await service.addClass('Red');
    const green = await service.addClass('Green');
    await capture(service, red.id, 'red', 10);
    await capture(service, green.id, 'green', 10, 100);
    const tensorsBefore = tf.memory().numTensors;
    listener.onEvent = (e) => {
      if (e.type === 'progress') service.cancelLearn();
    };
    expect(await service.learn(QUICK)).toMatchObject({ cancelled: true, round: 0 });
    listener.onEvent = undefined;
    expect(service.status()).toMatchObject({ rounds: 0, classes: [{ learned: false }, { learned: false }] });
    expect((await service.predict(picture('red', 1))).top).toBeNull();
    await expect(service.exportModel()).rejects.toThrow(/no model yet/);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect((await service.learn(QUICK)).round).toBe(1);
  });

  it('a lost device fails the running round with device-lost and resumes from the last commit', async () => {
    const { service, events, listener } = await taughtRedGreen();
    const blue = await service.addClass('Blue');
    await capture(service, blue.id, 'blue', 10, 450);
    const before = byName(await service.predict(picture('red', 960)));
    let switched: Promise<void> | null = null;
    listener.onEvent = (e) => {
      if (e.type === 'progress' && !switched)
        switched = service.switchBackend(async () => ({ backend: { backend: 'cpu', note: 'after loss', adapter: null }, backbone: colourMeans }));
    };
    const err = await service.learn(QUICK).catch((e: unknown) => e);
    listener.onEvent = undefined;
    await switched;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('device-lost');
    expect(service.status()).toMatchObject({ backend: 'cpu', ready: true, rounds: 1 });
    expect(events.at(-1)).toEqual({ type: 'backend', backend: 'cpu', note: 'after loss' });
    expect(byName(await service.predict(picture('red', 960)))).toEqual(before);
    expect((await service.learn(QUICK)).round).toBe(2);
  });

  it('keeps the tensor count stable across predictions, metrics, export and import', async () => {
    const { service } = await taughtRedGreen();
    await service.predict(picture('red', 1));
    await service.metrics();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await service.predict(picture(i % 2 ? 'red' : 'green', 1000 + i));
    await service.metrics();
    await service.fullRetrain(QUICK);
    await service.importProject(await service.exportProject());
    await service.predict(picture('red', 1));
    expect(tf.memory().numTensors).toBe(start);
  });

  it('the full-retrain baseline learns every class without touching the project', async () => {
    const { service, red, green } = await taughtRedGreen();
    const before = byName(await service.predict(picture('red', 1100)));
    const report = await service.fullRetrain(QUICK);
    expect(report.samples).toBe(16);
    expect(report.perClass).toEqual([
      { classId: red.id, correct: 2, total: 2 },
      { classId: green.id, correct: 2, total: 2 },
    ]);
    expect(byName(await service.predict(picture('red', 1100)))).toEqual(before);
  });
});
