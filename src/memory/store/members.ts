/** The replay memory's share of the store: members (samples with replay = 1) read from the packed snapshot or the rows. */
import type { IDBPDatabase } from 'idb';
import { logitsTableMap, packSamples, unpackSamples, type LogitsTable, type ReplayPack } from '../pack';
import type { ReplayMemoryState } from '../replay-memory';
import type { MemorySample } from '../types';
import type { ReplayPersistence } from './replay-persistence';
import type { RetainDB } from './schema';

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

/** Slow path: every member row (current logits from the table); writes a fresh pack in the same transaction so the next load is fast. */
async function readMemberRows(db: IDBPDatabase<RetainDB>): Promise<MemorySample[]> {
  const tx = db.transaction(['samples', 'meta'], 'readwrite');
  const [rows, tableRow] = await Promise.all([tx.objectStore('samples').index('by-replay').getAll(1), tx.objectStore('meta').get('logits')]);
  const table = logitsTableMap(tableRow?.value as LogitsTable | undefined);
  const samples: MemorySample[] = rows.map((r) => {
    const s: MemorySample = { id: r.id, x: r.embedding, label: r.classId, task: r.round };
    const logits = table?.get(r.id) ?? r.logits;
    if (logits) s.logits = logits;
    return s;
  });
  const widths = new Set(samples.map((s) => s.x.length));
  if (widths.size <= 1) await tx.objectStore('meta').put({ key: 'pack', value: packSamples(samples) });
  await tx.done;
  return samples;
}

/** Stores the packed snapshot in a meta-only, relaxed transaction, opened before this returns (so it is ordered first). */
function writePack(db: IDBPDatabase<RetainDB>, pack: ReplayPack): Promise<void> {
  const tx = db.transaction('meta', 'readwrite', { durability: 'relaxed' });
  tx.store.put({ key: 'pack', value: pack }).catch(() => undefined);
  return tx.done;
}
