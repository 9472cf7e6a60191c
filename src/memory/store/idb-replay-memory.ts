/** The project's replay memory: members in RAM for fast sampling, persisted through a `ReplayPersistence`. */
import type { BufferChange } from '../buffer';
import { isQuotaError } from '../errors';
import { InMemoryReplayMemory, type ReplayMemoryOptions } from '../replay-memory';
import { seededRandom } from '../random';
import { logitsTableOf, packSamples } from '../pack';
import type { MemorySample, Random } from '../types';
import type { BufferCommit, ReplayPersistence } from './replay-persistence';

/** Options of the persistent replay memory. */
export interface IdbReplayMemoryOptions extends ReplayMemoryOptions {
  /**
   * `through` (default): every add/update/eviction is written before the call resolves.
   * `deferred`: changes wait in RAM and are written atomically with the round by
   * `ProjectStore.commitRound({ bufferChanges: memory, ... })` (what the app should use: no half rounds).
   */
  writeMode?: 'through' | 'deferred';
}

/**
 * The replay memory of a project: samples live in RAM (fast synchronous `sample()`) and in the project's
 * `samples` store (replay = 1); the policy state (reservoir count, herding order...) in meta, both reached only
 * through the store's `ReplayPersistence`. Created by `ProjectStore.openReplayMemory()`.
 */
export class IdbReplayMemory extends InMemoryReplayMemory {
  private readonly pendingPut = new Map<string, MemorySample>();
  private readonly pendingDelete = new Set<string>();
  /** Stored members' logits changed (written as the logits table, not as row rewrites). */
  private logitsDirty = false;
  private packWrite: Promise<void> = Promise.resolve();
  /** Reloads begun so far: a pack write asked before one is dropped (see `writePackSoon`). */
  private reloads = 0;
  /** The write mode chosen at open. */
  readonly writeMode: 'through' | 'deferred';
  private readonly evictRng = seededRandom(0x5eed);

  private constructor(
    private readonly persistence: ReplayPersistence,
    private readonly options: IdbReplayMemoryOptions,
  ) {
    super(options);
    this.writeMode = options.writeMode ?? 'through';
  }

  /** Loads the memory's members and policy state from the project (use `ProjectStore.openReplayMemory`). */
  static async load(persistence: ReplayPersistence, options: IdbReplayMemoryOptions): Promise<IdbReplayMemory> {
    const mem = new IdbReplayMemory(persistence, options);
    await mem.reload();
    return mem;
  }

  /** Re-reads members and state from the database, dropping unsaved changes. */
  async reload(): Promise<void> {
    this.reloads++;
    const samples = (await this.persistence.readPackedMembers()) ?? (await this.persistence.readMemberRows());
    // Canonical order (by id) whichever path loaded them: positions drive the policies' random choices, so a
    // reload continues identically from the pack or from the rows.
    samples.sort((a, b) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0));
    const state = await this.persistence.readBufferState();
    this.pendingPut.clear();
    this.pendingDelete.clear();
    this.logitsDirty = false;
    if (state && state.format === 'retain-replay-memory' && state.policy === this.policy) {
      this.restore(samples, state);
      // The limits may have been lowered since: evict by the policy and persist.
      const change = this.shrinkToFit(this.evictRng);
      if (change.evicted.length > 0) await this.persistIfPossible(change);
    } else {
      // No state (first open, or the policy changed): rebuild by offering the stored members in arrival order.
      await super.clear();
      samples.sort((a, b) => a.task - b.task || (a.id! < b.id! ? -1 : 1));
      const change = this.offer(samples, this.evictRng);
      if (samples.length > 0 || state) await this.persistIfPossible(change);
    }
  }

  /**
   * Writes what loading changed (a rebuilt or shrunk memory). Opening must work on a full disk, so a quota
   * failure only leaves the changes pending: the next round commits them (deferred) or the next write (through).
   */
  private async persistIfPossible(change: BufferChange): Promise<void> {
    try {
      await this.persist(change, true, false);
    } catch (e) {
      if (!isQuotaError(e)) throw e;
    }
  }

  /** Offers samples; written through (or kept pending in deferred mode). Bad input changes nothing. */
  override async add(samples: MemorySample[], rng: Random): Promise<void> {
    const change = this.offer(samples, rng);
    await this.persist(change);
  }

  /** Replaces stored logits; larger logits may evict by the byte budget. */
  override async updateLogits(ids: readonly string[], logits: readonly Float32Array[]): Promise<void> {
    const change = this.applyLogits(ids, logits, this.evictRng);
    // A stored member whose logits alone changed is not rewritten: the logits table carries its new logits.
    // Members not stored yet (pending) are written whole with theirs.
    const updated = new Set(ids);
    const rowWrites = change.added.filter((s) => !updated.has(s.id!) || this.pendingPut.has(s.id!));
    if (rowWrites.length < change.added.length) this.logitsDirty = true;
    await this.persist({ added: rowWrites, evicted: change.evicted });
  }

  /** Drops every member (their rows are deleted) and the policy state. */
  override async clear(): Promise<void> {
    const ids = this.all().map((s) => s.id!);
    await super.clear();
    this.pendingPut.clear();
    this.pendingDelete.clear();
    this.logitsDirty = false;
    await this.persist({ added: [], evicted: ids.map((id) => ({ id, x: new Float32Array(0), label: 0, task: 0 })) }, true);
  }

  /** Changes not yet written (deferred mode); with `withPack`, also the packed snapshot of every member. */
  pendingChanges(withPack = false): BufferCommit {
    const commit: BufferCommit = {
      put: [...this.pendingPut.values()],
      delete: [...this.pendingDelete],
      state: this.exportState(),
      logits: logitsTableOf(this.all()),
    };
    if (withPack) commit.pack = packSamples(this.all());
    return commit;
  }

  /** Whether there are unwritten changes. */
  hasPendingChanges(): boolean {
    return this.pendingPut.size > 0 || this.pendingDelete.size > 0 || this.logitsDirty;
  }

  /** Called by `ProjectStore.commitRound` once the pending changes are in the database. */
  markCommitted(): void {
    this.pendingPut.clear();
    this.pendingDelete.clear();
    this.logitsDirty = false;
  }

  /**
   * Writes the packed snapshot in its own transaction a little later (after a round, which left the stored one
   * stale), off the user's wait: serialising megabytes blocks this thread for tens of milliseconds. The snapshot is
   * taken only when nothing is pending and no reload began since this was asked: then the database holds exactly
   * the members in RAM, at the round the store knows, and any later change is ordered after this write and makes
   * the pack stale again. The transaction covers `meta` only, so reads of classes and samples never queue behind
   * it. A failure (the store closed, a full disk) only means the next load reads the rows.
   */
  writePackSoon(delayMs = 400): void {
    const generation = this.reloads;
    this.packWrite = this.packWrite.then(
      () =>
        new Promise<void>((resolve) => {
          setTimeout(() => {
            try {
              // A reload (an import, a failed round) began since: RAM and the store's round may be mid-change.
              if (generation !== this.reloads) return resolve();
              const all = this.all();
              if (this.hasPendingChanges() || new Set(all.map((s) => s.x.length)).size > 1) return resolve();
              this.persistence.writePack(packSamples(all)).then(resolve, () => resolve());
            } catch {
              resolve();
            }
          }, delayMs);
        }),
    );
  }

  /** Resolves when the packed snapshot scheduled by `writePackSoon()` is written (or given up). */
  packed(): Promise<void> {
    return this.packWrite;
  }

  /** Writes pending changes now, in their own transaction, with a fresh packed snapshot (fast next load). */
  async flush(): Promise<void> {
    await this.persist({ added: [], evicted: [] }, true, true, true);
  }

  /** Drops samples the user deleted from the project (rows already gone) and saves the policy state. */
  async forgetDeleted(ids: readonly string[]): Promise<void> {
    const present = ids.filter((id) => this.has(id));
    if (present.length === 0) return;
    this.remove(present);
    for (const id of present) this.pendingPut.delete(id);
    await this.persistence.saveBufferState(this.exportState());
  }

  /**
   * Storage is full: evicts about a tenth of the members by the policy, in RAM only. The evictions join the
   * pending changes, so they are written by the retried write that needs the space (in its transaction) or
   * dropped by `reload()` if that fails too: a failed write never leaves an eviction behind. Returns the count.
   */
  evictForSpace(): number {
    if (this.size() === 0) return 0;
    const count = Math.max(1, Math.ceil(this.size() / 10));
    const change = this.evictByPolicy(count, this.evictRng);
    for (const s of change.evicted) {
      this.pendingPut.delete(s.id!);
      this.pendingDelete.add(s.id!);
    }
    return change.evicted.length;
  }

  private async persist(change: BufferChange, force = false, reloadOnError = true, withPack = false): Promise<void> {
    for (const s of change.evicted) {
      this.pendingPut.delete(s.id!);
      this.pendingDelete.add(s.id!);
    }
    for (const s of change.added) {
      this.pendingDelete.delete(s.id!);
      this.pendingPut.set(s.id!, s);
    }
    if (this.writeMode === 'deferred' && !force) return;
    if (!this.hasPendingChanges() && !force) return;
    try {
      await this.persistence.withQuotaRetry(() => this.persistence.writeBufferChanges(this.pendingChanges(withPack)));
      this.markCommitted();
    } catch (e) {
      // RAM is ahead of the database: return to what is stored, then report.
      if (reloadOnError) await this.reload();
      throw e;
    }
  }
}
