/** The replay memory's share of the store: members (samples with replay = 1) read from the packed snapshot or the rows. */
import type { IDBPDatabase, IDBPObjectStore } from 'idb';
import { logitsTableMap, packSamples, unpackSamples, type LogitsTable, type ReplayPack } from '../pack';
import type { ReplayMemoryState } from '../replay-memory';
import type { MemorySample } from '../types';
import type { ReplayPersistence } from './replay-persistence';
import type { RetainDB } from './schema';
import { quiet } from './transaction';
import { withWriterLock } from './writer-lock';

/** The store-side writes a `ReplayPersistence` routes through the store (its transactions and quota retry). */
export type StoreWrites = Pick<ReplayPersistence, 'saveBufferState' | 'writeBufferChanges' | 'withQuotaRetry'>;

/** The `ReplayPersistence` of a project database: reads and the pack here, every other write through the store. */
export function replayPersistence(db: IDBPDatabase<RetainDB>, writes: StoreWrites): ReplayPersistence {
  return {
    readPackedMembers: () => readPackedMembers(db),
    readMemberRows: () => readMemberRows(db),
    readBufferState: async () => (await db.get('meta', 'buffer'))?.value as ReplayMemoryState | undefined,
    writePack: (pack) => writePack(db, pack),
    saveBufferState: writes.saveBufferState,
    writeBufferChanges: writes.writeBufferChanges,
    withQuotaRetry: writes.withQuotaRetry,
  };
}

/** Fast path: the members from the packed snapshot, when present and matching the member count; else null. */
async function readPackedMembers(db: IDBPDatabase<RetainDB>): Promise<MemorySample[] | null> {
  const tx = db.transaction(['samples', 'meta'], 'readonly');
  const [packRow, members] = await Promise.all([tx.objectStore('meta').get('pack'), tx.objectStore('samples').index('by-replay').count(1)]);
  await tx.done;
  const pack = packRow?.value as ReplayPack | undefined;
  if (!pack || pack.count !== members) return null;
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
  const [rows, tableRow] = await Promise.all([tx.objectStore('samples').index('by-replay').getAll(1), tx.objectStore('meta').get('logits')]);
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
    await meta.put({ key: 'pack', value: packSamples(samples) });
  }
  await done;
  return samples;
}

/**
 * Stores the packed snapshot in a meta-only, relaxed transaction under the writer lock, requested before this
 * returns (locks are granted in request order, so it is ordered before any write requested after the call).
 */
function writePack(db: IDBPDatabase<RetainDB>, pack: ReplayPack): Promise<void> {
  return withWriterLock(db.name, () => {
    const tx = db.transaction('meta', 'readwrite', { durability: 'relaxed' });
    tx.store.put({ key: 'pack', value: pack }).catch(() => undefined);
    return tx.done;
  });
}
