/** The replay memory held in RAM: a bounded buffer whose policy decides what is kept, with seeded choices only. */
import { SampleBuffer, type BufferChange, type BufferLimits, validateLimits } from './buffer';
import { MemoryConfigError, MemoryInputError } from './errors';
import { createPolicy } from './policies';
import { randomInt, seededRandom } from './random';
import type { BufferPolicyName, MemorySample, Random, ReplayMemory } from './types';
import { isFloat32Array, validateCount, validateSamples } from './validate';

/** Options of a replay memory: the policy and its limits (at least one of capacity, perClass, maxBytes). */
export interface ReplayMemoryOptions extends BufferLimits {
  policy: BufferPolicyName;
  /**
   * Seed of the choices the memory makes without a caller's generator (evictions when `updateLogits` makes
   * samples larger under a byte budget), so runs repeat exactly. Default 0x5eed.
   */
  seed?: number;
}

/** Everything needed to resume a memory's sampling exactly (JSON-serialisable; the samples are stored apart). */
export interface ReplayMemoryState {
  format: 'retain-replay-memory';
  version: 1;
  policy: BufferPolicyName;
  limits: BufferLimits;
  /** Classes ever offered (they set a `perClass` capacity). */
  classesSeen: number[];
  /** Largest byte cost of one sample seen (turns `maxBytes` into a count). */
  maxSampleBytes: number;
  /** The policy's own state: reservoir seen-count, per-class seen-counts, herding order and class sums. */
  policyState: Record<string, unknown>;
}

let idCounter = 0;
/** A new unique sample id. */
export function newSampleId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  idCounter++;
  return `s${Date.now().toString(36)}-${idCounter.toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** A private copy of a sample, with an id: callers may reuse their arrays after `add()`. */
function ownedCopy(s: MemorySample): MemorySample {
  const copy: MemorySample = { id: s.id ?? newSampleId(), x: s.x.slice(), label: s.label, task: s.task };
  if (s.logits) copy.logits = s.logits.slice();
  return copy;
}

/**
 * A bounded replay memory held in RAM: the buffer policy (reservoir, class-balanced or herding) decides what is
 * kept; `sample()` is synchronous and O(n) so it can run every training batch.
 */
export class InMemoryReplayMemory implements ReplayMemory {
  protected readonly buffer: SampleBuffer;
  /** The memory's own seeded generator (see `ReplayMemoryOptions.seed`). */
  private readonly ownRandom: Random;

  /** Creates an empty memory; throws `MemoryConfigError` on negative or missing limits or an unknown policy. */
  constructor(options: ReplayMemoryOptions) {
    if (!options || typeof options !== 'object') throw new MemoryConfigError('options are required');
    validateLimits(options);
    if (options.seed !== undefined && !Number.isInteger(options.seed))
      throw new MemoryConfigError(`seed must be an integer, got ${String(options.seed)}`);
    const limits = { capacity: options.capacity, perClass: options.perClass, maxBytes: options.maxBytes };
    this.buffer = new SampleBuffer(limits, createPolicy(options.policy, limits));
    this.ownRandom = seededRandom(options.seed ?? 0x5eed);
  }

  /** The policy that decides what a full memory keeps. */
  get policy(): BufferPolicyName {
    return this.buffer.policy.name;
  }

  /** Maximum number of samples now (grows with classes when `perClass` is set; Infinity before any sample when only `maxBytes` is set). */
  get capacity(): number {
    return this.buffer.capacity();
  }

  /** The limits this memory was created with. */
  get limits(): BufferLimits {
    return { ...this.buffer.limits };
  }

  /** Offers samples (copied; ids assigned when absent). Validates the whole batch first: bad input changes nothing. */
  async add(samples: MemorySample[], rng: Random): Promise<void> {
    this.offer(samples, rng);
  }

  /** Synchronous `add()` that returns what was kept and what was evicted (for write-through storage). */
  offer(samples: readonly MemorySample[], rng: Random): BufferChange {
    if (typeof rng !== 'function') throw new MemoryInputError('bad-count', 'add(samples, rng): rng must be a function');
    validateSamples(samples, this.buffer.dim, (id) => this.buffer.has(id));
    this.buffer.takeChanges();
    // The policy sees the caller's arrays (with ids); only the samples it keeps are copied, afterwards: a task of
    // 12,000 images is not copied whole for the policy to discard most of it.
    const incoming = samples.map((s) => (s.id === undefined ? { ...s, id: newSampleId() } : s));
    this.buffer.policy.offer(this.buffer, incoming, rng);
    const offered = new Set<MemorySample>(incoming);
    for (const kept of this.buffer.all()) if (offered.has(kept)) this.buffer.replaceSample(ownedCopy(kept));
    return this.buffer.takeChanges();
  }

  /** Draws `n` kept samples uniformly: distinct when n <= pool size, with replacement beyond. Only from `classes` when given. */
  sample(n: number, rng: Random, classes?: readonly number[]): MemorySample[] {
    validateCount(n);
    const buffer = this.buffer;
    let pool: number;
    let pick: (i: number) => MemorySample;
    if (classes === undefined) {
      pool = buffer.size();
      pick = (i) => buffer.at(i);
    } else {
      if (!Array.isArray(classes)) throw new MemoryInputError('bad-label', 'sample(): classes must be an array of labels');
      const wanted: number[] = [];
      for (const c of classes) {
        if (!Number.isInteger(c) || c < 0) throw new MemoryInputError('bad-label', `sample(): bad class ${String(c)}`);
        if (!wanted.includes(c) && buffer.classCount(c) > 0) wanted.push(c);
      }
      const ends: number[] = [];
      pool = 0;
      for (const c of wanted) ends.push((pool += buffer.classCount(c)));
      pick = (i) => {
        let k = 0;
        while (i >= ends[k]) k++;
        return buffer.memberAt(wanted[k], i - (k === 0 ? 0 : ends[k - 1]));
      };
    }
    const out: MemorySample[] = [];
    if (pool === 0 || n === 0) return out;
    if (n > pool) {
      for (let i = 0; i < n; i++) out.push(pick(randomInt(rng, pool)));
      return out;
    }
    // Floyd's algorithm: n distinct indices in O(n).
    const chosen = new Set<number>();
    for (let j = pool - n; j < pool; j++) {
      const t = randomInt(rng, j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    for (const i of chosen) out.push(pick(i));
    return out;
  }

  /** Number of samples kept now. */
  size(): number {
    return this.buffer.size();
  }

  /** Labels present now, ascending. */
  classes(): number[] {
    return this.buffer.presentClasses();
  }

  /** Every kept sample (do not mutate). */
  all(): readonly MemorySample[] {
    return this.buffer.all();
  }

  /** A kept sample by id. */
  get(id: string): MemorySample | undefined {
    return this.buffer.get(id);
  }

  /** Whether a sample id is kept. */
  has(id: string): boolean {
    return this.buffer.has(id);
  }

  /** Bytes of x + logits kept now. */
  bytes(): number {
    return this.buffer.totalBytes;
  }

  /** Width of x (fixed by the first sample), or null when nothing was ever kept. */
  get dim(): number | null {
    return this.buffer.dim;
  }

  /** Replaces stored logits (after a round). Unknown ids or non-finite logits throw and change nothing. */
  async updateLogits(ids: readonly string[], logits: readonly Float32Array[]): Promise<void> {
    this.applyLogits(ids, logits, this.ownRandom);
  }

  /** Synchronous `updateLogits()`; larger logits may shrink a byte budget, evicting by the policy with `rng`. */
  applyLogits(ids: readonly string[], logits: readonly Float32Array[], rng: Random): BufferChange {
    if (!Array.isArray(ids) || !Array.isArray(logits) || ids.length !== logits.length)
      throw new MemoryInputError('bad-logits', 'updateLogits(ids, logits): two arrays of the same length are required');
    for (let i = 0; i < ids.length; i++) {
      if (!this.buffer.has(ids[i])) throw new MemoryInputError('unknown-id', `updateLogits: no sample ${ids[i]}`);
      const l = logits[i];
      if (!isFloat32Array(l)) throw new MemoryInputError('bad-logits', `updateLogits: logits ${i} must be a Float32Array`);
      for (let j = 0; j < l.length; j++)
        if (!Number.isFinite(l[j])) throw new MemoryInputError('bad-logits', `updateLogits: logits ${i}[${j}] is ${l[j]}`);
    }
    this.buffer.takeChanges();
    for (let i = 0; i < ids.length; i++) {
      const old = this.buffer.get(ids[i])!;
      this.buffer.replaceSample({ ...old, logits: logits[i].slice() });
    }
    this.buffer.enforceCapacity(rng);
    return this.buffer.takeChanges();
  }

  /** Removes samples by id (the user deleted them); unknown ids throw and change nothing. */
  remove(ids: readonly string[]): BufferChange {
    for (const id of ids) if (!this.buffer.has(id)) throw new MemoryInputError('unknown-id', `remove: no sample ${id}`);
    this.buffer.takeChanges();
    for (const id of new Set(ids)) this.buffer.evict(id);
    return this.buffer.takeChanges();
  }

  /** Drops every sample and the policy's state. */
  async clear(): Promise<void> {
    this.buffer.clear();
    this.buffer.policy.reset();
  }

  /** The policy and buffer state to persist next to the samples. */
  exportState(): ReplayMemoryState {
    return {
      format: 'retain-replay-memory',
      version: 1,
      policy: this.policy,
      limits: this.limits,
      classesSeen: this.buffer.classesSeen(),
      maxSampleBytes: this.buffer.maxSampleBytes,
      policyState: structuredClone(this.buffer.policy.exportState()),
    };
  }

  /**
   * Replaces the contents with persisted samples and state (they must come from the same memory), so sampling
   * continues as if never stopped. Validates first; on error nothing changes.
   */
  restore(samples: readonly MemorySample[], state: ReplayMemoryState): void {
    if (!state || state.format !== 'retain-replay-memory' || state.version !== 1)
      throw new MemoryConfigError('restore: not a retain-replay-memory v1 state');
    if (state.policy !== this.policy)
      throw new MemoryConfigError(`restore: state is for policy ${state.policy}, this memory uses ${this.policy}`);
    for (const s of samples) if (typeof s.id !== 'string') throw new MemoryInputError('bad-id', 'restore: every sample needs its id');
    validateSamples(samples, null, () => false);
    // Import the policy state into a scratch policy first so a bad state leaves this memory untouched.
    const scratch = createPolicy(this.policy, this.buffer.limits);
    scratch.importState(state.policyState);
    this.buffer.clear();
    this.buffer.policy.reset();
    this.buffer.policy.importState(state.policyState);
    for (const s of samples) this.buffer.insert(s);
    this.buffer.restoreSeen(state.classesSeen, state.maxSampleBytes);
    this.buffer.policy.reconcile?.(this.buffer);
    this.buffer.takeChanges();
  }

  /** Evicts by the policy until the memory fits its (possibly lowered) limits; returns what was evicted. */
  shrinkToFit(rng: Random): BufferChange {
    this.buffer.takeChanges();
    this.buffer.enforceCapacity(rng);
    return this.buffer.takeChanges();
  }

  /** Evicts `count` samples chosen by the policy (to free storage); returns what was evicted. */
  evictByPolicy(count: number, rng: Random): BufferChange {
    this.buffer.takeChanges();
    for (let i = 0; i < count && this.buffer.size() > 0; i++) this.buffer.policy.evictOne(this.buffer, rng);
    return this.buffer.takeChanges();
  }
}
