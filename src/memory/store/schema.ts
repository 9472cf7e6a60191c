/** The project's IndexedDB schema: record types, meta keys, the class palette and the upgrade from older versions. */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { EngineState } from '../types';
import type { ReplayMemoryState } from '../replay-memory';
import type { LogitsTable, ReplayPack } from '../pack';

/** Version of the IndexedDB schema this code writes. v1: first release; v2: separate thumbnails, typed embeddings, held-out and replay flags, class colours and counts. */
export const SCHEMA_VERSION = 2;

/** Where a sample came from. */
export type SampleSource = 'camera' | 'file' | 'import';

/** A user class (one output of the head). `id` is also the label the replay memory and the engine see. */
export interface ClassRecord {
  id: number;
  name: string;
  /** Creation time, ms since the epoch. */
  created: number;
  /** CSS colour of the class in the UI. */
  colour: string;
  /** Samples of this class stored now (training and held-out). */
  sampleCount: number;
  /** Of which held out for per-class accuracy. */
  heldOutCount: number;
  /** Last round whose commit touched this class (-1: never trained). */
  round: number;
}

/** One stored sample: its embedding (the model's input) and metadata; the thumbnail lives in `thumbnails`. */
export interface SampleRecord {
  id: string;
  classId: number;
  /** The round the sample was captured for (it is trained in that round). */
  round: number;
  /** The frozen backbone's embedding. */
  embedding: Float32Array;
  /** Model logits when it entered the replay memory (distillation of stored outputs). */
  logits?: Float32Array;
  source: SampleSource;
  created: number;
  /** Held out for per-class accuracy: never trained on, never in the replay memory. */
  heldOut: boolean;
  /** 1 = kept by the replay memory; 0 = not (yet) offered to it (pending for the next round, or held out). */
  replay: 0 | 1;
}

/** A sample's encoded thumbnail (JPEG/WebP bytes, ~96 px), kept apart so loading the replay memory stays fast. */
export interface ThumbnailRecord {
  id: string;
  /** Encoded image bytes (an ArrayBuffer, never a Blob: Blobs in IndexedDB are unreliable across browsers). */
  bytes: ArrayBuffer;
  /** MIME type, e.g. image/jpeg. */
  type: string;
}

/** One committed round: the engine's state and what the app needs to resume. */
export interface CheckpointRecord {
  round: number;
  created: number;
  engineState: EngineState;
  /** Class id -> output column of the head. */
  classToOutput: Record<string, number>;
  /** The strategy configuration (JSON) the round trained with. */
  strategy: Record<string, unknown> | null;
  /** Metrics history (JSON), e.g. the accuracy matrix so far. */
  metrics: unknown;
}

/** A packed snapshot of the replay memory and the committed round it reflects. */
export type StampedPack = ReplayPack & { round: number };

/** Key-value rows: schema and app version, the committed round, buffer policy state, RNG state, id counters. */
export interface MetaValues {
  schema: { version: number; appVersion: string };
  round: number;
  buffer: ReplayMemoryState;
  rng: number;
  nextClassId: number;
  /**
   * Before this key existed, the packed snapshot (only ever deleted now: a tab still running older code may read
   * it, and its only check is the member count).
   */
  pack: ReplayPack;
  /**
   * Packed snapshot of the replay memory for fast loading, stamped with the committed round it was taken at: a round
   * makes it stale by moving the round on (deleting a multi-megabyte row was a third of a round's commit), other
   * member changes delete it, and a load also checks its ids against the members' (see members.ts).
   */
  memberPack: StampedPack;
  /** The replay members' current stored logits (overrides a row's own logits where it has the id). */
  logits: LogitsTable;
}

export type MetaKey = keyof MetaValues;

/** The typed IndexedDB schema (idb's DBSchema). */
export interface RetainDB extends DBSchema {
  classes: { key: number; value: ClassRecord };
  samples: {
    key: string;
    value: SampleRecord;
    indexes: { 'by-class': number; 'by-round': number; 'by-replay': number };
  };
  thumbnails: { key: string; value: ThumbnailRecord };
  checkpoints: { key: number; value: CheckpointRecord };
  meta: { key: string; value: { key: string; value: unknown } };
}

/** The names of every store, in a fixed order (transactions across all of them, dumps, clears). */
export const ALL_STORES = ['classes', 'samples', 'thumbnails', 'checkpoints', 'meta'] as const satisfies readonly StoreNames<RetainDB>[];

/** Colours given to classes in creation order. */
export const CLASS_PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#469990', '#9a6324', '#800000', '#000075'];

/** The palette colour of a class id. */
export function paletteColour(id: number): string {
  return CLASS_PALETTE[((id % CLASS_PALETTE.length) + CLASS_PALETTE.length) % CLASS_PALETTE.length];
}

type UpgradeTx = IDBPTransaction<RetainDB, StoreNames<RetainDB>[], 'versionchange'>;

/**
 * Brings a database from `oldVersion` to SCHEMA_VERSION inside the version-change transaction (only IndexedDB
 * work is awaited, so the transaction stays alive). Each step is cumulative and tested from a real v1 database.
 */
export async function upgradeSchema(db: IDBPDatabase<RetainDB>, oldVersion: number, tx: UpgradeTx, appVersion: string): Promise<void> {
  if (oldVersion < 1) {
    // Fresh database: create the current layout directly.
    db.createObjectStore('classes', { keyPath: 'id' });
    const samples = db.createObjectStore('samples', { keyPath: 'id' });
    samples.createIndex('by-class', 'classId');
    samples.createIndex('by-round', 'round');
    samples.createIndex('by-replay', 'replay');
    db.createObjectStore('thumbnails', { keyPath: 'id' });
    db.createObjectStore('checkpoints', { keyPath: 'round' });
    db.createObjectStore('meta', { keyPath: 'key' });
  } else if (oldVersion < 2) {
    await migrateV1toV2(db, tx);
  }
  await tx.objectStore('meta').put({ key: 'schema', value: { version: SCHEMA_VERSION, appVersion } });
}

/** The v1 layout (kept for the migration and its test fixture). */
export interface V1Sample {
  id: string;
  classId: number;
  round: number;
  /** v1 stored embeddings as plain number arrays. */
  embedding: number[];
  thumbnail: ArrayBuffer;
  created: number;
}
export interface V1Class {
  id: number;
  name: string;
  created: number;
}
export interface V1Checkpoint {
  round: number;
  state: EngineState;
}

async function migrateV1toV2(db: IDBPDatabase<RetainDB>, tx: UpgradeTx): Promise<void> {
  db.createObjectStore('thumbnails', { keyPath: 'id' });
  const samples = tx.objectStore('samples');
  samples.createIndex('by-round', 'round');
  samples.createIndex('by-replay', 'replay');
  const thumbs = tx.objectStore('thumbnails');
  const counts = new Map<number, number>();
  // v1 samples were all replay-memory members: move the thumbnail out, type the embedding.
  for (let cursor = await samples.openCursor(); cursor; cursor = await cursor.continue()) {
    const old = cursor.value as unknown as V1Sample;
    const next: SampleRecord = {
      id: old.id,
      classId: old.classId,
      round: old.round,
      embedding: Float32Array.from(old.embedding),
      source: 'camera',
      created: old.created,
      heldOut: false,
      replay: 1,
    };
    await thumbs.put({ id: old.id, bytes: old.thumbnail, type: 'image/jpeg' });
    await cursor.update(next);
    counts.set(old.classId, (counts.get(old.classId) ?? 0) + 1);
  }
  const classes = tx.objectStore('classes');
  let maxId = -1;
  let lastRound = -1;
  const checkpoints = tx.objectStore('checkpoints');
  for (let cursor = await checkpoints.openCursor(); cursor; cursor = await cursor.continue()) {
    const old = cursor.value as unknown as V1Checkpoint;
    lastRound = Math.max(lastRound, old.round);
    const next: CheckpointRecord = {
      round: old.round,
      created: 0,
      engineState: old.state,
      classToOutput: {},
      strategy: null,
      metrics: null,
    };
    await cursor.update(next);
  }
  const classIds: number[] = [];
  for (let cursor = await classes.openCursor(); cursor; cursor = await cursor.continue()) {
    const old = cursor.value as unknown as V1Class;
    maxId = Math.max(maxId, old.id);
    classIds.push(old.id);
    const next: ClassRecord = {
      id: old.id,
      name: old.name,
      created: old.created,
      colour: paletteColour(old.id),
      sampleCount: counts.get(old.id) ?? 0,
      heldOutCount: 0,
      round: lastRound,
    };
    await cursor.update(next);
  }
  // v1 used class ids as output columns.
  for (let cursor = await checkpoints.openCursor(); cursor; cursor = await cursor.continue()) {
    const cp = cursor.value;
    cp.classToOutput = Object.fromEntries(classIds.map((id) => [String(id), id]));
    await cursor.update(cp);
  }
  const meta = tx.objectStore('meta');
  await meta.put({ key: 'nextClassId', value: maxId + 1 });
  if (lastRound >= 0 && !(await meta.get('round'))) await meta.put({ key: 'round', value: lastRound });
}
