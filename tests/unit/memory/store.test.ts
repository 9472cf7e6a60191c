import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ClassRuleError,
  ImportError,
  MAX_CLASS_NAME_LENGTH,
  ProjectStore,
  ProjectStoreError,
  SCHEMA_VERSION,
  StorageFullError,
  decodeProject,
  exportProject,
  importProject,
  seededRandom,
  type SampleRecord,
  type StoreTestHooks,
} from '../../../src/memory';
import { corruptVariants } from '../../../lab/fixtures/memory/corruptions';
import { fakeEngineState, prepareRound, runRound, stageRound, type FixtureOptions } from '../../../lab/fixtures/memory/project';
import { createV1Database } from '../../../lab/fixtures/memory/v1-database';

let dbCounter = 0;
const open: ProjectStore[] = [];
async function freshStore(hooks?: StoreTestHooks, name = `t${++dbCounter}-${Date.now()}`): Promise<ProjectStore> {
  const s = await ProjectStore.open({ name, hooks });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const FIX: FixtureOptions = { classesPerRound: 2, samplesPerClass: 8, heldOutPerClass: 2, dim: 16, seed: 1, thumbnailBytes: 200 };

/** Byte-exact image of the whole store (the export with a fixed timestamp). */
async function dump(store: ProjectStore): Promise<Uint8Array> {
  return exportProject(store, { exportedAt: 0 });
}

async function projectWithRounds(rounds: number, hooks?: StoreTestHooks, policy: 'reservoir' | 'class-balanced' | 'herding' = 'class-balanced') {
  const store = await freshStore(hooks);
  const memory = await store.openReplayMemory({ policy, perClass: 5, writeMode: 'deferred' });
  const rng = seededRandom(42);
  for (let r = 0; r < rounds; r++) await runRound(store, memory, FIX, rng);
  return { store, memory, rng };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('schema', () => {
  it('creates every store and index at the current version', async () => {
    const store = await freshStore();
    expect(store.db.version).toBe(SCHEMA_VERSION);
    expect([...store.db.objectStoreNames].sort()).toEqual(['checkpoints', 'classes', 'meta', 'samples', 'thumbnails']);
    const tx = store.db.transaction('samples');
    expect([...tx.store.indexNames].sort()).toEqual(['by-class', 'by-replay', 'by-round']);
    expect(await store.getMeta('schema')).toEqual({ version: SCHEMA_VERSION, appVersion: '0.1.0' });
  });

  it('migrates a v1 database to the current version without losing anything', async () => {
    const name = `v1-${Date.now()}`;
    const v1 = await createV1Database(name);
    const store = await freshStore(undefined, name);
    expect(store.db.version).toBe(SCHEMA_VERSION);
    const classes = await store.listClasses();
    expect(classes.map((c) => [c.id, c.name, c.created])).toEqual(v1.classes.map((c) => [c.id, c.name, c.created]));
    expect(classes.map((c) => c.sampleCount)).toEqual([6, 6]);
    expect(classes.every((c) => typeof c.colour === 'string' && c.colour.startsWith('#'))).toBe(true);
    for (const old of v1.samples) {
      const s = (await store.getSample(old.id))!;
      expect(s.embedding).toBeInstanceOf(Float32Array);
      expect(Array.from(s.embedding)).toEqual(old.embedding);
      expect(s.classId).toBe(old.classId);
      expect(s.round).toBe(old.round);
      expect(new Uint8Array(s.thumbnail!.bytes)).toEqual(new Uint8Array(old.thumbnail));
      expect(s.replay).toBe(1);
      expect(s.heldOut).toBe(false);
      expect('thumbnail' in (await store.db.get('samples', old.id))!).toBe(false);
    }
    expect((await store.db.getAllFromIndex('samples', 'by-round', 1)).length).toBe(6);
    const latest = await store.loadLatest();
    expect(latest.round).toBe(1);
    expect(Array.from(latest.checkpoint!.engineState.tensors[0].data)).toEqual(Array.from(v1.checkpoints[0].state.tensors[0].data));
    expect(latest.checkpoint!.classToOutput).toEqual({ '0': 0, '1': 1 });
    // New classes continue after the migrated ids; the migrated samples load into a replay memory.
    expect((await store.addClass({ name: 'new' })).id).toBe(2);
    const mem = await store.openReplayMemory({ policy: 'reservoir', capacity: 100 });
    expect(mem.size()).toBe(12);
  });

  it('refuses a database written by a newer schema with a specific error', async () => {
    const name = `newer-${Date.now()}`;
    const db = await openDB(name, SCHEMA_VERSION + 1, { upgrade: (d) => void d.createObjectStore('x') });
    db.close();
    await expect(ProjectStore.open({ name })).rejects.toMatchObject({ code: 'newer-schema' });
  });
});

describe('classes and samples', () => {
  it('adds, renames, recolours and deletes a class with its samples and thumbnails', async () => {
    const { store, memory } = await projectWithRounds(2);
    const [a, b] = await store.listClasses();
    expect((await store.renameClass(a.id, '  Mug ')).name).toBe('Mug');
    expect((await store.setClassColour(a.id, '#123456')).colour).toBe('#123456');
    const idsOfB = (await store.listSamples(b.id)).map((s) => s.id);
    expect(idsOfB.length).toBeGreaterThan(0);
    expect(memory.all().some((s) => s.label === b.id)).toBe(true);
    await store.deleteClass(b.id);
    expect(await store.getClass(b.id)).toBeUndefined();
    for (const id of idsOfB) {
      expect(await store.getSample(id)).toBeUndefined();
      expect(await store.db.get('thumbnails', id)).toBeUndefined();
    }
    expect(memory.all().some((s) => s.label === b.id)).toBe(false);
    // Reopened, the memory agrees with the database.
    const again = await store.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' });
    expect(again.all().map((s) => s.id).sort()).toEqual(memory.all().map((s) => s.id).sort());
    await expect(store.renameClass(999, 'x')).rejects.toMatchObject({ code: 'unknown-class' });
    await expect(store.addClass({ name: '   ' })).rejects.toMatchObject({ code: 'empty-name' });
  });

  it('holds class names and colours to the one class rule, refusing without writing', async () => {
    const store = await freshStore();
    const mug = await store.addClass({ name: 'Mug', colour: '#A0B1C2' });
    expect(mug.colour).toBe('#a0b1c2');
    const cup = await store.addClass({ name: 'x'.repeat(MAX_CLASS_NAME_LENGTH) });
    const before = await store.listClasses();
    const refusals: [() => Promise<unknown>, string][] = [
      [() => store.addClass({ name: ' mug ' }), 'duplicate-name'],
      [() => store.addClass({ name: 'y'.repeat(MAX_CLASS_NAME_LENGTH + 1) }), 'long-name'],
      [() => store.addClass({ name: 'Plate', colour: 'red; background: url(x)' }), 'bad-colour'],
      [() => store.renameClass(cup.id, 'MUG'), 'duplicate-name'],
      [() => store.renameClass(cup.id, ''), 'empty-name'],
      [() => store.setClassColour(mug.id, '#12345'), 'bad-colour'],
    ];
    for (const [refused, code] of refusals) {
      const err = await refused().then(() => null, (e: unknown) => e);
      expect(err, code).toBeInstanceOf(ClassRuleError);
      expect((err as ClassRuleError).code).toBe(code);
    }
    expect(await store.listClasses()).toEqual(before);
    expect(await store.getMeta('nextClassId')).toBe(2);
    // A class may keep (or re-case) its own name.
    expect((await store.renameClass(mug.id, 'MUG')).name).toBe('MUG');
  });

  it('lists samples with thumbnails per class and keeps class counts right', async () => {
    const { store } = await projectWithRounds(1);
    const classes = await store.listClasses();
    for (const c of classes) {
      const rows = await store.listSamples(c.id);
      expect(rows.length).toBe(c.sampleCount);
      expect(rows.filter((r) => r.heldOut).length).toBe(c.heldOutCount);
      expect(c.heldOutCount).toBe(2);
      for (const r of rows) {
        expect(r.thumbnail!.bytes).toBeInstanceOf(ArrayBuffer);
        expect(new Uint8Array(r.thumbnail!.bytes)[0]).toBe(0xff);
      }
    }
    const victim = (await store.listSamples(classes[0].id))[0];
    await store.deleteSample(victim.id);
    expect((await store.getClass(classes[0].id))!.sampleCount).toBe(classes[0].sampleCount - 1);
    await expect(store.deleteSample(victim.id)).rejects.toMatchObject({ code: 'unknown-sample' });
  });

  it('refuses bad samples with a specific error and writes nothing', async () => {
    const { store } = await projectWithRounds(1);
    const c = (await store.listClasses())[0];
    const before = await dump(store);
    const ok = { classId: c.id, embedding: new Float32Array(16), source: 'camera' as const };
    const bad: [unknown[], string][] = [
      [[ok, { ...ok, embedding: Float32Array.from([NaN]) }], 'non-finite'],
      [[ok, { ...ok, embedding: new Float32Array(3) }], 'dimension-mismatch'],
      [[{ ...ok, thumbnail: new Uint8Array(3) }], 'bad-x'],
      [[{ ...ok, source: 'web' }], 'bad-x'],
      [[{ ...ok, id: 'same' }, { ...ok, id: 'same' }], 'duplicate-id'],
      [[ok, { ...ok, classId: 4242 }], 'unknown-class'],
    ];
    for (const [batch, code] of bad) {
      await expect(store.addSamples(batch as never), code).rejects.toMatchObject({ code });
      expect(sameBytes(await dump(store), before), code).toBe(true);
    }
  });
});

describe('IdbReplayMemory', () => {
  it('writes through and reloads the same members and policy state', async () => {
    const store = await freshStore();
    const c0 = await store.addClass({ name: 'a' });
    const c1 = await store.addClass({ name: 'b' });
    const mem = await store.openReplayMemory({ policy: 'reservoir', capacity: 10 });
    const rng = seededRandom(3);
    const xs = Array.from({ length: 40 }, (_, i) => ({ id: `m${i}`, x: Float32Array.from([i, i + 0.5]), label: i % 2 ? c1.id : c0.id, task: 0 }));
    await mem.add(xs.slice(0, 25), rng);
    await mem.add(xs.slice(25), rng);
    expect(mem.size()).toBe(10);
    expect(await store.db.countFromIndex('samples', 'by-replay', 1)).toBe(10);
    const reopened = await store.openReplayMemory({ policy: 'reservoir', capacity: 10 });
    expect(reopened.all().map((s) => s.id).sort()).toEqual(mem.all().map((s) => s.id).sort());
    expect(reopened.exportState()).toEqual(mem.exportState());
    expect(reopened.exportState().policyState).toEqual({ seen: 40 });
    for (const s of reopened.all()) expect(Array.from(s.x)).toEqual(Array.from(mem.get(s.id!)!.x));
    expect(reopened.sample(5, rng, [c1.id]).every((s) => s.label === c1.id)).toBe(true);
    // Class counts follow the rows the memory created.
    const counts = (await store.listClasses()).map((c) => c.sampleCount);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('shrinks to lowered limits on open, evicting by the policy', async () => {
    const { store } = await projectWithRounds(2, undefined, 'herding');
    const smaller = await store.openReplayMemory({ policy: 'herding', perClass: 2, writeMode: 'deferred' });
    expect(smaller.size()).toBe(8);
    expect(await store.db.countFromIndex('samples', 'by-replay', 1)).toBe(8);
  });

  it('loads from the packed snapshot when current; a deleted member invalidates it in the same transaction', async () => {
    const { store, memory } = await projectWithRounds(2);
    // The round drops the pack and rewrites it just after (off the user's wait).
    await memory.packed();
    const pack = await store.getMeta('memberPack');
    expect(pack!.count).toBe(memory.size());
    expect(pack!.ids.slice().sort()).toEqual(memory.all().map((s) => s.id).sort());
    const fromPack = await store.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' });
    for (const s of memory.all()) {
      const t = fromPack.get(s.id!)!;
      expect(Array.from(t.x)).toEqual(Array.from(s.x));
      expect(t.logits && Array.from(t.logits)).toEqual(s.logits && Array.from(s.logits));
      expect([t.label, t.task]).toEqual([s.label, s.task]);
    }
    const victim = memory.all()[0].id!;
    await store.deleteSample(victim);
    expect(await store.getMeta('memberPack')).toBeUndefined();
    const fromRows = await store.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' });
    expect(fromRows.has(victim)).toBe(false);
    expect(fromRows.size()).toBe(memory.size() - 1);
    // The slow load wrote a fresh pack.
    expect((await store.getMeta('memberPack'))!.count).toBe(fromRows.size());
  });

  it('a round leaves the packed snapshot in place but stale: no load ever takes a pack of another round or other members', async () => {
    const { store, memory, rng } = await projectWithRounds(2);
    await memory.packed();
    const round = await store.currentRound();
    expect((await store.getMeta('memberPack'))!.round).toBe(round);
    const reopen = () => store.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' });
    const sameMembers = (m: { all(): readonly { id?: string; x: Float32Array; label: number; task: number }[] }) =>
      expect(m.all().map((s) => [s.id, s.label, s.task, Array.from(s.x).join()].join('|')).sort()).toEqual(
        memory.all().map((s) => [s.id, s.label, s.task, Array.from(s.x).join()].join('|')).sort(),
      );
    // Another round: its commit deletes no pack (a multi-megabyte row); the stored one is of the round before.
    const stale = (await store.getMeta('memberPack'))!;
    await runRound(store, memory, FIX, rng);
    expect((await store.getMeta('memberPack'))?.round).toBe(round);
    expect(memory.all().some((s) => !stale.ids.includes(s.id!))).toBe(true);
    // A load now reads the rows (and stores a pack of this round), whether or not the pack written after the round landed.
    sameMembers(await reopen());
    await memory.packed();
    expect((await store.getMeta('memberPack'))!.round).toBe(round + 1);
    sameMembers(await reopen());
    // A pack of the right round whose ids are not the members' (a tab running older code deleted a member and only
    // knew the old pack row): refused, the rows are read.
    const current = (await store.getMeta('memberPack'))!;
    const members = memory.all();
    await store.db.put('meta', { key: 'memberPack', value: { ...current, ids: [...current.ids.slice(1), 'someone-else'] } });
    sameMembers(await reopen());
    expect(memory.all()).toHaveLength(members.length);
    // A round that keeps the same members but refreshes their logits: the pack's ids still match, its round does not.
    await memory.packed();
    const ids = memory.all().map((s) => s.id!);
    await memory.updateLogits(ids, ids.map((_, i) => Float32Array.from([i, 7, 7])));
    await store.commitRound({ engineState: fakeEngineState(9, FIX.dim, 2), classToOutput: {}, bufferChanges: memory });
    expect((await store.getMeta('memberPack'))!.ids.slice().sort()).toEqual(ids.slice().sort());
    const refreshed = await reopen();
    for (const [i, id] of ids.entries()) expect(Array.from(refreshed.get(id)!.logits!)).toEqual([i, 7, 7]);
    // The row older code used is never read, and any change of members deletes it.
    await store.db.put('meta', { key: 'pack', value: current });
    await store.db.delete('meta', 'memberPack');
    const viaRows = await reopen();
    sameMembers(viaRows);
    expect(await store.getMeta('pack')).toBeUndefined();
  });

  it('a pack write asked before a reload is dropped (RAM and the store\'s round may be mid-change then)', async () => {
    const { memory } = await projectWithRounds(1);
    await memory.packed();
    const persistence = (memory as unknown as { persistence: { writePack: (pack: unknown) => Promise<void> } }).persistence;
    const writes = vi.spyOn(persistence, 'writePack');
    try {
      memory.writePackSoon(20);
      await memory.reload();
      await memory.packed();
      expect(writes).not.toHaveBeenCalled();
      // Asked after the reload: written.
      memory.writePackSoon(0);
      await memory.packed();
      expect(writes).toHaveBeenCalledTimes(1);
    } finally {
      writes.mockRestore();
    }
  });

  it('a tab whose round is behind the stored one writes no pack (its snapshot is of a round that is not the project\'s)', async () => {
    const { store, memory, rng } = await projectWithRounds(1);
    await memory.packed();
    // A second tab on the same project: it loads, then the first tab commits another round.
    const other = await ProjectStore.open({ name: store.name });
    open.push(other);
    await other.loadLatest();
    const otherMemory = await other.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' });
    await runRound(store, memory, FIX, rng);
    await memory.packed();
    const fresh = (await store.getMeta('memberPack'))!;
    expect(fresh.round).toBe(await store.currentRound());
    otherMemory.writePackSoon(0);
    await otherMemory.packed();
    expect(await store.getMeta('memberPack')).toEqual(fresh);
  });

  it('a round that refreshes every member\'s logits rewrites no old row: the logits table carries them, every load path and the export agree', async () => {
    const { store, memory } = await projectWithRounds(2);
    await memory.packed();
    const oldIds = memory.all().map((s) => s.id!);
    const rowsBefore = new Map((await store.db.getAll('samples')).map((r) => [r.id, r]));
    // Next round: refresh every stored member's logits (distillation of stored outputs), then add new ones.
    const fresh = (id: string) => Float32Array.from({ length: 7 }, (_, k) => oldIds.indexOf(id) + k / 10);
    await memory.updateLogits(oldIds, oldIds.map(fresh));
    await runRound(store, memory, FIX, seededRandom(5));
    const stillOld = oldIds.filter((id) => memory.has(id));
    expect(stillOld.length).toBeGreaterThan(0);
    for (const id of stillOld) {
      // The old row is untouched (same stored logits as before the refresh)...
      const row = (await store.db.get('samples', id))!;
      expect(Array.from(row.logits ?? [])).toEqual(Array.from(rowsBefore.get(id)!.logits ?? []));
      // ...and the memory holds the refreshed ones.
      expect(Array.from(memory.get(id)!.logits!)).toEqual(Array.from(fresh(id)));
    }
    const expectCurrent = (m: { get(id: string): { logits?: Float32Array } | undefined }) => {
      for (const s of memory.all()) expect(Array.from(m.get(s.id!)!.logits ?? [])).toEqual(Array.from(s.logits ?? []));
    };
    // From the rows (pack dropped by the round and not yet rewritten, or deleted): the table wins.
    await memory.packed();
    await store.db.delete('meta', 'memberPack');
    expectCurrent(await store.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' }));
    // From the pack the slow load just wrote.
    expect(await store.getMeta('memberPack')).toBeDefined();
    expectCurrent(await store.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' }));
    // Export folds the table into the rows; the imported project has no table and the same logits.
    const file = await exportProject(store, { exportedAt: 0 });
    const target = await freshStore();
    await importProject(target, file);
    expect(await target.getMeta('logits')).toBeUndefined();
    expectCurrent(await target.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' }));
  });

  it('a plain buffer commit that rewrites a row makes that row current again', async () => {
    const { store, memory } = await projectWithRounds(1);
    const [a] = memory.all();
    await memory.updateLogits([a.id!], [Float32Array.from([9, 9])]);
    await store.commitRound({ engineState: fakeEngineState(1, FIX.dim, 2), classToOutput: {}, bufferChanges: memory });
    expect((await store.getMeta('logits'))!.ids).toContain(a.id);
    await store.writeBufferChanges({ put: [{ ...a, logits: Float32Array.from([1, 2, 3]) }], delete: [], state: memory.exportState() });
    expect((await store.getMeta('logits'))!.ids).not.toContain(a.id);
    await store.db.delete('meta', 'memberPack');
    const reloaded = await store.openReplayMemory({ policy: 'class-balanced', perClass: 5, writeMode: 'deferred' });
    expect(Array.from(reloaded.get(a.id!)!.logits!)).toEqual([1, 2, 3]);
  });

  it('bad input to add() changes neither RAM nor the database', async () => {
    const { store, memory, rng } = await projectWithRounds(1);
    const before = await dump(store);
    const ids = memory.all().map((s) => s.id);
    await expect(memory.add([{ x: Float32Array.from([NaN]), label: 0, task: 1 }], rng)).rejects.toMatchObject({ code: 'non-finite' });
    await expect(memory.add([{ x: new Float32Array(3), label: 0, task: 1 }], rng)).rejects.toMatchObject({ code: 'dimension-mismatch' });
    expect(memory.all().map((s) => s.id)).toEqual(ids);
    expect(sameBytes(await dump(store), before)).toBe(true);
  });
});

describe('commitRound', () => {
  it('commits checkpoint, buffer, classes and meta together; loadLatest returns them', async () => {
    const { store, memory } = await projectWithRounds(3);
    const latest = await store.loadLatest();
    expect(latest.round).toBe(2);
    expect(latest.checkpoint!.round).toBe(2);
    expect(latest.checkpoint!.engineState.json).toMatchObject({ round: 2 });
    expect(Array.from(latest.checkpoint!.engineState.tensors[2].data)).toEqual([2]);
    expect(latest.checkpoint!.engineState.tensors[0].data).toBeInstanceOf(Float32Array);
    expect(latest.classes.every((c) => c.round === 2)).toBe(true);
    expect(latest.rngState).toBe(34);
    expect(latest.buffer).toEqual(memory.exportState());
    // Only the newest checkpoints are kept (latest + 1 by default).
    expect(await store.db.getAllKeys('checkpoints')).toEqual([1, 2]);
    // Trained samples the memory did not keep are gone; held-out ones stay.
    expect((await store.pendingSamples()).length).toBe(0);
    expect((await store.db.getAll('samples')).filter((r) => r.heldOut).length).toBe(3 * 2 * 2);
    expect(await store.db.countFromIndex('samples', 'by-replay', 1)).toBe(memory.size());
    expect(memory.hasPendingChanges()).toBe(false);
  });

  it("reads a round's new members in one index request and keeps each row's capture fields, a row of another round too", async () => {
    const store = await freshStore();
    // Room for every picture: each trained row becomes a member (the Exact preset's case).
    const memory = await store.openReplayMemory({ policy: 'class-balanced', perClass: 100, writeMode: 'deferred' });
    const rng = seededRandom(7);
    await runRound(store, memory, FIX, rng);
    await prepareRound(store, FIX, rng);
    const [cls] = (await store.listClasses()).slice(-1);
    // A picture whose row says another round (captured for a round that another tab then committed).
    await store.addSamples([{ id: 'other-round', classId: cls.id, embedding: new Float32Array(16).fill(3), source: 'file', round: 7, thumbnail: new Uint8Array([1, 2, 3]).buffer, thumbnailType: 'image/jpeg' }]);
    // As the app offers them: every pending picture under the round being learned.
    const round = (await store.currentRound()) + 1;
    const pending = await store.pendingSamples();
    await memory.add(pending.map((r) => ({ id: r.id, x: r.embedding, label: r.classId, task: round })), rng);
    const classes = await store.listClasses();
    const indexReads = vi.spyOn(IDBIndex.prototype, 'getAll');
    const rowReads = vi.spyOn(IDBObjectStore.prototype, 'get');
    try {
      await store.commitRound({
        engineState: fakeEngineState(round, FIX.dim, classes.length),
        classToOutput: Object.fromEntries(classes.map((c, i) => [String(c.id), i])),
        bufferChanges: memory,
        classes: classes.map((c) => ({ id: c.id })),
        trainedSampleIds: pending.map((r) => r.id),
      });
      // One index read for the round's rows; the one row of another round is read by id.
      expect(indexReads.mock.contexts.filter((index) => (index as IDBIndex).name === 'by-round')).toHaveLength(1);
      expect(rowReads.mock.contexts.filter((store) => (store as IDBObjectStore).name === 'samples')).toHaveLength(1);
    } finally {
      indexReads.mockRestore();
      rowReads.mockRestore();
    }
    const rows = await store.db.getAll('samples');
    const members = rows.filter((r) => r.replay === 1);
    expect(members.length).toBe(memory.size());
    expect(members.length).toBe(pending.length + 2 * FIX.samplesPerClass);
    expect(members.filter((r) => r.id !== 'other-round').every((r) => r.source === 'camera')).toBe(true);
    const odd = rows.find((r) => r.id === 'other-round')!;
    expect(odd).toMatchObject({ replay: 1, source: 'file', classId: cls.id });
    expect(new Uint8Array((await store.db.get('thumbnails', 'other-round'))!.bytes)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('given the rows it trained on, a commit reads no row value, answers the classes as stored, and refuses when one was deleted meanwhile', async () => {
    const store = await freshStore();
    const memory = await store.openReplayMemory({ policy: 'class-balanced', perClass: 100, writeMode: 'deferred' });
    const rng = seededRandom(11);
    await runRound(store, memory, FIX, rng);
    await prepareRound(store, FIX, rng);
    const round = (await store.currentRound()) + 1;
    const commitWith = async (pending: SampleRecord[]) => {
      await memory.add(pending.map((r) => ({ id: r.id, x: r.embedding, label: r.classId, task: round })), rng);
      const classes = await store.listClasses();
      return store.commitRoundWithClasses({
        engineState: fakeEngineState(round, FIX.dim, classes.length),
        classToOutput: Object.fromEntries(classes.map((c, i) => [String(c.id), i])),
        bufferChanges: memory,
        classes: classes.map((c) => ({ id: c.id })),
        trainedRows: pending,
      });
    };
    // Another tab deletes one picture after this one read them: nothing is written, the picture stays deleted.
    const pending = await store.pendingSamples();
    const victim = pending[3];
    await store.db.delete('samples', victim.id);
    const before = await dump(store);
    await expect(commitWith(pending)).rejects.toMatchObject({ code: 'project-changed' });
    expect(sameBytes(await dump(store), before)).toBe(true);
    expect(await store.db.get('samples', victim.id)).toBeUndefined();
    expect(memory.has(victim.id)).toBe(false);
    // Read again (as the app does after 'project-changed'): the commit goes through without reading row values.
    const again = await store.pendingSamples();
    const valueReads = [vi.spyOn(IDBIndex.prototype, 'getAll'), vi.spyOn(IDBObjectStore.prototype, 'get')];
    let committed;
    try {
      committed = await commitWith(again);
      const storeOf = (c: unknown) => (c instanceof IDBIndex ? c.objectStore.name : (c as IDBObjectStore).name);
      const sampleReads = valueReads.flatMap((spy) => spy.mock.contexts).filter((c) => storeOf(c) === 'samples');
      expect(sampleReads).toHaveLength(0);
    } finally {
      for (const spy of valueReads) spy.mockRestore();
    }
    expect(committed.round).toBe(round);
    expect(committed.classes).toEqual(await store.listClasses());
    const rows = await store.db.getAll('samples');
    // Every trained row is a member now, with its capture fields and embedding as stored.
    for (const r of again) expect(rows.find((s) => s.id === r.id)).toEqual({ ...r, replay: 1, round });
    expect(rows.filter((r) => r.replay === 1).length).toBe(memory.size());
  });

  it('a failure at any point of the commit leaves the store unchanged and the memory back in sync', async () => {
    let failAt = -1;
    let calls = 0;
    const hooks: StoreTestHooks = {
      beforeWrite(op) {
        if (op !== 'commitRound') return;
        if (calls++ === failAt) throw new Error(`injected failure at write ${failAt}`);
      },
    };
    const { store, memory, rng } = await projectWithRounds(2, hooks);
    // Count the writes of one commit, then fail at each of them in turn.
    const probe = await dump(store);
    for (failAt = 0; ; failAt++) {
      calls = 0;
      const before = await dump(store);
      const memBefore = memory.all().map((s) => s.id).sort();
      const c = await store.addClass({ name: `late ${failAt}` });
      await store.addSamples([{ classId: c.id, embedding: new Float32Array(16).fill(failAt), source: 'file' }]);
      const mid = await dump(store);
      const pending = await store.pendingSamples();
      await memory.add(pending.map((r) => ({ id: r.id, x: r.embedding, label: r.classId, task: r.round })), rng);
      const committing = store.commitRound({
        engineState: fakeEngineState(99, 16, 5),
        classToOutput: { [c.id]: 0 },
        bufferChanges: memory,
        classes: [{ id: c.id }],
        trainedSampleIds: pending.map((r) => r.id),
      });
      const outcome = await committing.then(
        () => 'committed',
        (e: Error) => e,
      );
      if (outcome === 'committed') {
        // The commit has fewer write points than failAt: every one has been failed once.
        expect(calls).toBeLessThanOrEqual(failAt);
        break;
      }
      expect((outcome as Error).message).toMatch(/injected failure/);
      expect(sameBytes(await dump(store), mid), `failure at write ${failAt}`).toBe(true);
      expect(memory.hasPendingChanges()).toBe(false);
      // RAM memory was reloaded from the database: it has none of the failed round's changes.
      expect(memory.all().map((s) => s.id).sort()).toEqual(memBefore);
      // Undo this iteration's class so the next starts from the same place.
      await store.deleteClass(c.id);
      expect(before.length).toBeGreaterThan(0);
    }
    expect(failAt).toBeGreaterThanOrEqual(3);
    expect(probe.length).toBeGreaterThan(0);
  });

  it('refuses a malformed engine state or non-cloneable metrics before writing anything', async () => {
    const { store } = await projectWithRounds(1);
    const before = await dump(store);
    const state = fakeEngineState(5, 16, 2);
    state.tensors[0].shape = [3, 3];
    await expect(store.commitRound({ engineState: state, classToOutput: {} })).rejects.toBeInstanceOf(ProjectStoreError);
    await expect(store.commitRound({ engineState: fakeEngineState(5, 16, 2), classToOutput: {}, metrics: { f: () => 1 } })).rejects.toMatchObject({ code: 'bad-input' });
    expect(sameBytes(await dump(store), before)).toBe(true);
  });
});

describe('a round committed before its model is ready (commitRoundLate)', () => {
  /** A project with one round and a second staged: its pending rows offered to the memory, as an Exact round does first. */
  async function staged() {
    const { store, memory, rng } = await projectWithRounds(1);
    await prepareRound(store, FIX, rng);
    const pending = await store.pendingSamples();
    const round = (await store.currentRound()) + 1;
    await memory.add(pending.map((r) => ({ id: r.id, x: r.embedding, label: r.classId, task: round })), rng);
    const classes = await store.listClasses();
    const rowsPart = { bufferChanges: memory, classes: classes.map((c) => ({ id: c.id })), trainedRows: pending };
    const checkpointPart = { engineState: fakeEngineState(round, FIX.dim, classes.length), classToOutput: Object.fromEntries(classes.map((c, i) => [String(c.id), i])) };
    return { store, memory, pending, round, rowsPart, checkpointPart };
  }
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('holds its transaction open while the model is computed, then writes the whole round; other writes wait for it', async () => {
    const { store, memory, pending, round, rowsPart, checkpointPart } = await staged();
    let resolve!: (part: typeof checkpointPart) => void;
    let queued = false;
    const committing = store.commitRoundLate(rowsPart, new Promise((r) => (resolve = r)), () => (queued = true));
    // Another write from this tab, asked while the round is open: it must not land in the middle of it.
    const other = store.addClass({ name: 'asked meanwhile' });
    let otherDone = false;
    void other.then(() => (otherDone = true));
    // Real waits (timers, not microtasks), longer than any auto-commit would take.
    for (let i = 0; i < 10 && !queued; i++) await tick(10);
    expect(queued).toBe(true);
    await tick(60);
    expect(otherDone).toBe(false);
    resolve(checkpointPart);
    const committed = await committing;
    expect(committed.round).toBe(round);
    expect(await store.currentRound()).toBe(round);
    expect((await store.db.get('checkpoints', round))?.engineState).toEqual(checkpointPart.engineState);
    const rows = await store.db.getAll('samples');
    // The memory keeps 5 a class: the rest of the round's pictures live on in the model only, as in any round.
    for (const r of pending) {
      if (memory.has(r.id)) expect(rows.find((s) => s.id === r.id)).toMatchObject({ replay: 1, round });
      else expect(rows.find((s) => s.id === r.id)).toBeUndefined();
    }
    expect(pending.some((r) => memory.has(r.id))).toBe(true);
    expect(rows.filter((r) => r.replay === 1).length).toBe(memory.size());
    await other;
    expect((await store.listClasses()).some((c) => c.name === 'asked meanwhile')).toBe(true);
  });

  it('a model that fails (its checkpoint part rejected) aborts the round: nothing written, the memory back in sync', async () => {
    const { store, memory, rowsPart } = await staged();
    const before = await dump(store);
    let reject!: (e: Error) => void;
    let queued = false;
    const committing = store.commitRoundLate(rowsPart, new Promise((_r, rej) => (reject = rej)), () => (queued = true));
    for (let i = 0; i < 10 && !queued; i++) await tick(10);
    expect(queued).toBe(true);
    await tick(30);
    reject(new Error('the solve failed'));
    await expect(committing).rejects.toThrow('the solve failed');
    expect(sameBytes(await dump(store), before)).toBe(true);
    const members = (await store.db.getAll('samples')).filter((r) => r.replay === 1).map((r) => r.id).sort();
    expect(memory.all().map((s) => s.id).sort()).toEqual(members);
  });

  it('a bad checkpoint part that arrives late is refused like an eager one, and nothing is written', async () => {
    const { store, rowsPart, checkpointPart } = await staged();
    const before = await dump(store);
    const late = tick(20).then(() => ({ ...checkpointPart, metrics: { f: () => 1 } }));
    await expect(store.commitRoundLate(rowsPart, late)).rejects.toMatchObject({ code: 'bad-input' });
    expect(sameBytes(await dump(store), before)).toBe(true);
  });

  it('refuses at once when another tab changed the project, without waiting for the model', async () => {
    const { store, pending, rowsPart } = await staged();
    await store.db.delete('samples', pending[0].id);
    const before = await dump(store);
    // The checkpoint part never comes: the refusal must not wait for it.
    await expect(store.commitRoundLate(rowsPart, new Promise(() => undefined))).rejects.toMatchObject({ code: 'project-changed' });
    expect(sameBytes(await dump(store), before)).toBe(true);
  });
});

describe('quota', () => {
  function quotaError(): Error {
    const e = new Error('The quota has been exceeded.');
    e.name = 'QuotaExceededError';
    return e;
  }

  /** A project of `rounds` rounds whose next `failures.left` round commits each fail once with QuotaExceededError. */
  async function projectFailingCommits(rounds: number) {
    const failures = { left: 0 };
    const project = await projectWithRounds(rounds, {
      beforeWrite(op, step) {
        if (op === 'commitRound' && step === 0 && failures.left > 0) {
          failures.left--;
          throw quotaError();
        }
      },
    });
    return { ...project, failures };
  }

  it('a round on QuotaExceededError evicts by the policy inside its own retried transaction', async () => {
    const { store, memory, rng, failures } = await projectFailingCommits(2);
    await prepareRound(store, FIX, rng);
    const commit = await stageRound(store, memory, FIX, rng);
    failures.left = 1;
    expect(await commit()).toBe(2);
    expect(failures.left).toBe(0);
    // What the retry evicted is gone from RAM and from the rows, in the round's own transaction.
    expect(await store.db.countFromIndex('samples', 'by-replay', 1)).toBe(memory.size());
    expect((await store.loadLatest()).buffer).toEqual(memory.exportState());
  });

  it('a round that cannot commit even after evicting changes nothing, and commits once space is back', async () => {
    let failing = false;
    const { store, memory, rng } = await projectWithRounds(1, {
      beforeWrite(op) {
        if (op === 'commitRound' && failing) throw quotaError();
      },
    });
    await prepareRound(store, FIX, rng);
    const before = await dump(store);
    const members = memory.all().map((s) => s.id).sort();
    failing = true;
    const err = await (await stageRound(store, memory, FIX, rng))().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(sameBytes(await dump(store), before)).toBe(true);
    expect(memory.all().map((s) => s.id).sort()).toEqual(members);
    failing = false;
    expect(await (await stageRound(store, memory, FIX, rng))()).toBe(1);
  });

  it('a round begun before its model (commitRoundLate) does not evict on a full disk: it fails, nothing written, the memory as it was', async () => {
    // One full-disk failure: an eager round would evict and commit on its retry (the first test here).
    const { store, memory, rng, failures } = await projectFailingCommits(1);
    await prepareRound(store, FIX, rng);
    const before = await dump(store);
    const members = memory.all().map((s) => s.id).sort();
    failures.left = 1;
    const err = await (await stageRound(store, memory, FIX, rng, 5))().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(sameBytes(await dump(store), before)).toBe(true);
    expect(memory.all().map((s) => s.id).sort()).toEqual(members);
    expect(await (await stageRound(store, memory, FIX, rng, 5))()).toBe(1);
  });

  it('a capture on a full disk stores nothing and evicts nothing', async () => {
    let failing = false;
    const { store, memory } = await projectWithRounds(1, {
      beforeWrite(op) {
        if (op === 'addSamples' && failing) throw quotaError();
      },
    });
    const c = (await store.listClasses())[0];
    const before = await dump(store);
    const size = memory.size();
    failing = true;
    const err = await store.addSamples([{ id: 'nope', classId: c.id, embedding: new Float32Array(16), source: 'camera' }]).catch((e) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(sameBytes(await dump(store), before)).toBe(true);
    expect(memory.size()).toBe(size);
  });

  it('reports usage and quota where the platform has them', async () => {
    const store = await freshStore();
    const report = await store.storageEstimate();
    expect(report).toHaveProperty('usage');
    expect(typeof (await store.requestPersistence())).toBe('boolean');
  });
});

describe('export / import', () => {
  it('round-trips the whole project byte for byte, and the memory reloads identically', async () => {
    const { store, memory } = await projectWithRounds(3, undefined, 'herding');
    const file = await exportProject(store, { exportedAt: 123 });
    const target = await freshStore();
    const targetMem = await target.openReplayMemory({ policy: 'herding', perClass: 5, writeMode: 'deferred' });
    const summary = await importProject(target, file);
    expect(summary).toEqual({ classes: 6, samples: await store.countSamples(), checkpoints: 2, round: 2 });
    expect(sameBytes(await exportProject(target, { exportedAt: 123 }), file)).toBe(true);
    expect(targetMem.all().map((s) => s.id).sort()).toEqual(memory.all().map((s) => s.id).sort());
    expect(targetMem.exportState()).toEqual(memory.exportState());
    const a = await store.loadLatest();
    const b = await target.loadLatest();
    expect(b.checkpoint!.engineState.tensors.map((t) => Array.from(t.data))).toEqual(a.checkpoint!.engineState.tensors.map((t) => Array.from(t.data)));
    expect((await target.getSample(memory.all()[0].id!))!.logits).toEqual((await store.getSample(memory.all()[0].id!))!.logits);
  });

  it('refuses at least 50 corrupted, truncated, foreign or oversized files, each with its specific error, leaving the project byte-identical', async () => {
    const { store } = await projectWithRounds(2);
    const file = await exportProject(store, { exportedAt: 1 });
    const target = (await projectWithRounds(1)).store;
    const before = await dump(target);
    const variants = corruptVariants(file);
    expect(variants.length).toBeGreaterThanOrEqual(50);
    for (const v of variants) {
      const err = await importProject(target, v.bytes, { maxBytes: v.maxBytes }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, v.name).toBeInstanceOf(ImportError);
      expect((err as ImportError).code, `${v.name}: ${(err as Error).message}`).toBe(v.code);
    }
    expect(sameBytes(await dump(target), before)).toBe(true);
    // And the good file is accepted.
    expect(() => decodeProject(file)).not.toThrow();
  });
});
