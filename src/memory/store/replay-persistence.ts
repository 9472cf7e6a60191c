/** What the persistent replay memory needs from its project store: the one interface between the two. */
import type { ReplayMemoryState } from '../replay-memory';
import type { LogitsTable, ReplayPack } from '../pack';
import type { MemorySample } from '../types';

/** Replay-memory changes to persist: rows to write (upsert, keeping thumbnail and source) and ids to delete, plus the policy state. */
export interface BufferCommit {
  put: MemorySample[];
  delete: string[];
  state: ReplayMemoryState;
  /** The memory's packed snapshot after these changes (stored stamped with the round); absent: the stored pack is invalidated. */
  pack?: ReplayPack;
  /**
   * Every member's current logits after these changes (replaces the stored table). Absent: the stored table
   * forgets the ids in `put`, whose rows are current.
   */
  logits?: LogitsTable;
}

/**
 * Storage of a replay memory's members and policy state. `ProjectStore` implements it over the project's
 * `samples` (replay = 1) and `meta` stores; `IdbReplayMemory` reads and writes only through it, so the memory
 * never sees the database and the store never reaches into the memory's internals.
 */
export interface ReplayPersistence {
  /** The members from the packed snapshot, when one is stored for the committed round and holds exactly the members; null otherwise. */
  readPackedMembers(): Promise<MemorySample[] | null>;
  /** Every member row (current logits from the logits table folded in); stores a fresh packed snapshot for the next load. */
  readMemberRows(): Promise<MemorySample[]>;
  /** The stored policy state, if any. */
  readBufferState(): Promise<ReplayMemoryState | undefined>;
  /** Saves the policy state alone (members already stored). */
  saveBufferState(state: ReplayMemoryState): Promise<void>;
  /** Writes member changes and the policy state in one transaction; nothing is written on failure. */
  writeBufferChanges(change: BufferCommit): Promise<void>;
  /**
   * Stores the packed snapshot in a meta-only transaction with relaxed durability. The transaction is opened
   * before this returns, so it is ordered before any write issued after the call.
   */
  writePack(pack: ReplayPack): Promise<void>;
  /** Runs `write`; on a full disk frees space by the memory's policy and retries once (then `StorageFullError`). */
  withQuotaRetry<T>(write: () => Promise<T>): Promise<T>;
}
