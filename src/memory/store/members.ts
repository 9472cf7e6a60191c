/** The replay memory's share of the store: members (samples with replay = 1) read from the packed snapshot or the rows. */
import type { IDBPDatabase, IDBPObjectStore } from 'idb';
import { logitsTableMap, packSamples, unpackSamples, type LogitsTable, type ReplayPack } from '../pack';
import type { ReplayMemoryState } from '../replay-memory';
import type { MemorySample } from '../types';
import type { ReplayPersistence } from './replay-persistence';
import type { RetainDB, StampedPack } from './schema';
import { quiet } from './transaction';
import { withWriterLock } from './writer-lock';

/** The store-side writes a `ReplayPersistence` routes through the store (its transactions and quota retry). */
export type StoreWrites = Pick<ReplayPersistence, 'saveBufferState' | 'writeBufferChanges' | 'withQuotaRetry'>;

/**
 * The `ReplayPersistence` of a project database: reads and the pack here, every other write through the store.
 * `knownRound`: the committed round the store (and so the memory in RAM) last read or wrote, null if none.
 */
export function replayPersistence(db: IDBPDatabase<RetainDB>, writes: StoreWrites, knownRound: () => number | null): ReplayPersistence {
  return {
    readPackedMembers: () => readPackedMembers(db),
    readMemberRows: () => readMemberRows(db),
    readBufferState: async () => (await db.get('meta', 'buffer'))?.value as ReplayMemoryState | undefined,
    // The memory snapshots itself just before this call, so the store's round now is the round it reflects.
    writePack: (pack) => writePack(db, pack, knownRound()),
    saveBufferState: writes.saveBufferState,
    writeBufferChanges: writes.writeBufferChanges,
    withQuotaRetry: writes.withQuotaRetry,
  };
}

/** `pack` stamped with the committed round it reflects (what meta `memberPack` holds). */
export function stamped(pack: ReplayPack, round: number): StampedPack {
  return { ...pack, round };
}

/**
 * Fast path: the members from the packed snapshot, when it was taken at the committed round and its ids are
 * exactly the member rows' (keys only: cheap); else null. A round moves the round on (its new logits and members
 * are not in the pack); any other member change deletes the pack, and the ids catch one by a tab running older code.
 */
async function readPackedMembers(db: IDBPDatabase<RetainDB>): Promise<MemorySample[] | null> {
  const tx = db.transaction(['samples', 'meta'], 'readonly');
  const meta = tx.objectStore('meta');
  const [packRow, roundRow, memberIds] = await Promise.all([meta.get('memberPack'), meta.get('round'), tx.objectStore('samples').index('by-replay').getAllKeys(1)]);
  await tx.done;
  const pack = packRow?.value as StampedPack | undefined;
  const round = (roundRow?.value as number | undefined) ?? -1;
  if (!pack || pack.round !== round || pack.count !== memberIds.length || !Array.isArray(pack.ids)) return null;
  const ids = new Set<string>(memberIds);
  if (!pack.ids.every((id) => ids.has(id))) return null;
  return unpackSamples(pack);
}

/**
 * Slow path: every member row (current logits from the table), with a fresh pack written in the same transaction
 * (under the writer lock) so the next load is fast. That write is best effort: when it fails (a full disk) the
 * rows are read again without it, so opening a project never needs a write to succeed.
 */
async function readMemberRows(db: IDBPDatabase<RetainDB>): Promise<MemorySample[]> {
  try {
    return await withWriterLock(db.name, () => readMemberRowsIn(db, 'readwrite'));
  } catch {
    return readMemberRowsIn(db, 'readonly');
  }
}

/** Reads every member row in one transaction; a readwrite one also stores their pack. */
async function readMemberRowsIn(db: IDBPDatabase<RetainDB>, mode: 'readonly' | 'readwrite'): Promise<MemorySample[]> {
  const tx = db.transaction(['samples', 'meta'], mode);
  // A failed pack write aborts the transaction; whoever falls back to read-only has seen why.
  const done = quiet(tx.done);
  const [rows, tableRow, roundRow] = await Promise.all([
    tx.objectStore('samples').index('by-replay').getAll(1),
    tx.objectStore('meta').get('logits'),
    tx.objectStore('meta').get('round'),
  ]);
  const table = logitsTableMap(tableRow?.value as LogitsTable | undefined);
  const samples: MemorySample[] = rows.map((r) => {
    const s: MemorySample = { id: r.id, x: r.embedding, label: r.classId, task: r.round };
    const logits = table?.get(r.id) ?? r.logits;
    if (logits) s.logits = logits;
    return s;
  });
  const widths = new Set(samples.map((s) => s.x.length));
  if (mode === 'readwrite' && widths.size <= 1) {
    const meta = tx.objectStore('meta') as IDBPObjectStore<RetainDB, ['samples', 'meta'], 'meta', 'readwrite'>;
    // The rows and the round are read in this transaction: the pack is of exactly that round.
    await Promise.all([meta.put({ key: 'memberPack', value: stamped(packSamples(samples), (roundRow?.value as number | undefined) ?? -1) }), meta.delete('pack')]);
  }
  await done;
  return samples;
}

/**
 * Stores the packed snapshot, taken at committed round `round`, in a meta-only, relaxed transaction under the
 * writer lock, requested before this returns (locks are granted in request order, so it is ordered before any
 * write requested after the call). Nothing is written when the stored round is another by then (another tab
 * committed first): the snapshot would be of a round that is not the project's.
 */
function writePack(db: IDBPDatabase<RetainDB>, pack: ReplayPack, round: number | null): Promise<void> {
  if (round === null) return Promise.resolve();
  return withWriterLock(db.name, async () => {
    const tx = db.transaction('meta', 'readwrite', { durability: 'relaxed' });
    const done = quiet(tx.done);
    const stored = ((await tx.store.get('round'))?.value as number | undefined) ?? -1;
    if (stored === round) {
      tx.store.put({ key: 'memberPack', value: stamped(pack, round) }).catch(() => undefined);
      tx.store.delete('pack').catch(() => undefined);
    }
    return done;
  });
}
