/** Captured samples: the checks a new sample passes, its write, and the sample queries of the project store. */
import type { IDBPDatabase } from 'idb';
import { MemoryInputError, ProjectStoreError } from '../errors';
import { newSampleId } from '../replay-memory';
import { isFloat32Array } from '../validate';
import type { RetainDB, SampleRecord, SampleSource, ThumbnailRecord } from './schema';
import { quiet, type AnyTx, type WriteHook } from './transaction';

/** Largest accepted thumbnail (bytes): ~96 px JPEG/WebP are a few KB. */
export const MAX_THUMBNAIL_BYTES = 256 * 1024;

/** A captured sample to store. */
export interface NewSample {
  /** Assigned when absent. */
  id?: string;
  classId: number;
  embedding: Float32Array;
  /** Encoded ~96 px JPEG/WebP bytes (ArrayBuffer, not Blob); null for none. */
  thumbnail?: ArrayBuffer | null;
  /** MIME type of the thumbnail; default image/jpeg. */
  thumbnailType?: string;
  source: SampleSource;
  /** Held out for per-class accuracy (never trained on). */
  heldOut?: boolean;
  /** Round it will be trained in; default: the next round (last committed + 1). */
  round?: number;
  /** Default: now. */
  created?: number;
  logits?: Float32Array;
}

/** A sample row with its thumbnail. */
export interface SampleWithThumbnail extends SampleRecord {
  thumbnail: ThumbnailRecord | null;
}

/** New sample rows and their thumbnails, checked and copied, ready to write. */
export interface PreparedSamples {
  rows: SampleRecord[];
  thumbs: ThumbnailRecord[];
}

function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === '[object ArrayBuffer]';
}

/** Checks and copies captured samples into rows of round `round` (unless a sample names its own); throws on the first bad one. */
export function prepareSamples(inputs: readonly NewSample[], round: number): PreparedSamples {
  if (!Array.isArray(inputs)) throw new MemoryInputError('not-an-array', 'addSamples expects an array');
  const rows: SampleRecord[] = [];
  const thumbs: ThumbnailRecord[] = [];
  const ids = new Set<string>();
  let dim: number | null = null;
  inputs.forEach((s, i) => {
    const where = `sample ${i}`;
    if (!s || !Number.isInteger(s.classId)) throw new MemoryInputError('bad-label', `${where}: classId must be an integer`);
    if (!isFloat32Array(s.embedding) || s.embedding.length === 0) throw new MemoryInputError('bad-x', `${where}: embedding must be a non-empty Float32Array`);
    for (let j = 0; j < s.embedding.length; j++)
      if (!Number.isFinite(s.embedding[j])) throw new MemoryInputError('non-finite', `${where}: embedding[${j}] is not finite`);
    if (dim === null) dim = s.embedding.length;
    else if (dim !== s.embedding.length) throw new MemoryInputError('dimension-mismatch', `${where}: embedding width ${s.embedding.length}, expected ${dim}`);
    if (s.source !== 'camera' && s.source !== 'file' && s.source !== 'import') throw new MemoryInputError('bad-x', `${where}: bad source ${String(s.source)}`);
    if (s.thumbnail != null) {
      if (!isArrayBuffer(s.thumbnail)) throw new MemoryInputError('bad-x', `${where}: thumbnail must be an ArrayBuffer (not a Blob)`);
      if (s.thumbnail.byteLength > MAX_THUMBNAIL_BYTES) throw new MemoryInputError('bad-x', `${where}: thumbnail over ${MAX_THUMBNAIL_BYTES} bytes`);
    }
    if (s.logits !== undefined && !isFloat32Array(s.logits)) throw new MemoryInputError('bad-logits', `${where}: logits must be a Float32Array`);
    if (s.round !== undefined && (!Number.isInteger(s.round) || s.round < 0)) throw new MemoryInputError('bad-task', `${where}: bad round`);
    const id = s.id ?? newSampleId();
    if (typeof id !== 'string' || id.length === 0 || ids.has(id)) throw new MemoryInputError('duplicate-id', `${where}: duplicate or bad id`);
    ids.add(id);
    const row: SampleRecord = {
      id,
      classId: s.classId,
      round: s.round ?? round,
      embedding: s.embedding.slice(),
      source: s.source,
      created: s.created ?? Date.now(),
      heldOut: !!s.heldOut,
      replay: 0,
    };
    if (s.logits) row.logits = s.logits.slice();
    rows.push(row);
    if (s.thumbnail != null) thumbs.push({ id, bytes: s.thumbnail.slice(0), type: s.thumbnailType ?? 'image/jpeg' });
  });
  return { rows, thumbs };
}

/** Adds prepared rows and thumbnails inside `tx` and raises their classes' counts; refuses unknown classes and existing ids. */
export async function writeNewSamples(tx: AnyTx, { rows, thumbs }: PreparedSamples, hook: WriteHook): Promise<void> {
  const classes = tx.objectStore('classes');
  const samples = tx.objectStore('samples');
  const classIds = [...new Set(rows.map((r) => r.classId))];
  const classRows = await Promise.all(classIds.map((c) => classes.get(c)));
  classRows.forEach((c, i) => {
    if (!c) throw new ProjectStoreError('unknown-class', `no class ${classIds[i]}`);
  });
  const existing = await Promise.all(rows.map((r) => samples.getKey(r.id)));
  existing.forEach((k) => {
    if (k !== undefined) throw new MemoryInputError('duplicate-id', `sample ${k} already exists`);
  });
  const writes: Promise<unknown>[] = [];
  rows.forEach((r, i) => {
    hook('addSamples', i);
    writes.push(quiet(samples.add(r)));
  });
  for (const t of thumbs) writes.push(quiet(tx.objectStore('thumbnails').add(t)));
  for (const c of classRows) {
    const mine = rows.filter((r) => r.classId === c!.id);
    c!.sampleCount += mine.length;
    c!.heldOutCount += mine.filter((r) => r.heldOut).length;
    writes.push(quiet(classes.put(c!)));
  }
  await Promise.all(writes);
}

/** Samples of a class (with thumbnails unless `withThumbnails` is false), oldest first. */
export async function listSamples(db: IDBPDatabase<RetainDB>, classId: number, withThumbnails: boolean): Promise<SampleWithThumbnail[]> {
  const tx = db.transaction(['samples', 'thumbnails'], 'readonly');
  const rows = await tx.objectStore('samples').index('by-class').getAll(classId);
  const thumbs = withThumbnails ? await Promise.all(rows.map((r) => tx.objectStore('thumbnails').get(r.id))) : rows.map(() => undefined);
  await tx.done;
  return rows.map((r, i) => ({ ...r, thumbnail: thumbs[i] ?? null })).sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
}

/** One sample with its thumbnail. */
export async function getSample(db: IDBPDatabase<RetainDB>, id: string): Promise<SampleWithThumbnail | undefined> {
  const tx = db.transaction(['samples', 'thumbnails'], 'readonly');
  const [row, thumb] = await Promise.all([tx.objectStore('samples').get(id), tx.objectStore('thumbnails').get(id)]);
  await tx.done;
  return row ? { ...row, thumbnail: thumb ?? null } : undefined;
}
