/**
 * bench:app's Exact row, run inside the lab page (`page.evaluate(measureExact, args)`): its own project with the
 * same synthetic pictures as the Balanced row, OLD_CLASSES classes in a first Exact round, then one new class per
 * Exact round (median of REPEATS; the previous new class is deleted, i.e. unlearned, before the next is added),
 * beside a full retrain timed in the same project and moment, each side after untimed runs of its own (WARMUP one-class
 * rounds, one retrain; the untimed rounds' times are reported too: a fresh page's first rounds). Also the
 * longest main-thread frame while learning, and "Not sure" on the Exact model with the Balanced row's probes.
 */
import type { Preset } from '../../src/app/protocol';

/** What the runner passes (plain JSON: it crosses into the page). */
export interface ExactRowArgs {
  oldClasses: number;
  perClass: number;
  repeats: number;
  /** Untimed one-class rounds before the timed ones. */
  warmupRounds: number;
  /** Epochs of the full-retrain baseline (the Balanced row's). */
  epochs: number;
  /** "Not sure": kinds never taught (40..) and pictures per kind, as in the Balanced row. */
  openSetUnknown: number;
  openSetPerClass: number;
  backend?: string;
  /** `exactProjection` override (unset: the preset's). */
  projection?: number;
}

/** Teaches, times and measures the Exact preset; returns the row written under `exact` in bench-results/app.json. */
export async function measureExact(args: ExactRowArgs) {
  const { oldClasses, perClass, repeats, warmupRounds, epochs, backend, projection, openSetUnknown, openSetPerClass } = args;
  const { LearnerClient, makeScene, addSceneClass, watchFrames, median, openSetFigures } = window.retainLab;
  const client = await LearnerClient.start({ project: `bench-exact-${Date.now()}`, ...(backend ? { backend: backend as never } : {}) });
  const settings = { preset: 'exact' as Preset, advanced: projection !== undefined ? { exactProjection: projection } : {} };
  const ids: string[] = [];
  const addClass = async (k: number) => {
    ids.push(await addSceneClass(client, makeScene, k, perClass));
  };
  for (let k = 0; k < oldClasses; k++) await addClass(k);
  const t0 = performance.now();
  await client.learn(settings);
  const firstRoundSeconds = (performance.now() - t0) / 1000;
  // One untimed retrain, then untimed one-class rounds (each unlearned after): both sides are timed warm, so the
  // medians compare the methods, not which one the JavaScript engine compiled first. A retrain runs its step code
  // hundreds of times in one run; a round runs its code once, and the first two or three rounds of a page still
  // run unoptimised code (0.05-0.06 s against 0.03-0.04 s on 2026-12-02), hence several rounds. The retrain goes
  // first: the rounds just after one are slowed for seconds by what it leaves (garbage to collect).
  await client.fullRetrain({ preset: 'fast', advanced: { epochs } });
  const warmupTimes: number[] = [];
  for (let w = 0; w < warmupRounds; w++) {
    await addClass(oldClasses);
    const tw = performance.now();
    await client.learn(settings);
    warmupTimes.push((performance.now() - tw) / 1000);
    await client.deleteClass(ids.pop()!);
  }
  await addClass(oldClasses);

  const frameWatch = await watchFrames();
  const t1 = performance.now();
  const incremental = await client.learn(settings);
  const learnTimes = [(performance.now() - t1) / 1000];
  const { longestMs: longest, frames } = frameWatch.stop();
  const metrics = await client.metrics();
  const storage = await client.storage();
  const timings = [incremental.timings];
  const deleteTimes: number[] = [];
  for (let rep = 1; rep < repeats; rep++) {
    const td = performance.now();
    await client.deleteClass(ids[ids.length - 1]);
    deleteTimes.push((performance.now() - td) / 1000);
    await addClass(oldClasses + rep);
    const t = performance.now();
    const again = await client.learn(settings);
    learnTimes.push((performance.now() - t) / 1000);
    timings.push(again.timings);
  }
  const fullTimes: number[] = [];
  let full = null as Awaited<ReturnType<typeof client.fullRetrain>> | null;
  for (let rep = 0; rep < repeats; rep++) {
    const t = performance.now();
    full = await client.fullRetrain({ preset: 'fast', advanced: { epochs } });
    fullTimes.push((performance.now() - t) / 1000);
  }
  if (!full) throw new Error('no full-retrain measurement');
  // "Not sure" on the Exact model (the default preset): the Balanced row's probes, on the classes taught first.
  const openSet = await openSetFigures(
    client,
    makeScene,
    ids,
    Array.from({ length: oldClasses }, (_, k) => k),
    Array.from({ length: openSetUnknown }, (_, j) => 40 + j),
    openSetPerClass,
  );
  const oldIds = new Set(ids.slice(0, oldClasses));
  const old = metrics.perClass.filter((p) => oldIds.has(p.classId) && p.accuracy !== null);
  const oldCorrect = old.reduce((a, p) => a + (p.accuracy as number) * p.heldOut, 0);
  const oldTotal = old.reduce((a, p) => a + p.heldOut, 0);
  const fullOld = full.perClass.filter((p) => oldIds.has(p.classId));
  const fullCorrect = fullOld.reduce((a, p) => a + p.correct, 0);
  const fullTotal = fullOld.reduce((a, p) => a + p.total, 0);
  await client.reset();
  client.terminate();
  const learnNewClassSeconds = median(learnTimes);
  const fullRetrainSeconds = median(fullTimes);
  return {
    learnNewClassSeconds,
    fullRetrainSeconds,
    speedup: fullRetrainSeconds / learnNewClassSeconds,
    oldClassAccuracy: oldTotal ? oldCorrect / oldTotal : null,
    oldClassAccuracyFullRetrain: fullTotal ? fullCorrect / fullTotal : null,
    newClassAccuracy: metrics.perClass.find((p) => p.classId === ids[oldClasses])?.accuracy ?? null,
    statisticsBytes: storage.statisticsBytes,
    picturesStored: storage.samples,
    /** Statistics plus every stored picture (embedding, thumbnail, row) at the service's per-picture estimate. */
    bytesStored: storage.statisticsBytes + storage.samples * storage.bytesPerSample,
    uiLongestFrameMsDuringLearn: longest,
    uiFramesDuringLearn: frames,
    openSet,
    details: {
      projection: projection ?? 'preset',
      firstRoundSeconds,
      /** The untimed one-class rounds, in order: what the first rounds after a page load take. */
      warmupLearnSecondsEachRun: warmupTimes,
      learnSecondsEachRun: learnTimes,
      timings,
      deleteClassSecondsEachRun: deleteTimes,
      fullRetrainSecondsEachRun: fullTimes,
      accuracyMatrix: metrics.accuracyMatrix,
    },
  };
}
