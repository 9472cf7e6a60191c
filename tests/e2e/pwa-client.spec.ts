/**
 * The platform behind the UI, driven through `LearnerClient` on the lab page: real backbone, real engine, real
 * IndexedDB. Rounds and metrics, restart restores the exact model, cancelling changes nothing, a lost GPU device
 * falls back and carries on, bad calls are refused with specific messages, no tensors leak across rounds.
 */
import { expect, test, type Page } from '@playwright/test';

test.describe.configure({ mode: 'serial' });

async function openLab(page: Page): Promise<void> {
  await page.goto('/lab/platform.html');
  await page.waitForFunction(() => window.retainLab !== undefined);
}

test('rounds, metrics, thumbnails, model export; a restart restores the same model; no tensor leaks', async ({ page }) => {
  await openLab(page);
  const project = `rounds-${Date.now()}`;
  const first = await page.evaluate(async (project) => {
    const { LearnerClient, makeScene } = window.retainLab;
    const client = await LearnerClient.start({ backend: 'wasm', project });
    const progress: number[] = [];
    client.on((e) => {
      if (e.type === 'progress') progress.push(e.step);
    });
    const ids: string[] = [];
    for (const [k, name] of ['Circles', 'Squares'].entries()) {
      const c = await client.addClass(name);
      ids.push(c.id);
      for (let i = 0; i < 10; i++) await client.addSample(c.id, await makeScene(k, i), i % 2 ? 'camera' : 'file');
    }
    const r1 = await client.learn({ preset: 'balanced', advanced: { epochs: 15 } });
    const mem1 = await client.memory();
    const c3 = await client.addClass('Triangles');
    ids.push(c3.id);
    for (let i = 0; i < 10; i++) await client.addSample(c3.id, await makeScene(2, i), 'camera');
    const r2 = await client.learn({ preset: 'balanced', advanced: { epochs: 15, laterEpochs: 12 } });
    const mem2 = await client.memory();
    const metrics = await client.metrics();
    const samples = await client.listSamples(ids[0]);
    const probe = await makeScene(2, 500);
    const prediction = await client.predict(probe);
    const model = await client.exportModel();
    const status = await client.status();
    client.terminate();
    return {
      ids,
      r1,
      r2,
      mem1,
      mem2,
      metrics,
      progressEvents: progress.length,
      samples: samples.map((s) => ({ bytes: s.thumbnail.byteLength, type: s.thumbnailType, heldOut: s.heldOut })),
      prediction,
      model: { json: JSON.parse(model.modelJson), bytes: model.weights.byteLength, classes: model.classes },
      status,
    };
  }, project);

  expect(first.r1).toMatchObject({ round: 1, cancelled: false });
  expect(first.r2).toMatchObject({ round: 2, cancelled: false });
  // 8 training samples per class fit one batch of 32: the first round (a fresh head) trains `epochs` steps, the
  // later one (from the trained head) `laterEpochs`.
  expect(first.r1.steps).toBe(15);
  expect(first.r2.steps).toBe(12);
  expect(first.progressEvents).toBeGreaterThan(2);
  // Same tensors after round 2 as after round 1, apart from the head's growth: nothing leaks per round.
  expect(first.mem2.numTensors - first.mem1.numTensors).toBeLessThanOrEqual(2);
  expect(first.status.rounds).toBe(2);
  expect(first.status.classes.map((c) => c.learned)).toEqual([true, true, true]);
  // Accuracy matrix across rounds on held-out samples (every 5th capture: 2 per class).
  expect(first.metrics.rounds).toBe(2);
  expect(first.metrics.taskNames).toEqual(['Circles, Squares', 'Triangles']);
  expect(first.metrics.accuracyMatrix[0][0]).toBeGreaterThanOrEqual(0.75);
  expect(first.metrics.accuracyMatrix[1][1]).toBeGreaterThanOrEqual(0.5);
  expect(first.metrics.accuracyMatrix[0][1]).toBeNull();
  expect(first.metrics.perClass.map((p) => p.heldOut)).toEqual([2, 2, 2]);
  expect(first.metrics.forgetting).not.toBeNull();
  expect(first.metrics.lossHistory.length).toBeGreaterThan(2);
  // Held-out samples stay; trained ones stay while the replay memory keeps them (budget 1000 here).
  expect(first.samples.length).toBe(10);
  expect(first.samples.filter((s) => s.heldOut).length).toBe(2);
  for (const s of first.samples) {
    expect(s.bytes).toBeGreaterThan(100);
    expect(['image/webp', 'image/jpeg']).toContain(s.type);
  }
  expect(first.prediction.top).toBe(first.ids[2]);
  expect(first.prediction.scores.reduce((a, s) => a + s.p, 0)).toBeCloseTo(1, 5);
  // A linear head on 1280 features with 3 outputs.
  expect(first.model.bytes).toBe((1280 * 3 + 3) * 4);
  expect(first.model.classes).toEqual(['Circles', 'Squares', 'Triangles']);

  // Restart: a new worker restores the committed model from IndexedDB and predicts exactly the same.
  await page.reload();
  await page.waitForFunction(() => window.retainLab !== undefined);
  const second = await page.evaluate(async (project) => {
    const { LearnerClient, makeScene } = window.retainLab;
    const client = await LearnerClient.start({ backend: 'wasm', project });
    const status = await client.status();
    const prediction = await client.predict(await makeScene(2, 500));
    const metrics = await client.metrics();
    const file = await client.exportProject();
    const fileBytes = file.byteLength;
    await client.reset();
    const afterReset = await client.status();
    // Import brings the exported project back, model included.
    await client.importProject(file);
    const imported = await client.status();
    const importedPrediction = await client.predict(await makeScene(2, 500));
    const corrupt = new Uint8Array(await client.exportProject());
    corrupt[corrupt.length - 10] ^= 0xff;
    let refused = '';
    await client.importProject(corrupt.buffer).catch((e) => (refused = `${e.code}: ${e.message}`));
    const afterRefused = await client.status();
    await client.reset();
    client.terminate();
    return { status, prediction, metrics, afterReset, fileBytes, imported, importedPrediction, refused, afterRefused };
  }, project);
  expect(second.status.rounds).toBe(2);
  expect(second.status.classes.map((c) => c.name)).toEqual(['Circles', 'Squares', 'Triangles']);
  expect(second.metrics.accuracyMatrix).toEqual(first.metrics.accuracyMatrix);
  expect(second.prediction.top).toBe(first.prediction.top);
  second.prediction.scores.forEach((s, i) => expect(s.p).toBeCloseTo(first.prediction.scores[i].p, 5));
  expect(second.afterReset).toMatchObject({ rounds: 0, classes: [] });
  expect(second.fileBytes).toBeGreaterThan(30 * 1280 * 4 * 0.5);
  expect(second.imported.rounds).toBe(2);
  expect(second.imported.classes.map((c) => c.name)).toEqual(['Circles', 'Squares', 'Triangles']);
  second.importedPrediction.scores.forEach((s, i) => expect(s.p).toBeCloseTo(first.prediction.scores[i].p, 5));
  expect(second.refused).toMatch(/^import-refused: This file cannot be imported: .*checksum/);
  expect(second.afterRefused.rounds).toBe(2);
});

test('cancelling a round changes nothing; bad calls are refused with specific messages', async ({ page }) => {
  await openLab(page);
  const out = await page.evaluate(async (project) => {
    const { LearnerClient, makeScene } = window.retainLab;
    const client = await LearnerClient.start({ backend: 'wasm', project });
    const errors: Record<string, string> = {};
    const capture = async (name: string, p: Promise<unknown>) => {
      try {
        await p;
        errors[name] = 'resolved';
      } catch (e) {
        errors[name] = `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
    };
    await capture('emptyName', client.addClass('   '));
    await capture('nothingToLearn', client.learn({ preset: 'fast' }));
    const a = await client.addClass('Stripes');
    await capture('duplicate', client.addClass('stripes'));
    await capture('unknownClass', client.addSample('999', await makeScene(0, 0), 'file'));
    await capture('badPreset', client.learn({ preset: 'turbo' as never }));
    await capture('badEpochs', client.learn({ preset: 'fast', advanced: { epochs: 0 } }));
    for (let i = 0; i < 8; i++) await client.addSample(a.id, await makeScene(3, i), 'file');
    await capture('oneClass', client.learn({ preset: 'fast' }));
    const b = await client.addClass('Dots');
    for (let i = 0; i < 8; i++) await client.addSample(b.id, await makeScene(4, i), 'file');
    await capture('noModelYet', client.exportModel());
    let cancelledAt = -1;
    const off = client.on((e) => {
      if (e.type === 'progress' && cancelledAt < 0) {
        cancelledAt = e.step;
        client.cancelLearn();
      }
    });
    const cancelled = await client.learn({ preset: 'balanced', advanced: { epochs: 400 } });
    off();
    const statusAfterCancel = await client.status();
    const predictionAfterCancel = await client.predict(await makeScene(3, 99));
    const done = await client.learn({ preset: 'fast', advanced: { epochs: 5 } });
    await capture('importGarbage', client.importProject(new Uint8Array([1, 2, 3, 4]).buffer));
    const status = await client.status();
    await client.reset();
    client.terminate();
    return { errors, cancelled, cancelledAt, statusAfterCancel, predictionAfterCancel, done, status };
  }, `cancel-${Date.now()}`);
  expect(out.errors.emptyName).toMatch(/cannot be empty/);
  expect(out.errors.nothingToLearn).toMatch(/Nothing new to learn/);
  expect(out.errors.duplicate).toMatch(/already a class named "Stripes"/);
  expect(out.errors.unknownClass).toMatch(/No class with id 999/);
  expect(out.errors.badPreset).toMatch(/Unknown preset/);
  expect(out.errors.badEpochs).toMatch(/epochs must be a whole number/);
  expect(out.errors.oneClass).toMatch(/at least two classes/);
  expect(out.errors.noModelYet).toMatch(/no model yet/);
  expect(out.errors.importGarbage).toMatch(/^import-refused: /);
  expect(out.cancelled.cancelled).toBe(true);
  expect(out.cancelled.round).toBe(0);
  expect(out.statusAfterCancel.rounds).toBe(0);
  expect(out.statusAfterCancel.classes.map((c) => c.learned)).toEqual([false, false]);
  expect(out.predictionAfterCancel.top).toBeNull();
  expect(out.done).toMatchObject({ round: 1, cancelled: false });
  expect(out.status.rounds).toBe(1);
});

test('a lost device falls back to another backend, reloads the last checkpoint and carries on', async ({ page }) => {
  await openLab(page);
  const out = await page.evaluate(async (project) => {
    const { LearnerClient, makeScene } = window.retainLab;
    const events: { backend: string; note: string }[] = [];
    // 1. A real WebGPU device (SwiftShader here, forced) destroyed under the app: the device.lost path.
    //    (SwiftShader runs MobileNetV2 very slowly, so nothing heavy happens on it.)
    const gpu = await LearnerClient.start({ backend: 'webgpu', project: `${project}-gpu` });
    gpu.on((e) => {
      if (e.type === 'backend') events.push({ backend: e.backend, note: e.note });
    });
    const gpuBefore = await gpu.status();
    await gpu.simulateDeviceLoss();
    const gpuAfter = await gpu.status();
    const a = await gpu.addClass('After loss A');
    const b = await gpu.addClass('After loss B');
    for (let i = 0; i < 3; i++) {
      await gpu.addSample(a.id, await makeScene(0, i), 'file');
      await gpu.addSample(b.id, await makeScene(1, i), 'file');
    }
    const gpuRound = await gpu.learn({ preset: 'fast', advanced: { epochs: 3 } });
    await gpu.reset();
    gpu.terminate();

    // 2. A trained model moved to another backend: reloaded from the last checkpoint, same answers, learns on.
    const client = await LearnerClient.start({ backend: 'wasm', project });
    const moved: { backend: string; note: string }[] = [];
    client.on((e) => {
      if (e.type === 'backend') moved.push({ backend: e.backend, note: e.note });
    });
    const ids: string[] = [];
    for (const [k, name] of ['Red', 'Blue'].entries()) {
      const c = await client.addClass(name);
      ids.push(c.id);
      for (let i = 0; i < 6; i++) await client.addSample(c.id, await makeScene(k, i), 'file');
    }
    await client.learn({ preset: 'max-retention', advanced: { epochs: 10 } });
    const predictBefore = await client.predict(await makeScene(1, 77));
    await client.simulateDeviceLoss();
    const after = await client.status();
    const predictAfter = await client.predict(await makeScene(1, 77));
    for (let i = 6; i < 9; i++) await client.addSample(ids[0], await makeScene(0, i), 'file');
    const round = await client.learn({ preset: 'max-retention', advanced: { laterEpochs: 5 } });
    await client.reset();
    client.terminate();
    return { gpuBefore, gpuAfter, events, gpuRound, after, moved, predictBefore, predictAfter, round };
  }, `device-${Date.now()}`);
  expect(out.gpuBefore.backend).toBe('webgpu');
  expect(out.gpuAfter.backend).not.toBe('webgpu');
  expect(out.events).toHaveLength(1);
  expect(out.events[0].backend).toBe(out.gpuAfter.backend);
  expect(out.events[0].note).toMatch(/GPU device lost/);
  expect(out.gpuRound).toMatchObject({ round: 1, cancelled: false });

  expect(out.after.backend).not.toBe('wasm');
  expect(out.moved).toEqual([{ backend: out.after.backend, note: expect.stringMatching(/simulated device loss on wasm/) }]);
  expect(out.after.rounds).toBe(1);
  // Same checkpoint on another backend: the same answer up to float differences between backends.
  expect(out.predictAfter.top).toBe(out.predictBefore.top);
  out.predictAfter.scores.forEach((s, i) => expect(s.p).toBeCloseTo(out.predictBefore.scores[i].p, 2));
  expect(out.round).toMatchObject({ round: 2, cancelled: false });
});
