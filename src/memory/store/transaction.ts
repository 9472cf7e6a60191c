/** Work inside one readwrite transaction of the project store: batched requests, sample-row deletion, class counts. */
import type { IDBPTransaction, StoreNames } from 'idb';
import type { RetainDB, SampleRecord } from './schema';

/** A readwrite (or upgrade) transaction over any of the project's stores. */
export type AnyTx = IDBPTransaction<RetainDB, StoreNames<RetainDB>[], 'readwrite' | 'versionchange'>;

/** The write operations a test hook can interrupt. */
export type WriteOperation = 'commitRound' | 'addSamples' | 'bufferWrite';

/** Called before each write of a commit or sample batch; throwing aborts the transaction (fault injection). */
export type WriteHook = (operation: WriteOperation, step: number) => void;

/** Per-class sample-count changes of one transaction (held-out rows also change the held-out count). */
export type CountDeltas = Map<number, { total: number; heldOut: number }>;

/** Marks a request promise as observed (a failure is still seen by whoever awaits it): an aborted transaction rejects every pending request, and unawaited ones would surface as unhandled rejections. */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Adds a sample-count change for a class (held-out rows also change its held-out count). */
export function addDelta(deltas: CountDeltas, classId: number, by: number, heldOut: boolean): void {
  const d = deltas.get(classId) ?? { total: 0, heldOut: 0 };
  d.total += by;
  if (heldOut) d.heldOut += by;
  deltas.set(classId, d);
}

/**
 * Reads sample rows in `tx`, each id once: a second request for an id shares the first one's read. With
 * `prefetchRounds`, the rows captured for those rounds come back first in one index read per round, and only ids
 * not among them are read one by one: in Chromium one `getAll` of a round's ~30 rows takes ~1 ms where 30
 * separate gets take 5-15 ms (each is a trip to the storage process).
 *
 * `known` rows (as the caller read them earlier) are not read again: one keys-only index read per round they were
 * captured for tells whether each is still stored, and the reader answers the caller's copy, or undefined when the
 * row is gone. Reading the values back costs ~10 ms a round in Chromium (5 KB embeddings); a key costs nothing.
 * A stored row's content never changes outside a round (which the commit's round check orders), so the copy is
 * the stored row whenever its key is there.
 */
export function sampleReader(
  tx: AnyTx,
  prefetchRounds: readonly number[] = [],
  known: ReadonlyMap<string, SampleRecord> = new Map(),
): (id: string) => Promise<SampleRecord | undefined> {
  const store = tx.objectStore('samples');
  const pending = new Map<string, Promise<SampleRecord | undefined>>();
  const byRound = store.index('by-round');
  const rounds = [...new Set(prefetchRounds)].filter((r) => Number.isInteger(r));
  const prefetched =
    rounds.length === 0
      ? null
      : Promise.all(rounds.map((r) => byRound.getAll(r))).then((lists) => new Map(lists.flat().map((row) => [row.id, row] as const)));
  const knownRounds = [...new Set([...known.values()].map((r) => r.round))].filter((r) => Number.isInteger(r));
  const stillStored =
    knownRounds.length === 0 ? null : Promise.all(knownRounds.map((r) => byRound.getAllKeys(r))).then((lists) => new Set<string>(lists.flat()));
  return (id) => {
    let read = pending.get(id);
    if (!read) {
      const copy = known.get(id);
      if (copy && stillStored) {
        // Stored under another round than the copy says: not the copy's row any more, so read it.
        read = stillStored.then((ids) => (ids.has(id) ? copy : (store.get(id) as Promise<SampleRecord | undefined>)));
      } else {
        // A row missing from the prefetch (another round's, or gone) is read by id, still inside the transaction.
        read = prefetched ? prefetched.then((rows) => rows.get(id) ?? store.get(id)) : (store.get(id) as Promise<SampleRecord | undefined>);
      }
      pending.set(id, read);
    }
    return read;
  };
}

/**
 * Queues the deletion of sample rows (and thumbnails) and adds their count changes to `deltas`. Deleted members
 * make the packed snapshot stale: it is deleted, unless `roundMovesOn` (a round's commit: the new round already
 * makes it stale, and deleting a multi-megabyte row would cost the round).
 */
export function queueDeletes(tx: AnyTx, rows: readonly SampleRecord[], deltas: CountDeltas, writes: Promise<unknown>[], roundMovesOn = false): void {
  for (const r of rows) {
    writes.push(quiet(tx.objectStore('samples').delete(r.id)), quiet(tx.objectStore('thumbnails').delete(r.id)));
    addDelta(deltas, r.classId, -1, r.heldOut);
  }
  // Members deleted outside a buffer commit: the packed snapshot is stale.
  if (!roundMovesOn && rows.some((r) => r.replay === 1)) writes.push(quiet(tx.objectStore('meta').delete('memberPack')), quiet(tx.objectStore('meta').delete('pack')));
}

/** Applies count changes to the class rows (each read, changed and written back inside `tx`). */
export async function applyCountDeltas(tx: AnyTx, deltas: CountDeltas): Promise<void> {
  const classes = tx.objectStore('classes');
  const changed = [...deltas].filter(([, d]) => d.total !== 0 || d.heldOut !== 0);
  await Promise.all(
    changed.map(async ([id, d]) => {
      const c = await classes.get(id);
      if (!c) return;
      c.sampleCount = Math.max(0, c.sampleCount + d.total);
      c.heldOutCount = Math.max(0, c.heldOutCount + d.heldOut);
      await classes.put(c);
    }),
  );
}

/** Deletes sample rows and thumbnails and updates class counts (inside `tx`). */
export async function deleteSampleRows(tx: AnyTx, rows: readonly SampleRecord[]): Promise<void> {
  const deltas: CountDeltas = new Map();
  const writes: Promise<unknown>[] = [];
  queueDeletes(tx, rows, deltas, writes);
  await Promise.all([...writes, applyCountDeltas(tx, deltas)]);
}
