/**
 * Memory lab: exposes `window.memoryLab` so Playwright (tests/e2e/memory.spec.ts) and the benchmark
 * (bench/memory/run.ts) can drive the project store, the replay memory and export/import on real IndexedDB.
 */
import {
  ImportError,
  InMemoryReplayMemory,
  ProjectStore,
  crc32,
  exportProject,
  importProject,
  seededRandom,
  type ClassRecord,
  type IdbReplayMemory,
  type IdbReplayMemoryOptions,
} from '../src/memory';
import { corruptVariants } from './fixtures/memory/corruptions';
import { fakeEmbedding, fakeThumbnail, prepareRound, runRound, stageRound, type FixtureOptions } from './fixtures/memory/project';

const status = document.getElementById('status')!;
const log = (s: string) => (status.textContent = s);

/** Options the crash test and the persistence test use: small but real rounds, fixed ids and times. */
const CRASH_FIX: FixtureOptions = { classesPerRound: 2, samplesPerClass: 40, heldOutPerClass: 5, dim: 256, seed: 7, thumbnailBytes: 1500, deterministic: true };
const MEMORY: IdbReplayMemoryOptions = { policy: 'reservoir', perClass: 30, writeMode: 'deferred' };

interface Opened {
  store: ProjectStore;
  memory: IdbReplayMemory;
}
const opened = new Map<string, Opened>();

async function openProject(name: string, memory: IdbReplayMemoryOptions = MEMORY): Promise<Opened> {
  const existing = opened.get(name);
  if (existing) return existing;
  const store = await ProjectStore.open({ name, appVersion: 'lab' });
  const o = { store, memory: await store.openReplayMemory(memory) };
  opened.set(name, o);
  return o;
}

function closeProject(name: string): void {
  opened.get(name)?.store.close();
  opened.delete(name);
}

/** What a project looks like, and whether every store agrees on the committed round. */
export interface ProjectSummary {
  round: number;
  digest: number;
  bytes: number;
  classes: number;
  samples: number;
  replayMembers: number;
  memorySize: number;
  problems: string[];
}

async function summarize(name: string): Promise<ProjectSummary> {
  const { store, memory } = await openProject(name);
  const file = await exportProject(store, { exportedAt: 0 });
  const rows = await store.readAll();
  const latest = await store.loadLatest();
  const round = latest.round;
  const problems: string[] = [];
  const cp = latest.checkpoint;
  if (round >= 0) {
    if (!cp || cp.round !== round) problems.push(`meta round ${round} but latest checkpoint ${cp?.round}`);
    if (cp && (cp.engineState.json as { round?: number }).round !== round) problems.push('engine json round differs');
    if (cp && !cp.engineState.tensors[0].data.every((v) => v === round + 0.5)) problems.push('engine tensors from another round');
    const committedClasses = rows.classes.filter((c) => c.round >= 0);
    if (committedClasses.some((c) => c.round !== round)) problems.push(`class rounds ${committedClasses.map((c) => c.round)} vs ${round}`);
    if (cp && Object.keys(cp.classToOutput).length !== committedClasses.length) problems.push('classToOutput does not cover the committed classes');
    const members = rows.samples.filter((s) => s.replay === 1);
    const maxMemberRound = Math.max(-1, ...members.map((s) => s.round));
    if (maxMemberRound !== round) problems.push(`newest replay member from round ${maxMemberRound}, committed ${round}`);
    const buffer = latest.buffer;
    if (!buffer) problems.push('no buffer state');
    else if (buffer.policy === 'reservoir') {
      // The reservoir has seen at least every sample it keeps.
      const seen = (buffer.policyState as { seen: number }).seen;
      if (seen < members.length) problems.push(`reservoir seen ${seen} < ${members.length} members`);
    }
    if (latest.rngState !== round * 17) problems.push(`rng state ${latest.rngState} for round ${round}`);
  }
  for (const c of rows.classes) {
    const mine = rows.samples.filter((s) => s.classId === c.id);
    if (mine.length !== c.sampleCount) problems.push(`class ${c.id} count ${c.sampleCount} vs ${mine.length} rows`);
  }
  return {
    round,
    digest: crc32(file),
    bytes: file.length,
    classes: rows.classes.length,
    samples: rows.samples.length,
    replayMembers: rows.samples.filter((s) => s.replay === 1).length,
    memorySize: memory.size(),
    problems,
  };
}

let stagedCommit: (() => Promise<number>) | null = null;

const lab = {
  ready: true,

  /** Deletes a project database. */
  async deleteProject(name: string): Promise<void> {
    closeProject(name);
    await ProjectStore.deleteDatabase(name);
  },

  /** Runs `rounds` deterministic rounds on a project. */
  async seedRounds(name: string, rounds: number): Promise<ProjectSummary> {
    const { store, memory } = await openProject(name);
    for (let r = 0; r < rounds; r++) {
      const round = await store.currentRound();
      await runRound(store, memory, CRASH_FIX, seededRandom(1000 + round + 1));
    }
    return summarize(name);
  },

  /** Digest and consistency report of a project. */
  summarize,

  /** Thumbnails of one class survive byte-exactly? Returns crc32 of each thumbnail of class 0. */
  async thumbnailDigests(name: string): Promise<number[]> {
    const { store } = await openProject(name);
    const classes = await store.listClasses();
    const rows = await store.listSamples(classes[0].id);
    return rows.map((r) => crc32(new Uint8Array(r.thumbnail!.bytes)));
  },

  /**
   * Crash trial, part 1: captures the next round (its own transactions), then stages the commit. Also computes
   * the digest the project must have if the commit completes, by replaying the same steps on a scratch copy
   * (everything is deterministic). Returns both digests and how long the scratch commit took. With `lateMs`, the
   * commit's checkpoint part comes that long after it began (an Exact round's `commitRoundLate`).
   */
  async prepareCrash(name: string, lateMs?: number): Promise<{ before: number; after: number; commitMs: number; round: number }> {
    closeProject(name);
    const { store } = await openProject(name);
    const round = (await store.currentRound()) + 1;
    await prepareRound(store, CRASH_FIX, seededRandom(2000 + round));
    closeProject(name);
    const real = await openProject(name);
    const before = await summarize(name);
    // Scratch copy: same bytes, same steps.
    const scratchName = `${name}-scratch`;
    await lab.deleteProject(scratchName);
    const scratch = await openProject(scratchName);
    await importProject(scratch.store, await exportProject(real.store, { exportedAt: 0 }));
    closeProject(scratchName);
    const s2 = await openProject(scratchName);
    const scratchCommit = await stageRound(s2.store, s2.memory, CRASH_FIX, seededRandom(3000 + round), lateMs);
    const t0 = performance.now();
    await scratchCommit();
    const commitMs = performance.now() - t0;
    const after = await summarize(scratchName);
    await lab.deleteProject(scratchName);
    stagedCommit = await stageRound(real.store, real.memory, CRASH_FIX, seededRandom(3000 + round), lateMs);
    return { before: before.digest, after: after.digest, commitMs, round };
  },

  /** Crash trial, part 2: starts the staged commit (the test kills the browser while it runs). */
  startCommit(): void {
    const commit = stagedCommit!;
    stagedCommit = null;
    window.commitDone = false;
    void commit().then(() => (window.commitDone = true));
  },

  /** Writes `n` captured samples one per transaction (as hold-to-capture does); returns samples per second. */
  async benchWrites(name: string, n: number, dim: number): Promise<{ perSecond: number; ms: number }> {
    const { store } = await openProject(name);
    const cls = await store.addClass({ name: 'bench' });
    const rng = seededRandom(5);
    const t0 = performance.now();
    for (let i = 0; i < n; i++)
      await store.addSamples([{ classId: cls.id, embedding: fakeEmbedding(cls.id, rng, dim), thumbnail: fakeThumbnail(i, 3000), source: 'camera' }]);
    const ms = performance.now() - t0;
    return { perSecond: (n * 1000) / ms, ms };
  },

  /**
   * Fills a project with `n` replay members of width `dim` (with ~3 KB thumbnails), closes it, then times
   * opening the store and loading the replay memory. Also reports storage usage per sample.
   */
  async benchLoad(
    name: string,
    n: number,
    dim: number,
  ): Promise<{ loadMs: number; packLoads: number[]; rowsLoadMs: number; size: number; bytesPerSample: number | null; logicalBytesPerSample: number }> {
    await lab.deleteProject(name);
    const usage0 = (await navigator.storage.estimate()).usage ?? null;
    const opts: IdbReplayMemoryOptions = { policy: 'class-balanced', capacity: n, writeMode: 'deferred' };
    const { store, memory } = await openProject(name, opts);
    const classes: ClassRecord[] = [];
    for (let c = 0; c < 10; c++) classes.push(await store.addClass({ name: `c${c}` }));
    const rng = seededRandom(9);
    const batch = 500;
    for (let i = 0; i < n; i += batch) {
      const inputs = Array.from({ length: Math.min(batch, n - i) }, (_, k) => ({
        classId: classes[(i + k) % 10].id,
        embedding: fakeEmbedding(classes[(i + k) % 10].id, rng, dim),
        thumbnail: fakeThumbnail(i + k, 3000),
        source: 'camera' as const,
      }));
      const rows = await store.addSamples(inputs);
      await memory.add(rows.map((r) => ({ id: r.id, x: r.embedding, label: r.classId, task: r.round })), rng);
      await memory.flush();
    }
    closeProject(name);
    const usage1 = (await navigator.storage.estimate()).usage ?? null;
    // Three timed loads from the packed snapshot (the median is reported), then one from the rows alone
    // (pack deleted): the baseline the snapshot is compared with, in the same run.
    const packLoads: number[] = [];
    let size = 0;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const reopened = await openProject(name, opts);
      packLoads.push(performance.now() - t0);
      size = reopened.memory.size();
      closeProject(name);
    }
    const s = await ProjectStore.open({ name, appVersion: 'lab' });
    await s.db.delete('meta', 'memberPack');
    s.close();
    const t1 = performance.now();
    const fromRows = await openProject(name, opts);
    const rowsLoadMs = performance.now() - t1;
    if (fromRows.memory.size() !== size) throw new Error('row load and pack load disagree');
    closeProject(name);
    const logical = dim * 4 + 3000;
    return {
      loadMs: packLoads.slice().sort((a, b) => a - b)[1],
      packLoads,
      rowsLoadMs,
      size,
      bytesPerSample: usage0 !== null && usage1 !== null ? (usage1 - usage0) / n : null,
      logicalBytesPerSample: logical,
    };
  },

  /** Imports every corrupted variant of a real export into a project; counts refusals with the right code and checks the project is unchanged. */
  async corruptImports(name: string): Promise<{ tried: number; refused: number; unchanged: boolean; wrong: string[] }> {
    await lab.deleteProject(name);
    const { store, memory } = await openProject(name);
    for (let r = 0; r < 2; r++) await runRound(store, memory, CRASH_FIX, seededRandom(50 + r));
    const good = await exportProject(store, { exportedAt: 0 });
    const before = crc32(good);
    const variants = corruptVariants(good);
    let refused = 0;
    const wrong: string[] = [];
    for (const v of variants) {
      try {
        await importProject(store, v.bytes, { maxBytes: v.maxBytes });
        wrong.push(`${v.name}: accepted`);
      } catch (e) {
        if (e instanceof ImportError && e.code === v.code) refused++;
        else wrong.push(`${v.name}: ${(e as Error).message}`);
      }
    }
    const after = crc32(await exportProject(store, { exportedAt: 0 }));
    // The good file still imports and gives identical bytes.
    await importProject(store, good);
    const roundTrip = crc32(await exportProject(store, { exportedAt: 0 })) === before;
    return { tried: variants.length, refused, unchanged: after === before && roundTrip, wrong };
  },

  /** Storage persistence request and estimate (reported, not asserted: headless says false). */
  async storage(name: string): Promise<{ persist: boolean; usage: number | null; quota: number | null }> {
    const { store } = await openProject(name);
    const persist = await store.requestPersistence();
    const est = await store.storageEstimate();
    return { persist, usage: est.usage, quota: est.quota };
  },
};

/** What `window.memoryLab` offers (declared in lab/window.d.ts). */
export type MemoryLab = typeof lab;

window.memoryLab = lab;
log('ready');

/** Timing breakdown of a replay-memory load (diagnostics for the benchmark). */
window.memoryLoadBreakdown = async (name: string) => {
  closeProject(name);
  const t0 = performance.now();
  const store = await ProjectStore.open({ name, appVersion: 'lab' });
  const t1 = performance.now();
  const rows = await store.db.getAllFromIndex('samples', 'by-replay', 1);
  const t2 = performance.now();
  const keys = await store.db.getAllKeys('samples');
  const tp = performance.now();
  const pack = await store.db.get('meta', 'memberPack');
  const packMs = performance.now() - tp;
  const t3 = performance.now();
  const mem = await store.openReplayMemory({ policy: 'class-balanced', capacity: 5000, writeMode: 'deferred' });
  const t4 = performance.now();
  store.close();
  const inMem = new InMemoryReplayMemory({ policy: 'class-balanced', capacity: 5000 });
  const t5 = performance.now();
  inMem.restore(mem.all(), mem.exportState());
  const restoreMs = performance.now() - t5;
  return { open: t1 - t0, getAllIndex: t2 - t1, rows: rows.length, getAllKeys: tp - t2, keys: keys.length, packMs, hasPack: pack ? 1 : 0, openMemory: t4 - t3, restoreMs, size: mem.size() };
};
