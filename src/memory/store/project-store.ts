import { deleteDB, openDB, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { MemoryInputError, ProjectStoreError, StorageFullError } from './errors';
import { IdbReplayMemory, type IdbReplayMemoryOptions } from './idb-replay-memory';
import type { ReplayMemoryState } from './replay-memory';
import { newSampleId } from './replay-memory';
import { logitsTableMap, logitsTableWithout, type LogitsTable, type ReplayPack } from './pack';
import {
  ALL_STORES,
  SCHEMA_VERSION,
  paletteColour,
  upgradeSchema,
  type CheckpointRecord,
  type ClassRecord,
  type MetaKey,
  type MetaValues,
  type RetainDB,
  type SampleRecord,
  type SampleSource,
  type ThumbnailRecord,
} from './schema';
import type { EngineState, MemorySample } from './types';
import { isFloat32Array } from './validate';

/** Default database name of the app's project. */
export const DEFAULT_DB_NAME = 'retain-project';
/** Largest accepted thumbnail (bytes): ~96 px JPEG/WebP are a few KB. */
export const MAX_THUMBNAIL_BYTES = 256 * 1024;

/** Fault injection for tests: called before each write of a commit or sample batch; throwing aborts the write. */
export interface StoreTestHooks {
  beforeWrite?(operation: 'commitRound' | 'addSamples' | 'bufferWrite', step: number): void;
}

/** Options of `ProjectStore.open`. */
export interface ProjectStoreOptions {
  /** IndexedDB database name (tests use one per case). */
  name?: string;
  /** Written to meta.schema.appVersion. */
  appVersion?: string;
  /** Checkpoints kept besides the latest (older ones are deleted at commit). Default 1. */
  keepOldCheckpoints?: number;
  hooks?: StoreTestHooks;
}

/** A class to create. */
export interface NewClass {
  name: string;
  colour?: string;
  /** Creation time (ms); default now. */
  created?: number;
}

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

/** Replay-memory changes to persist: rows to write (upsert, keeping thumbnail and source) and ids to delete, plus the policy state. */
export interface BufferCommit {
  put: MemorySample[];
  delete: string[];
  state: ReplayMemoryState;
  /** The memory's packed snapshot after these changes; absent: the stored pack is invalidated. */
  pack?: ReplayPack;
  /**
   * Every member's current logits after these changes (replaces the stored table). Absent: the stored table
   * forgets the ids in `put`, whose rows are current.
   */
  logits?: LogitsTable;
}

/** Everything one committed round writes, atomically. */
export interface CommitRoundInput {
  engineState: EngineState;
  /** Class id -> head output column. */
  classToOutput: Record<string, number>;
  strategy?: Record<string, unknown> | null;
  /** Metrics history (JSON). */
  metrics?: unknown;
  /**
   * Replay-memory changes of this round: pass the project's `IdbReplayMemory` (deferred mode) and its pending
   * changes are written in this transaction (and marked committed after), or a plain `BufferCommit`.
   */
  bufferChanges?: BufferCommit | IdbReplayMemory | null;
  /** Class edits to apply with the round (name, colour); every class listed gets `round` = the new round. */
  classes?: { id: number; name?: string; colour?: string }[];
  /** Samples trained this round: those the replay memory did not keep are deleted (they live on in the weights). */
  trainedSampleIds?: string[];
  /** The engine's RNG state (to resume sampling exactly). */
  rngState?: number;
  /** Checkpoint time (ms); default now. */
  created?: number;
}

/** What `loadLatest()` returns: the last committed round and what the app needs to resume it. */
export interface ProjectSnapshot {
  /** Last committed round, -1 if none. */
  round: number;
  checkpoint: CheckpointRecord | null;
  classes: ClassRecord[];
  buffer: ReplayMemoryState | null;
  rngState: number | null;
}

/** Storage usage as reported by the browser. */
export interface StorageReport {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

type AnyTx = IDBPTransaction<RetainDB, StoreNames<RetainDB>[], 'readwrite' | 'versionchange'>;

/** What a buffer commit reads before it writes: the rows it upserts and deletes, and the logits table if needed. */
interface BufferCommitReads {
  existingPut: (SampleRecord | undefined)[];
  existingDel: (SampleRecord | undefined)[];
  tableRecord: { value?: unknown } | undefined;
}

/** True for a DOMException (or look-alike) named QuotaExceededError. */
export function isQuotaError(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { name?: string }).name === 'QuotaExceededError';
}

/** Marks a request promise as observed (a failure is still seen by whoever awaits it): an aborted transaction rejects every pending request, and unawaited ones would surface as unhandled rejections. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === '[object ArrayBuffer]';
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200)
    throw new MemoryInputError('bad-label', 'a class name must be a non-empty string of at most 200 characters');
  return name.trim();
}

/** Validates an EngineState's shape (format, tensors typed and sized by their shapes). */
export function validateEngineState(state: EngineState): void {
  if (!state || state.format !== 'retain-engine' || state.version !== 1 || typeof state.json !== 'object' || !Array.isArray(state.tensors))
    throw new ProjectStoreError('bad-input', 'engineState must be a retain-engine v1 state');
  const names = new Set<string>();
  for (const t of state.tensors) {
    if (!t || typeof t.name !== 'string' || names.has(t.name)) throw new ProjectStoreError('bad-input', `engineState: bad or duplicate tensor name ${String(t?.name)}`);
    names.add(t.name);
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new ProjectStoreError('bad-input', `engineState: tensor ${t.name} has a bad shape`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    const okType = t.dtype === 'float32' ? isFloat32Array(t.data) : t.dtype === 'int32' ? Object.prototype.toString.call(t.data) === '[object Int32Array]' : false;
    if (!okType) throw new ProjectStoreError('bad-input', `engineState: tensor ${t.name} data does not match dtype ${t.dtype}`);
    if (t.data.length !== size) throw new ProjectStoreError('bad-input', `engineState: tensor ${t.name} has ${t.data.length} values for shape [${t.shape}]`);
  }
}

/**
 * The persistent project in IndexedDB: classes, samples (+ thumbnails), checkpoints, meta. Rounds commit
 * atomically; the replay memory (`openReplayMemory`) keeps its members in `samples` (replay = 1).
 */
export class ProjectStore {
  private memory: IdbReplayMemory | null = null;
  private closed = false;

  private constructor(
    /** The open database (for the memory layer; the app uses the methods). */
    readonly db: IDBPDatabase<RetainDB>,
    /** Database name. */
    readonly name: string,
    private readonly options: ProjectStoreOptions,
  ) {}

  /** Opens (creating or migrating to SCHEMA_VERSION) the project database. Throws `ProjectStoreError('newer-schema')` for a database from a newer app. */
  static async open(options: ProjectStoreOptions = {}): Promise<ProjectStore> {
    const name = options.name ?? DEFAULT_DB_NAME;
    const appVersion = options.appVersion ?? '0.1.0';
    let store: ProjectStore | null = null;
    try {
      const db = await openDB<RetainDB>(name, SCHEMA_VERSION, {
        async upgrade(database, oldVersion, _newVersion, tx) {
          await upgradeSchema(database, oldVersion, tx, appVersion);
        },
        blocking() {
          // Another tab wants a newer schema: let it upgrade.
          store?.close();
        },
      });
      store = new ProjectStore(db, name, options);
      return store;
    } catch (e) {
      if ((e as { name?: string })?.name === 'VersionError')
        throw new ProjectStoreError('newer-schema', `database ${name} was written by a newer version of Retain`);
      throw e;
    }
  }

  /** Deletes a whole project database (tests, "reset project"). */
  static async deleteDatabase(name: string = DEFAULT_DB_NAME): Promise<void> {
    await deleteDB(name);
  }

  /** Closes the connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private ensureOpen(): void {
    if (this.closed) throw new ProjectStoreError('not-open', 'the project store is closed');
  }

  private hook(operation: 'commitRound' | 'addSamples' | 'bufferWrite', step: number): void {
    this.options.hooks?.beforeWrite?.(operation, step);
  }

  /** Runs `body` in one readwrite transaction over every store; aborts it on any error so nothing is written. */
  async writeTx<T>(body: (tx: AnyTx) => Promise<T>, durability: IDBTransactionDurability = 'strict'): Promise<T> {
    this.ensureOpen();
    const tx = this.db.transaction([...ALL_STORES], 'readwrite', { durability }) as AnyTx;
    try {
      const result = await body(tx);
      await tx.done;
      return result;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // Already aborted or finished.
      }
      await tx.done.catch(() => undefined);
      throw e;
    }
  }

  // ---- meta ----

  /** Reads a meta value. */
  async getMeta<K extends MetaKey>(key: K): Promise<MetaValues[K] | undefined> {
    this.ensureOpen();
    const row = await this.db.get('meta', key);
    return row?.value as MetaValues[K] | undefined;
  }

  /** Writes a meta value (e.g. the RNG state between rounds). */
  async setMeta<K extends MetaKey>(key: K, value: MetaValues[K]): Promise<void> {
    this.ensureOpen();
    await this.db.put('meta', { key, value });
  }

  /** The last committed round (-1 before the first). */
  async currentRound(): Promise<number> {
    return (await this.getMeta('round')) ?? -1;
  }

  // ---- classes ----

  /** Creates a class; its id (never reused) is also its label for the replay memory. */
  async addClass(input: NewClass): Promise<ClassRecord> {
    const name = checkName(input?.name);
    if (input.colour !== undefined && typeof input.colour !== 'string') throw new MemoryInputError('bad-label', 'colour must be a string');
    return this.writeTx(async (tx) => {
      const meta = tx.objectStore('meta');
      const next = ((await meta.get('nextClassId'))?.value as number | undefined) ?? 0;
      const record: ClassRecord = {
        id: next,
        name,
        created: input.created ?? Date.now(),
        colour: input.colour ?? paletteColour(next),
        sampleCount: 0,
        heldOutCount: 0,
        round: -1,
      };
      await tx.objectStore('classes').add(record);
      await meta.put({ key: 'nextClassId', value: next + 1 });
      return record;
    }, 'default');
  }

  /** Renames a class. */
  async renameClass(id: number, name: string): Promise<ClassRecord> {
    const clean = checkName(name);
    return this.writeTx(async (tx) => {
      const store = tx.objectStore('classes');
      const record = await store.get(id);
      if (!record) throw new ProjectStoreError('unknown-class', `no class ${id}`);
      record.name = clean;
      await store.put(record);
      return record;
    }, 'default');
  }

  /** Changes a class's colour. */
  async setClassColour(id: number, colour: string): Promise<ClassRecord> {
    if (typeof colour !== 'string' || colour.length === 0) throw new MemoryInputError('bad-label', 'colour must be a non-empty string');
    return this.writeTx(async (tx) => {
      const store = tx.objectStore('classes');
      const record = await store.get(id);
      if (!record) throw new ProjectStoreError('unknown-class', `no class ${id}`);
      record.colour = colour;
      await store.put(record);
      return record;
    }, 'default');
  }

  /** Every class, by id. */
  async listClasses(): Promise<ClassRecord[]> {
    this.ensureOpen();
    return this.db.getAll('classes');
  }

  /** One class, or undefined. */
  async getClass(id: number): Promise<ClassRecord | undefined> {
    this.ensureOpen();
    return this.db.get('classes', id);
  }

  /** Deletes a class with all its samples and thumbnails (and drops them from the replay memory). */
  async deleteClass(id: number): Promise<void> {
    const ids = await this.writeTx(async (tx) => {
      if (!(await tx.objectStore('classes').get(id))) throw new ProjectStoreError('unknown-class', `no class ${id}`);
      const samples = tx.objectStore('samples');
      const keys = await samples.index('by-class').getAllKeys(id);
      await Promise.all(keys.flatMap((k) => [samples.delete(k), tx.objectStore('thumbnails').delete(k)]));
      await tx.objectStore('classes').delete(id);
      return keys;
    }, 'default');
    // The memory's policy state is saved after (a crash in between is reconciled when the memory loads).
    await this.memory?.forgetDeleted(ids);
  }

  // ---- samples ----

  /** Stores captured samples (one transaction; all or nothing). Returns the stored rows. */
  async addSamples(inputs: readonly NewSample[]): Promise<SampleRecord[]> {
    if (!Array.isArray(inputs)) throw new MemoryInputError('not-an-array', 'addSamples expects an array');
    const round = (await this.currentRound()) + 1;
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
    await this.withQuotaRetry(() =>
      this.writeTx(async (tx) => {
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
          this.hook('addSamples', i);
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
      }, 'default'),
    );
    return rows;
  }

  /** Samples of a class (with thumbnails unless `withThumbnails` is false), oldest first. */
  async listSamples(classId: number, options: { withThumbnails?: boolean } = {}): Promise<SampleWithThumbnail[]> {
    this.ensureOpen();
    const tx = this.db.transaction(['samples', 'thumbnails'], 'readonly');
    const rows = await tx.objectStore('samples').index('by-class').getAll(classId);
    const thumbs = options.withThumbnails === false ? rows.map(() => undefined) : await Promise.all(rows.map((r) => tx.objectStore('thumbnails').get(r.id)));
    await tx.done;
    return rows.map((r, i) => ({ ...r, thumbnail: thumbs[i] ?? null })).sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
  }

  /** One sample with its thumbnail. */
  async getSample(id: string): Promise<SampleWithThumbnail | undefined> {
    this.ensureOpen();
    const tx = this.db.transaction(['samples', 'thumbnails'], 'readonly');
    const [row, thumb] = await Promise.all([tx.objectStore('samples').get(id), tx.objectStore('thumbnails').get(id)]);
    await tx.done;
    return row ? { ...row, thumbnail: thumb ?? null } : undefined;
  }

  /** Samples not yet offered to the replay memory and not held out: the next round's training data. */
  async pendingSamples(): Promise<SampleRecord[]> {
    this.ensureOpen();
    const rows = await this.db.getAllFromIndex('samples', 'by-replay', 0);
    return rows.filter((r) => !r.heldOut);
  }

  /** Held-out samples (for per-class accuracy), optionally of one class. */
  async heldOutSamples(classId?: number): Promise<SampleRecord[]> {
    this.ensureOpen();
    const rows = classId === undefined ? await this.db.getAll('samples') : await this.db.getAllFromIndex('samples', 'by-class', classId);
    return rows.filter((r) => r.heldOut);
  }

  /** Samples of one round. */
  async samplesOfRound(round: number): Promise<SampleRecord[]> {
    this.ensureOpen();
    return this.db.getAllFromIndex('samples', 'by-round', round);
  }

  /** Number of stored samples. */
  async countSamples(): Promise<number> {
    this.ensureOpen();
    return this.db.count('samples');
  }

  /** Deletes one sample (and its thumbnail; and drops it from the replay memory). */
  async deleteSample(id: string): Promise<void> {
    await this.writeTx(async (tx) => {
      const row = await tx.objectStore('samples').get(id);
      if (!row) throw new ProjectStoreError('unknown-sample', `no sample ${id}`);
      await this.deleteRows(tx, [row]);
    }, 'default');
    await this.memory?.forgetDeleted([id]);
  }

  /** Deletes sample rows and thumbnails and updates class counts (inside `tx`). */
  private async deleteRows(tx: AnyTx, rows: readonly SampleRecord[]): Promise<void> {
    const deltas = new Map<number, { total: number; heldOut: number }>();
    const writes: Promise<unknown>[] = [];
    this.queueDeletes(tx, rows, deltas, writes);
    await Promise.all([...writes, this.applyCountDeltas(tx, deltas)]);
  }

  /** Queues the deletion of sample rows (and thumbnails) and adds their count changes to `deltas`. */
  private queueDeletes(
    tx: AnyTx,
    rows: readonly SampleRecord[],
    deltas: Map<number, { total: number; heldOut: number }>,
    writes: Promise<unknown>[],
  ): void {
    for (const r of rows) {
      writes.push(quiet(tx.objectStore('samples').delete(r.id)), quiet(tx.objectStore('thumbnails').delete(r.id)));
      addDelta(deltas, r.classId, -1, r.heldOut);
    }
    // Members deleted outside a buffer commit: the packed snapshot is stale.
    if (rows.some((r) => r.replay === 1)) writes.push(quiet(tx.objectStore('meta').delete('pack')));
  }

  private async applyCountDeltas(tx: AnyTx, deltas: Map<number, { total: number; heldOut: number }>): Promise<void> {
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

  // ---- replay memory persistence ----

  /** Opens the project's replay memory (members: samples with replay = 1); one per store. */
  async openReplayMemory(options: IdbReplayMemoryOptions): Promise<IdbReplayMemory> {
    this.ensureOpen();
    const mem = await IdbReplayMemory.load(this, options);
    this.memory = mem;
    return mem;
  }

  /** Writes replay-memory changes in one transaction (write-through). Used by `IdbReplayMemory`. */
  async writeBufferChanges(change: BufferCommit): Promise<void> {
    await this.writeTx(async (tx) => {
      await this.applyBufferCommit(tx, change, 'bufferWrite');
    }, 'default');
  }

  /** Applies replay-memory changes inside `tx`: upserts members (keeping captured rows' thumbnail/source), deletes evicted rows. */
  private async applyBufferCommit(tx: AnyTx, change: BufferCommit, op: 'commitRound' | 'bufferWrite'): Promise<void> {
    const deltas = new Map<number, { total: number; heldOut: number }>();
    const writes: Promise<unknown>[] = [];
    this.queueBufferCommit(tx, change, await this.readBufferCommit(tx, change), op, deltas, writes);
    await Promise.all([...writes, this.applyCountDeltas(tx, deltas)]);
  }

  /** The rows a buffer commit needs to read first (issued together: one round trip). */
  private readBufferCommit(
    tx: AnyTx,
    change: BufferCommit,
    getSample: (id: string) => Promise<SampleRecord | undefined> = sampleReader(tx),
  ): Promise<BufferCommitReads> {
    // Requests in one transaction run in order, so reads are issued together and writes queued without waiting
    // for each: every await is a round trip to the browser's storage process (~1-5 ms from a worker).
    const putIds = new Set(change.put.map((s) => s.id!));
    const deleteIds = change.delete.filter((id) => !putIds.has(id));
    const needTable = !change.logits && putIds.size > 0;
    return Promise.all([
      Promise.all(change.put.map((s) => getSample(s.id!))),
      Promise.all(deleteIds.map((id) => getSample(id))),
      needTable ? tx.objectStore('meta').get('logits') : Promise.resolve(undefined),
    ]).then(([existingPut, existingDel, tableRecord]) => ({ existingPut, existingDel, tableRecord }));
  }

  /** Queues a buffer commit's writes (read first with `readBufferCommit`), adding its class count changes to `deltas`. */
  private queueBufferCommit(
    tx: AnyTx,
    change: BufferCommit,
    reads: BufferCommitReads,
    op: 'commitRound' | 'bufferWrite',
    deltas: Map<number, { total: number; heldOut: number }>,
    writes: Promise<unknown>[],
  ): void {
    const samples = tx.objectStore('samples');
    const meta = tx.objectStore('meta');
    const putIds = new Set(change.put.map((s) => s.id!));
    const { existingPut, existingDel, tableRecord } = reads;
    let step = 0;
    change.put.forEach((s, i) => {
      const old = existingPut[i];
      const row: SampleRecord = old
        ? { ...old, replay: 1, classId: s.label, round: s.task, embedding: s.x }
        : { id: s.id!, classId: s.label, round: s.task, embedding: s.x, source: 'import', created: Date.now(), heldOut: false, replay: 1 };
      if (s.logits) row.logits = s.logits;
      else delete row.logits;
      if (!old) addDelta(deltas, s.label, 1, false);
      this.hook(op, step++);
      writes.push(quiet(samples.put(row)));
    });
    const delRows = existingDel.filter((r): r is SampleRecord => !!r);
    for (let i = 0; i < delRows.length; i++) this.hook(op, step++);
    this.queueDeletes(tx, delRows, deltas, writes);
    this.hook(op, step);
    writes.push(quiet(meta.put({ key: 'buffer', value: change.state })));
    if (change.logits) writes.push(quiet(meta.put({ key: 'logits', value: change.logits })));
    else if (tableRecord?.value) {
      writes.push(quiet(meta.put({ key: 'logits', value: logitsTableWithout(tableRecord.value as LogitsTable, putIds) })));
    }
    if (change.pack) writes.push(quiet(meta.put({ key: 'pack', value: change.pack })));
    else writes.push(quiet(meta.delete('pack')));
  }

  /**
   * On a full disk: asks the attached replay memory to evict by its policy (about a tenth) and retries once;
   * a second failure throws `StorageFullError` (the failed transaction was aborted: nothing written).
   */
  async withQuotaRetry<T>(write: () => Promise<T>, onEvicted?: () => void): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      const freed = this.memory ? await this.memory.evictForSpace() : 0;
      if (freed === 0) throw new StorageFullError('storage is full and the replay memory has nothing to evict; nothing was written');
      onEvicted?.();
      try {
        return await write();
      } catch (e2) {
        if (isQuotaError(e2)) throw new StorageFullError('storage is still full after evicting by the buffer policy; nothing was written');
        throw e2;
      }
    }
  }

  // ---- rounds ----

  /**
   * Commits one learning round atomically: checkpoint, buffer changes, class edits, trained-sample clean-up,
   * meta (round, buffer state, RNG) in ONE readwrite transaction (relaxed durability: see below). Everything is validated and prepared
   * before it opens; on failure nothing is written. Returns the new round number.
   */
  async commitRound(input: CommitRoundInput): Promise<number> {
    this.ensureOpen();
    if (!input || typeof input !== 'object') throw new ProjectStoreError('bad-input', 'commitRound needs an input object');
    validateEngineState(input.engineState);
    if (!input.classToOutput || typeof input.classToOutput !== 'object') throw new ProjectStoreError('bad-input', 'classToOutput is required');
    for (const [k, v] of Object.entries(input.classToOutput))
      if (!Number.isInteger(Number(k)) || !Number.isInteger(v) || v < 0) throw new ProjectStoreError('bad-input', `classToOutput: bad entry ${k} -> ${v}`);
    const classEdits = input.classes ?? [];
    for (const c of classEdits) {
      if (!c || !Number.isInteger(c.id)) throw new ProjectStoreError('bad-input', 'classes: every edit needs an integer id');
      if (c.name !== undefined) checkName(c.name);
    }
    // JSON parts are cloned now so a non-serialisable value fails before the transaction opens.
    let metrics: unknown;
    let strategy: Record<string, unknown> | null;
    try {
      metrics = structuredClone(input.metrics ?? null);
      strategy = structuredClone(input.strategy ?? null);
      structuredClone(input.engineState.json);
    } catch (e) {
      throw new ProjectStoreError('bad-input', `commitRound: metrics, strategy and engineState.json must be cloneable (${(e as Error).message})`);
    }
    // A round holds derived data only (model, strategy state, which samples the memory keeps), so it needs
    // atomicity, not a flush: 'relaxed' durability skips the fsync. A crash or power cut after the commit event
    // can at worst undo the whole round, never half of it; captured samples are written by addSamples with
    // 'strict' durability, and they are what the round came from.
    const run = (bufferChanges: BufferCommit | null | undefined) =>
      this.writeTx(async (tx) => {
        const meta = tx.objectStore('meta');
        const classes = tx.objectStore('classes');
        const checkpoints = tx.objectStore('checkpoints');
        // Every read of the round is issued at once (one round trip to the storage process), then every write is
        // queued and awaited once: a round costs two round trips, not one per dependent step.
        // A round's trained samples are mostly the ones its memory keeps: each row is read once for both.
        const getSample = sampleReader(tx);
        const [roundRow, bufferReads, trainedRows, checkpointKeys, classList] = await Promise.all([
          meta.get('round'),
          bufferChanges ? this.readBufferCommit(tx, bufferChanges, getSample) : Promise.resolve(null),
          Promise.all((input.trainedSampleIds ?? []).map((id) => getSample(id))),
          checkpoints.getAllKeys(),
          classes.getAll(),
        ]);
        const round = ((roundRow?.value as number | undefined) ?? -1) + 1;
        let step = 0;
        const checkpoint: CheckpointRecord = {
          round,
          created: input.created ?? Date.now(),
          engineState: input.engineState,
          classToOutput: { ...input.classToOutput },
          strategy,
          metrics,
        };
        this.hook('commitRound', step++);
        const writes: Promise<unknown>[] = [quiet(checkpoints.put(checkpoint))];
        const deltas = new Map<number, { total: number; heldOut: number }>();
        if (bufferChanges && bufferReads) this.queueBufferCommit(tx, bufferChanges, bufferReads, 'commitRound', deltas, writes);
        // Trained but not kept by the memory: dropped (held-out samples are never trained, never dropped). The rows
        // were read before the buffer's writes, so the buffer's own puts and deletes are taken from the change.
        const keptIds = new Set(bufferChanges?.put.map((s) => s.id!) ?? []);
        const deletedIds = new Set(bufferChanges?.delete ?? []);
        const dropped = trainedRows.filter(
          (r): r is SampleRecord => !!r && r.replay === 0 && !r.heldOut && !keptIds.has(r.id) && !deletedIds.has(r.id),
        );
        this.queueDeletes(tx, dropped, deltas, writes);
        // Each class row is read once and written once with its edit and all its count changes (two
        // read-modify-writes of one row in flight together would lose one of them).
        const classRows = new Map(classList.map((c) => [c.id, c] as const));
        for (const edit of classEdits) {
          const c = classRows.get(edit.id);
          if (!c) throw new ProjectStoreError('unknown-class', `commitRound: no class ${edit.id}`);
          if (edit.name !== undefined) c.name = edit.name.trim();
          if (edit.colour !== undefined) c.colour = edit.colour;
          c.round = round;
          this.hook('commitRound', step++);
        }
        const changed = new Set(classEdits.map((e) => e.id));
        for (const [id, d] of deltas) {
          const c = classRows.get(id);
          if (!c || (d.total === 0 && d.heldOut === 0)) continue;
          c.sampleCount = Math.max(0, c.sampleCount + d.total);
          c.heldOutCount = Math.max(0, c.heldOutCount + d.heldOut);
          changed.add(id);
        }
        for (const id of changed) writes.push(quiet(classes.put(classRows.get(id)!)));
        // Keep the newest checkpoints only.
        const keep = this.options.keepOldCheckpoints ?? 1;
        for (const k of checkpointKeys) if ((k as number) <= round - keep - 1) writes.push(quiet(checkpoints.delete(k)));
        if (input.rngState !== undefined) writes.push(quiet(meta.put({ key: 'rng', value: input.rngState })));
        this.hook('commitRound', step);
        writes.push(quiet(meta.put({ key: 'round', value: round })));
        await Promise.all(writes);
        return round;
      }, 'relaxed');
    const changes = input.bufferChanges;
    const mem = changes && 'pendingChanges' in changes ? changes : null;
    try {
      // Each attempt takes the memory's pending changes afresh: a quota retry adds the policy's evictions.
      // The packed snapshot (the whole memory, megabytes) is a load cache: it is dropped by the round and
      // rewritten just after it, so the user's wait does not grow with the memory.
      const round = await this.withQuotaRetry(() => run(mem ? mem.pendingChanges(false) : (changes as BufferCommit | null | undefined)));
      mem?.markCommitted();
      mem?.writePackSoon();
      return round;
    } catch (e) {
      // The memory in RAM is ahead of the database now: reload it from what is stored.
      if (mem) await mem.reload();
      throw e;
    }
  }

  /** The last committed round with its checkpoint, classes, buffer state and RNG state. */
  async loadLatest(): Promise<ProjectSnapshot> {
    this.ensureOpen();
    const tx = this.db.transaction(['checkpoints', 'classes', 'meta'], 'readonly');
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

  // ---- storage ----

  /** Asks the browser to keep the project's storage (false in headless/unsupported browsers). */
  async requestPersistence(): Promise<boolean> {
    const storage = (globalThis.navigator as Navigator | undefined)?.storage;
    if (!storage?.persist) return false;
    try {
      return await storage.persist();
    } catch {
      return false;
    }
  }

  /** Usage and quota of this origin, and whether storage is persistent (nulls where unsupported). */
  async storageEstimate(): Promise<StorageReport> {
    const storage = (globalThis.navigator as Navigator | undefined)?.storage;
    if (!storage?.estimate) return { usage: null, quota: null, persisted: null };
    const est = await storage.estimate();
    const persisted = storage.persisted ? await storage.persisted().catch(() => null) : null;
    return { usage: est.usage ?? null, quota: est.quota ?? null, persisted };
  }

  // ---- whole-project access for export/import ----

  /** Every row of every store in one consistent read. */
  async readAll(): Promise<ProjectRows> {
    this.ensureOpen();
    const tx = this.db.transaction([...ALL_STORES], 'readonly');
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

  /** Replaces the whole project with `rows` in one strict transaction (import); the memory is reloaded after. */
  async replaceAll(rows: ProjectRows): Promise<void> {
    await this.writeTx(async (tx) => {
      await Promise.all(ALL_STORES.map((s) => tx.objectStore(s).clear()));
      const writes: Promise<unknown>[] = [];
      for (const r of rows.classes) writes.push(quiet(tx.objectStore('classes').put(r)));
      for (const r of rows.samples) writes.push(quiet(tx.objectStore('samples').put(r)));
      for (const r of rows.thumbnails) writes.push(quiet(tx.objectStore('thumbnails').put(r)));
      for (const r of rows.checkpoints) writes.push(quiet(tx.objectStore('checkpoints').put(r)));
      for (const r of rows.meta) writes.push(quiet(tx.objectStore('meta').put(r)));
      await Promise.all(writes);
    });
    if (this.memory) await this.memory.reload();
  }
}

/** The rows of every store. */
export interface ProjectRows {
  classes: ClassRecord[];
  samples: SampleRecord[];
  thumbnails: ThumbnailRecord[];
  checkpoints: CheckpointRecord[];
  meta: { key: string; value: unknown }[];
}

/** Adds a sample-count change for a class (held-out rows also change its held-out count). */
function addDelta(deltas: Map<number, { total: number; heldOut: number }>, classId: number, by: number, heldOut: boolean): void {
  const d = deltas.get(classId) ?? { total: 0, heldOut: 0 };
  d.total += by;
  if (heldOut) d.heldOut += by;
  deltas.set(classId, d);
}

/** Reads sample rows in `tx`, each id once: a second request for an id shares the first one's read. */
function sampleReader(tx: AnyTx): (id: string) => Promise<SampleRecord | undefined> {
  const store = tx.objectStore('samples');
  const pending = new Map<string, Promise<SampleRecord | undefined>>();
  return (id) => {
    let read = pending.get(id);
    if (!read) {
      read = store.get(id) as Promise<SampleRecord | undefined>;
      pending.set(id, read);
    }
    return read;
  };
}
