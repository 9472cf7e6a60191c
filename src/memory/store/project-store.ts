/** The persistent project in IndexedDB: one entry object over classes, samples, rounds, snapshot and the replay memory. */
import type { IDBPDatabase } from 'idb';
import { checkClassColour, checkClassName } from '../class-rules';
import { isQuotaError, ProjectStoreError, StorageFullError } from '../errors';
import { ChangeFeed, type ProjectChange, type ProjectChangeKind } from './change-feed';
import { deleteProjectDatabase, openProjectDatabase, type VersionChangeReason } from './connection';
import { deleteClassRows, insertClass, recolourClassRow, renameClassRow, type NewClass } from './classes';
import { checkRoundInput, writeBufferCommit, writeRound, type CommitRoundInput, type CommittedRound, type RoundCheckpointPart, type RoundRowsPart } from './commit';
import { IdbReplayMemory, type IdbReplayMemoryOptions } from './idb-replay-memory';
import { replayPersistence } from './members';
import type { BufferCommit } from './replay-persistence';
import { getSample, listSamples, prepareSamples, writeNewSamples, type NewSample, type SampleWithThumbnail } from './samples';
import { ALL_STORES, type ClassRecord, type MetaKey, type MetaValues, type RetainDB, type SampleRecord } from './schema';
import { loadLatest, readAllRows, writeAllRows, type ProjectRows, type ProjectSnapshot } from './snapshot';
import { deleteSampleRows, type AnyTx, type WriteOperation } from './transaction';
import { withWriterLock } from './writer-lock';

export type { ProjectChange, ProjectChangeKind } from './change-feed';
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
  /** How long opening may wait for other tabs before failing with `ProjectStoreError('blocked')` (ms; default 8,000). */
  waitMs?: number;
}

/** What another tab did to this project: changed it (re-read it), or closed this connection (reset or upgrade). */
export type OtherTabEvent = { type: 'changed'; change: ProjectChange } | { type: 'closed'; reason: VersionChangeReason };

/** Storage usage as reported by the browser. */
export interface StorageReport {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

/**
 * The persistent project in IndexedDB: classes, samples (+ thumbnails), checkpoints, meta. Rounds commit
 * atomically; the replay memory (`openReplayMemory`) keeps its members in `samples` (replay = 1) and reaches
 * them only through the `ReplayPersistence` this store hands it. Every write runs under the project's writer
 * lock (writer-lock.ts) and is announced to the other tabs (change-feed.ts); a round commits only onto the
 * round this store last read.
 */
export class ProjectStore {
  private memory: IdbReplayMemory | null = null;
  private closed = false;
  /** Set when another tab's reset or upgrade closed this connection. */
  private closedBy: VersionChangeReason | null = null;
  /** The committed round this store last read or wrote: a round commits only onto it (null: not read yet). */
  private knownRound: number | null = null;
  private readonly feed: ChangeFeed;
  private readonly otherTabListeners = new Set<(event: OtherTabEvent) => void>();
  private readonly hook = (operation: WriteOperation, step: number): void => this.options.hooks?.beforeWrite?.(operation, step);

  private constructor(
    /** The open database (tests and labs inspect it; the app uses the methods). */
    readonly db: IDBPDatabase<RetainDB>,
    /** Database name. */
    readonly name: string,
    private readonly options: ProjectStoreOptions,
  ) {
    this.feed = new ChangeFeed(name);
    this.feed.on((change) => this.tellOtherTabListeners({ type: 'changed', change }));
  }

  /**
   * Opens (creating or migrating to SCHEMA_VERSION) the project database. Throws `ProjectStoreError('newer-schema')`
   * for a database from a newer app, and `ProjectStoreError('blocked')` instead of waiting forever when another tab
   * keeps an older connection open (the open completes later on its own and is closed then).
   */
  static async open(options: ProjectStoreOptions = {}): Promise<ProjectStore> {
    const name = options.name ?? DEFAULT_DB_NAME;
    let store: ProjectStore | null = null;
    // Another tab resets (deletes) or upgrades the project: let it, and tell whoever uses this store.
    const db = await openProjectDatabase(name, options.appVersion ?? '0.1.0', (reason) => store?.closeForOtherTab(reason), options.waitMs);
    store = new ProjectStore(db, name, options);
    return store;
  }

  /**
   * Deletes a whole project database (tests, "reset project") under the writer lock; the other tabs' stores close
   * (and are told). Throws `ProjectStoreError('blocked')` when a tab of an older version keeps it open.
   */
  static async deleteDatabase(name: string = DEFAULT_DB_NAME, waitMs?: number): Promise<void> {
    await deleteProjectDatabase(name, waitMs);
  }

  /** Closes the connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.feed.close();
    this.db.close();
  }

  /** Calls `listener` when another tab changed this project or closed this connection; returns the unsubscribe function. */
  onOtherTab(listener: (event: OtherTabEvent) => void): () => void {
    this.otherTabListeners.add(listener);
    return () => this.otherTabListeners.delete(listener);
  }

  private tellOtherTabListeners(event: OtherTabEvent): void {
    for (const listener of this.otherTabListeners) listener(event);
  }

  /** Another tab needs the database (`versionchange`): close at once, then say so. */
  private closeForOtherTab(reason: VersionChangeReason): void {
    if (this.closed) return;
    this.closedBy = reason;
    this.close();
    this.tellOtherTabListeners({ type: 'closed', reason });
  }

  private ensureOpen(): void {
    if (!this.closed) return;
    if (this.closedBy)
      throw new ProjectStoreError('project-changed', `another Retain tab ${this.closedBy === 'deleted' ? 'reset' : 'upgraded'} this project, so it was closed here`);
    throw new ProjectStoreError('not-open', 'the project store is closed');
  }

  /**
   * Runs `body` in one readwrite transaction over every store, under the project's writer lock; aborts it on any
   * error so nothing is written. A transaction the browser aborted for lack of space throws its
   * `QuotaExceededError` (not the `AbortError` of a request it took down). On success the other tabs hear `kind`.
   */
  async writeTx<T>(body: (tx: AnyTx) => Promise<T>, durability: IDBTransactionDurability = 'strict', kind: ProjectChangeKind = 'samples'): Promise<T> {
    this.ensureOpen();
    const result = await withWriterLock(this.name, async () => {
      this.ensureOpen();
      const tx = this.db.transaction([...ALL_STORES], 'readwrite', { durability }) as AnyTx;
      try {
        const value = await body(tx);
        await tx.done;
        return value;
      } catch (e) {
        try {
          tx.abort();
        } catch {
          // Already aborted or finished.
        }
        await tx.done.catch(() => undefined);
        if (!isQuotaError(e) && isQuotaError(tx.error)) throw tx.error;
        // A request that failed aborts the transaction: the requests after it (a round's keep-alive read) fail
        // with AbortError, which says nothing; the transaction's own error says what went wrong.
        if ((e as { name?: string } | null)?.name === 'AbortError' && tx.error) throw tx.error;
        throw e;
      }
    });
    this.feed.post(kind, this.knownRound ?? undefined);
    return result;
  }

  // ---- meta ----

  /** Reads a meta value. */
  async getMeta<K extends MetaKey>(key: K): Promise<MetaValues[K] | undefined> {
    this.ensureOpen();
    const row = await this.db.get('meta', key);
    return row?.value as MetaValues[K] | undefined;
  }

  /** Writes a meta value (e.g. the RNG state between rounds), under the writer lock. */
  async setMeta<K extends MetaKey>(key: K, value: MetaValues[K]): Promise<void> {
    this.ensureOpen();
    await withWriterLock(this.name, async () => {
      this.ensureOpen();
      await this.db.put('meta', { key, value });
    });
    this.feed.post('memory', this.knownRound ?? undefined);
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
    return this.writeTx((tx) => insertClass(tx, name, colour, input.created), 'default', 'classes');
  }

  /** Renames a class (unique among the others). */
  async renameClass(id: number, name: string): Promise<ClassRecord> {
    const clean = checkClassName(name);
    return this.writeTx((tx) => renameClassRow(tx, id, clean), 'default', 'classes');
  }

  /** Changes a class's colour (`#rrggbb`). */
  async setClassColour(id: number, colour: string): Promise<ClassRecord> {
    const clean = checkClassColour(colour);
    return this.writeTx((tx) => recolourClassRow(tx, id, clean), 'default', 'classes');
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
    const ids = await this.writeTx((tx) => deleteClassRows(tx, id), 'default', 'classes');
    // The memory's policy state is saved after (a crash in between is reconciled when the memory loads).
    await this.memory?.forgetDeleted(ids);
  }

  // ---- samples ----

  /**
   * Stores captured samples (one transaction; all or nothing). Returns the stored rows. On a full disk nothing is
   * written and `StorageFullError` says so: a capture never evicts what the replay memory keeps.
   */
  async addSamples(inputs: readonly NewSample[]): Promise<SampleRecord[]> {
    const prepared = prepareSamples(inputs, (await this.currentRound()) + 1);
    try {
      await this.writeTx((tx) => writeNewSamples(tx, prepared, this.hook), 'default', 'samples');
    } catch (e) {
      if (isQuotaError(e)) throw new StorageFullError('storage is full: the picture was not stored');
      throw e;
    }
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
    }, 'default', 'samples');
    await this.memory?.forgetDeleted([id]);
  }

  // ---- replay memory ----

  /** Opens the project's replay memory (members: samples with replay = 1); one per store. */
  async openReplayMemory(options: IdbReplayMemoryOptions): Promise<IdbReplayMemory> {
    this.ensureOpen();
    const persistence = replayPersistence(this.db, {
      saveBufferState: (state) => this.setMeta('buffer', state),
      writeBufferChanges: (change) => this.writeBufferChanges(change),
      withQuotaRetry: (write) => this.withQuotaRetry(write, mem),
    }, () => this.knownRound);
    let mem: IdbReplayMemory | null = null;
    mem = await IdbReplayMemory.load(persistence, options);
    this.memory = mem;
    return mem;
  }

  /** Writes replay-memory changes in one transaction (write-through; the memory's `ReplayPersistence` routes here). */
  async writeBufferChanges(change: BufferCommit): Promise<void> {
    await this.writeTx((tx) => writeBufferCommit(tx, change, this.hook), 'default', 'memory');
  }

  /**
   * Runs `write`; on a full disk asks `memory` to evict about a tenth of its members by its policy, in RAM only,
   * and runs `write` once more: `write` reads the memory's pending changes afresh, so the evictions are written
   * in the same transaction as what they make room for, or not at all. A second failure throws `StorageFullError`
   * (both transactions aborted: nothing written; the caller reloads the memory, which drops the evictions).
   */
  async withQuotaRetry<T>(write: () => Promise<T>, memory: IdbReplayMemory | null): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      const freed = memory ? memory.evictForSpace() : 0;
      if (freed === 0) throw new StorageFullError(`storage is full${memory ? ' and the replay memory has nothing to evict' : ''}; nothing was written`);
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
   * Refuses (`ProjectStoreError('project-changed')`, nothing written) when the stored round is no longer
   * `input.baseRound`, by default the round this store last read or wrote: another tab committed in between.
   */
  async commitRound(input: CommitRoundInput): Promise<number> {
    return (await this.commitRoundWithClasses(input)).round;
  }

  /** `commitRound`, also answering every class row as stored after the round (what a view shows next, unread). */
  async commitRoundWithClasses(input: CommitRoundInput): Promise<CommittedRound> {
    return this.commitRoundLate(input, null);
  }

  /**
   * `commitRoundWithClasses` begun before the round's model is ready: the transaction opens, reads, checks and
   * writes the memory's changes, class edits and clean-up now, and waits (holding it open) for `checkpoint`, the
   * parts that need the trained model; then it writes those and commits. A rejected `checkpoint` (the round failed
   * or was cancelled) aborts it: nothing is written. The memory's changes must be final when this is called.
   * `onQueued` is called once those first writes are queued: a caller about to compute for a while waits for it,
   * since the transaction only moves on when this thread is free to hear its reads. A full disk is not met by
   * evicting members here (the late part was computed from them): it throws `StorageFullError`, nothing written.
   */
  async commitRoundLate(input: RoundRowsPart, checkpoint: Promise<RoundCheckpointPart> | null, onQueued?: () => void): Promise<CommittedRound> {
    this.ensureOpen();
    const checked = { ...checkRoundInput(input, input?.baseRound ?? this.knownRound, checkpoint), onQueued };
    const keep = this.options.keepOldCheckpoints ?? 1;
    // A round holds derived data only (model, strategy state, which samples the memory keeps), so it needs
    // atomicity, not a flush: 'relaxed' durability skips the fsync. A crash or power cut after the commit event
    // can at worst undo the whole round, never half of it; captured samples are written by addSamples with
    // 'strict' durability, and they are what the round came from.
    const run = (bufferChanges: BufferCommit | null | undefined) =>
      this.writeTx((tx) => writeRound(tx, checked, bufferChanges, keep, this.hook), 'relaxed', 'round');
    const changes = input.bufferChanges;
    const mem = changes instanceof IdbReplayMemory ? changes : null;
    try {
      // Each attempt takes the memory's pending changes afresh: a quota retry adds the policy's evictions.
      // The packed snapshot (the whole memory, megabytes) is a load cache: the round leaves it stale (stamped with
      // the round before) and it is rewritten just after, so the user's wait does not grow with the memory.
      // A late checkpoint part (an Exact model's statistics) was computed from exactly the memory's members: a
      // quota retry must not evict any of them behind its back, so a full disk fails the round instead.
      const evictable = checkpoint ? null : mem;
      const committed = await this.withQuotaRetry(() => run(mem ? mem.pendingChanges(false) : (changes as BufferCommit | null | undefined)), evictable);
      this.knownRound = committed.round;
      mem?.markCommitted();
      mem?.writePackSoon();
      return committed;
    } catch (e) {
      // The memory in RAM is ahead of the database now: reload it from what is stored.
      if (mem) await mem.reload();
      throw e;
    }
  }

  /** The last committed round with its checkpoint, classes, buffer state and RNG state. */
  async loadLatest(): Promise<ProjectSnapshot> {
    this.ensureOpen();
    const latest = await loadLatest(this.db);
    // What the caller now shows is this round: the next commit must build on it.
    this.knownRound = latest.round;
    return latest;
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
    await this.writeTx((tx) => writeAllRows(tx, rows), 'strict', 'import');
    const round = rows.meta.find((m) => m.key === 'round')?.value;
    this.knownRound = typeof round === 'number' ? round : -1;
    if (this.memory) await this.memory.reload();
  }
}
