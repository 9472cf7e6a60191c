/** Whole-project reads and writes: the latest committed round to resume from, and every row for export/import. */
import type { IDBPDatabase } from 'idb';
import { logitsTableMap, type LogitsTable } from '../pack';
import type { ReplayMemoryState } from '../replay-memory';
import { ALL_STORES, type CheckpointRecord, type ClassRecord, type RetainDB, type SampleRecord, type ThumbnailRecord } from './schema';
import { quiet, type AnyTx } from './transaction';

/** What `loadLatest()` returns: the last committed round and what the app needs to resume it. */
export interface ProjectSnapshot {
  /** Last committed round, -1 if none. */
  round: number;
  checkpoint: CheckpointRecord | null;
  classes: ClassRecord[];
  buffer: ReplayMemoryState | null;
  rngState: number | null;
}

/** The rows of every store. */
export interface ProjectRows {
  classes: ClassRecord[];
  samples: SampleRecord[];
  thumbnails: ThumbnailRecord[];
  checkpoints: CheckpointRecord[];
  meta: { key: string; value: unknown }[];
}

/** The last committed round with its checkpoint, classes, buffer state and RNG state (one read transaction). */
export async function loadLatest(db: IDBPDatabase<RetainDB>): Promise<ProjectSnapshot> {
  const tx = db.transaction(['checkpoints', 'classes', 'meta'], 'readonly');
  const [round, cursor, classes, buffer, rng] = await Promise.all([
    tx.objectStore('meta').get('round'),
    tx.objectStore('checkpoints').openCursor(null, 'prev'),
    tx.objectStore('classes').getAll(),
    tx.objectStore('meta').get('buffer'),
    tx.objectStore('meta').get('rng'),
  ]);
  const checkpoint = cursor?.value ?? null;
  await tx.done;
  return {
    round: (round?.value as number | undefined) ?? -1,
    checkpoint,
    classes,
    buffer: (buffer?.value as ReplayMemoryState | undefined) ?? null,
    rngState: (rng?.value as number | undefined) ?? null,
  };
}

/** Every row of every store in one consistent read, each member row carrying its current logits. */
export async function readAllRows(db: IDBPDatabase<RetainDB>): Promise<ProjectRows> {
  const tx = db.transaction([...ALL_STORES], 'readonly');
  const [classes, samples, thumbnails, checkpoints, meta] = await Promise.all([
    tx.objectStore('classes').getAll(),
    tx.objectStore('samples').getAll(),
    tx.objectStore('thumbnails').getAll(),
    tx.objectStore('checkpoints').getAll(),
    tx.objectStore('meta').getAll(),
  ]);
  await tx.done;
  // Rows carry the logits they were stored with; the table has the current ones. Fold it in, so the rows are
  // whole on their own (an export needs no table).
  const table = logitsTableMap(meta.find((m) => m.key === 'logits')?.value as LogitsTable | undefined);
  const current = table ? samples.map((r) => (r.replay === 1 && table.has(r.id) ? { ...r, logits: table.get(r.id)!.slice() } : r)) : samples;
  return { classes, samples: current, thumbnails, checkpoints, meta: meta.filter((m) => m.key !== 'logits') };
}

/** Clears every store and writes `rows` inside `tx` (an import). */
export async function writeAllRows(tx: AnyTx, rows: ProjectRows): Promise<void> {
  await Promise.all(ALL_STORES.map((s) => tx.objectStore(s).clear()));
  const writes: Promise<unknown>[] = [];
  for (const r of rows.classes) writes.push(quiet(tx.objectStore('classes').put(r)));
  for (const r of rows.samples) writes.push(quiet(tx.objectStore('samples').put(r)));
  for (const r of rows.thumbnails) writes.push(quiet(tx.objectStore('thumbnails').put(r)));
  for (const r of rows.checkpoints) writes.push(quiet(tx.objectStore('checkpoints').put(r)));
  for (const r of rows.meta) writes.push(quiet(tx.objectStore('meta').put(r)));
  await Promise.all(writes);
}
