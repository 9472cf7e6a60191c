/**
 * Rounds commit whole or change nothing, on a full disk at any of their writes (fake-indexeddb failing the chosen
 * write requests with QuotaExceededError, every object store digested before and after), and a round trained
 * from a project another tab has since changed is refused, never written over it.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore, StorageFullError, seededRandom } from '../../../src/memory';
import { DiskFiller, digestStores } from '../../../lab/fixtures/memory/full-disk';
import { prepareRound, stageRound } from '../../../lab/fixtures/memory/project';
import { fullDiskTrials, twoTabTrial, SAFETY_FIXTURE } from '../../../lab/fixtures/memory/round-safety';

const filler = new DiskFiller();
beforeAll(() => void filler.install());
afterAll(() => filler.uninstall());

describe('a round on a full disk', () => {
  it('commits whole or changes nothing at every write it makes, and a failed round commits once space is freed', async () => {
    const { writesPerRound, outcomes } = await fullDiskTrials(filler);
    expect(writesPerRound).toBeGreaterThan(10);
    expect(outcomes.filter((o) => o.halfWritten).map((o) => `${o.mode}@${o.at}: ${o.problems.join('; ')}`)).toEqual([]);
    const failed = outcomes.filter((o) => !o.committed);
    // A full disk from any write of the round's transaction on fails the round: the evictions are not enough
    // there, and they were never written.
    expect(failed.length).toBeGreaterThan(writesPerRound / 2);
    expect(failed.every((o) => o.fullDiskError)).toBe(true);
    expect(failed.every((o) => o.retried === true)).toBe(true);
    // A single failed write is absorbed by one retry with the policy's evictions in the same transaction.
    expect(outcomes.filter((o) => o.mode === 'once' && o.at === 1)[0]).toMatchObject({ committed: true, halfWritten: false });
  }, 120_000);

  it('a capture on a full disk stores nothing and evicts nothing', async () => {
    const store = await ProjectStore.open({ name: `capture-full-${Date.now()}` });
    try {
      const memory = await store.openReplayMemory({ policy: 'class-balanced', perClass: 3, writeMode: 'deferred' });
      const rng = seededRandom(3);
      await prepareRound(store, SAFETY_FIXTURE, rng);
      await (await stageRound(store, memory, SAFETY_FIXTURE, rng))();
      await memory.packed();
      const before = await digestStores(store.db);
      const members = memory.size();
      filler.fillFrom(1);
      const classId = (await store.listClasses())[0].id;
      const error = await store.addSamples([{ classId, embedding: new Float32Array(SAFETY_FIXTURE.dim), source: 'camera' }]).catch((e: unknown) => e);
      filler.free();
      expect(error).toBeInstanceOf(StorageFullError);
      expect(await digestStores(store.db)).toEqual(before);
      expect(memory.size()).toBe(members);
    } finally {
      store.close();
    }
  });

  it('opening a project whose packed snapshot is missing works on a full disk', async () => {
    const name = `open-full-${Date.now()}`;
    const store = await ProjectStore.open({ name });
    const memory = await store.openReplayMemory({ policy: 'class-balanced', perClass: 3, writeMode: 'deferred' });
    const rng = seededRandom(4);
    await prepareRound(store, SAFETY_FIXTURE, rng);
    await (await stageRound(store, memory, SAFETY_FIXTURE, rng))();
    await memory.packed();
    await store.db.delete('meta', 'memberPack');
    const ids = memory.all().map((s) => s.id).sort();
    store.close();
    filler.fillFrom(1);
    try {
      const reopened = await ProjectStore.open({ name });
      const loaded = await reopened.openReplayMemory({ policy: 'class-balanced', perClass: 3, writeMode: 'deferred' });
      expect(loaded.all().map((s) => s.id).sort()).toEqual(ids);
      expect((await reopened.loadLatest()).round).toBe(0);
      reopened.close();
    } finally {
      filler.free();
    }
  });
});

describe('two tabs', () => {
  it('the second writer is refused and told, re-reads, learns again: no round lost', async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const outcome = await twoTabTrial(seed);
      expect(outcome).toEqual({ committed: ['Cat', 'Dog'], lost: [], secondWriterTold: true });
    }
  });
});
