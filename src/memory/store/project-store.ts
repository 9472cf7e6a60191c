/** The persistent project in IndexedDB: one entry object over classes, samples, rounds, snapshot and the replay memory. */
import { deleteDB, openDB, type IDBPDatabase } from 'idb';
import { checkClassColour, checkClassName } from '../class-rules';
import { isQuotaError, ProjectStoreError, StorageFullError } from '../errors';
import { deleteClassRows, insertClass, recolourClassRow, renameClassRow, type NewClass } from './classes';
import { checkRoundInput, writeBufferCommit, writeRound, type CommitRoundInput } from './commit';
import { IdbReplayMemory, type IdbReplayMemoryOptions } from './idb-replay-memory';
import { replayPersistence } from './members';
import type { BufferCommit } from './replay-persistence';
import { getSample, listSamples, prepareSamples, writeNewSamples, type NewSample, type SampleWithThumbnail } from './samples';
import { ALL_STORES, SCHEMA_VERSION, upgradeSchema, type ClassRecord, type MetaKey, type MetaValues, type RetainDB, type SampleRecord } from './schema';
import { loadLatest, readAllRows, writeAllRows, type ProjectRows, type ProjectSnapshot } from './snapshot';
import { deleteSampleRows, type AnyTx, type WriteOperation } from './transaction';

export type { NewClass } from './classes';
export type { CommitRoundInput } from './commit';
export type { BufferCommit } from './replay-persistence';
export type { NewSample, SampleWithThumbnail } from './samples';
export type { ProjectRows, ProjectSnapshot } from './snapshot';

/** Default database name of the app's project. */
export const DEFAULT_DB_NAME = 'retain-project';

/** Fault injection for tests: called before each write of a commit or sample batch; throwing aborts the write. */
export interface StoreTestHooks {
  beforeWrite?(operation: WriteOperation, step: number): void;
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

/** Storage usage as reported by the browser. */
export interface StorageReport {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

/**
 * The persistent project in IndexedDB: classes, samples (+ thumbnails), checkpoints, meta. Rounds commit
 * atomically; the replay memory (`openReplayMemory`) keeps its members in `samples` (replay = 1) and reaches
 * them only through the `ReplayPersistence` this store hands it.
 */
export class ProjectStore {
  private memory: IdbReplayMemory | null = null;
  private closed = false;
  private readonly hook = (operation: WriteOperation, step: number): void => this.options.hooks?.beforeWrite?.(operation, step);

  private constructor(
    /** The open database (tests and labs inspect it; the app uses the methods). */
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

  /** Creates a class (name and colour by `class-rules.ts`, at most `MAX_CLASSES`); its id (never reused) is also its label for the replay memory. */
  async addClass(input: NewClass): Promise<ClassRecord> {
    const name = checkClassName(input?.name);
    const colour = input.colour === undefined ? undefined : checkClassColour(input.colour);
    return this.writeTx((tx) => insertClass(tx, name, colour, input.created), 'default');
  }

  /** Renames a class (unique among the others). */
  async renameClass(id: number, name: string): Promise<ClassRecord> {
    const clean = checkClassName(name);
    return this.writeTx((tx) => renameClassRow(tx, id, clean), 'default');
  }

  /** Changes a class's colour (`#rrggbb`). */
  async setClassColour(id: number, colour: string): Promise<ClassRecord> {
    const clean = checkClassColour(colour);
    return this.writeTx((tx) => recolourClassRow(tx, id, clean), 'default');
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
    const ids = await this.writeTx((tx) => deleteClassRows(tx, id), 'default');
    // The memory's policy state is saved after (a crash in between is reconciled when the memory loads).
    await this.memory?.forgetDeleted(ids);
  }

  // ---- samples ----

  /** Stores captured samples (one transaction; all or nothing). Returns the stored rows. */
  async addSamples(inputs: readonly NewSample[]): Promise<SampleRecord[]> {
    const prepared = prepareSamples(inputs, (await this.currentRound()) + 1);
    await this.withQuotaRetry(() => this.writeTx((tx) => writeNewSamples(tx, prepared, this.hook), 'default'));
    return prepared.rows;
  }

  /** Samples of a class (with thumbnails unless `withThumbnails` is false), oldest first. */
  async listSamples(classId: number, options: { withThumbnails?: boolean } = {}): Promise<SampleWithThumbnail[]> {
    this.ensureOpen();
    return listSamples(this.db, classId, options.withThumbnails !== false);
  }

  /** One sample with its thumbnail. */
  async getSample(id: string): Promise<SampleWithThumbnail | undefined> {
    this.ensureOpen();
    return getSample(this.db, id);
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
      await deleteSampleRows(tx, [row]);
    }, 'default');
    await this.memory?.forgetDeleted([id]);
  }

  // ---- replay memory ----

  /** Opens the project's replay memory (members: samples with replay = 1); one per store. */
  async openReplayMemory(options: IdbReplayMemoryOptions): Promise<IdbReplayMemory> {
    this.ensureOpen();
    const persistence = replayPersistence(this.db, {
      saveBufferState: (state) => this.setMeta('buffer', state),
      writeBufferChanges: (change) => this.writeBufferChanges(change),
      withQuotaRetry: (write) => this.withQuotaRetry(write),
    });
    const mem = await IdbReplayMemory.load(persistence, options);
    this.memory = mem;
    return mem;
  }

  /** Writes replay-memory changes in one transaction (write-through; the memory's `ReplayPersistence` routes here). */
  async writeBufferChanges(change: BufferCommit): Promise<void> {
    await this.writeTx((tx) => writeBufferCommit(tx, change, this.hook), 'default');
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
   * meta (round, buffer state, RNG) in ONE readwrite transaction (relaxed durability: see below). Everything is
   * validated and prepared before it opens; on failure nothing is written. Returns the new round number.
   */
  async commitRound(input: CommitRoundInput): Promise<number> {
    this.ensureOpen();
    const checked = checkRoundInput(input);
    const keep = this.options.keepOldCheckpoints ?? 1;
    // A round holds derived data only (model, strategy state, which samples the memory keeps), so it needs
    // atomicity, not a flush: 'relaxed' durability skips the fsync. A crash or power cut after the commit event
    // can at worst undo the whole round, never half of it; captured samples are written by addSamples with
    // 'strict' durability, and they are what the round came from.
    const run = (bufferChanges: BufferCommit | null | undefined) =>
      this.writeTx((tx) => writeRound(tx, checked, bufferChanges, keep, this.hook), 'relaxed');
    const changes = input.bufferChanges;
    const mem = changes instanceof IdbReplayMemory ? changes : null;
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
    return loadLatest(this.db);
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
    return readAllRows(this.db);
  }

  /** Replaces the whole project with `rows` in one strict transaction (import); the memory is reloaded after. */
  async replaceAll(rows: ProjectRows): Promise<void> {
    await this.writeTx((tx) => writeAllRows(tx, rows));
    if (this.memory) await this.memory.reload();
  }
}
