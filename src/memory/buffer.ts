/** The kept samples of a replay memory (policy-agnostic, with a change journal) and the `BufferPolicy` contract. */
import { MemoryConfigError } from './errors';
import type { MemorySample, Random } from './types';
import { randomInt } from './random';

/** Size limits of a replay buffer; at least one is required, the tightest wins. */
export interface BufferLimits {
  /** Fixed maximum number of samples. */
  capacity?: number;
  /**
   * Samples kept per class, for every policy: no class ever keeps more (each class a uniform subset of its own
   * stream under reservoir and class-balanced, its herding picks under herding), and the capacity grows as
   * classes arrive (the paper's "100 per class").
   */
  perClass?: number;
  /** Byte budget for x + logits of every kept sample. */
  maxBytes?: number;
}

/** What one operation changed: samples now kept that were not, and samples no longer kept. */
export interface BufferChange {
  added: MemorySample[];
  evicted: MemorySample[];
}

/** Decides which samples a bounded buffer keeps. Policies mutate the buffer only through its insert/evict. */
export interface BufferPolicy {
  readonly name: 'reservoir' | 'class-balanced' | 'herding';
  /** Offers validated samples; the policy inserts or evicts to stay within `buffer.capacity()`. */
  offer(buffer: SampleBuffer, incoming: readonly MemorySample[], rng: Random): void;
  /** Evicts one sample when the buffer must shrink (budget lowered, logits grew). */
  evictOne(buffer: SampleBuffer, rng: Random): void;
  /** Called by the buffer for every evicted sample, whoever evicted it. */
  forget(sample: MemorySample): void;
  /** The policy's own state (JSON-serialisable) so a restored buffer keeps sampling as if never stopped. */
  exportState(): Record<string, unknown>;
  /** Restores what `exportState()` returned. */
  importState(state: Record<string, unknown>): void;
  /** Forgets everything. */
  reset(): void;
  /** After a restore: makes the policy's bookkeeping agree with the samples actually loaded. */
  reconcile?(buffer: SampleBuffer): void;
}

interface Entry {
  sample: MemorySample;
  globalPos: number;
  classPos: number;
  bytes: number;
}

/** Bytes a sample costs in the budget: its x and its logits. */
export function sampleBytes(s: MemorySample): number {
  return s.x.byteLength + (s.logits ? s.logits.byteLength : 0);
}

/** Checks limits: non-negative integers, at least one given. */
export function validateLimits(limits: BufferLimits): void {
  const { capacity, perClass, maxBytes } = limits;
  for (const [name, v] of [
    ['capacity', capacity],
    ['perClass', perClass],
    ['maxBytes', maxBytes],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0))
      throw new MemoryConfigError(`${name} must be a non-negative integer, got ${v}`);
  }
  if (capacity === undefined && perClass === undefined && maxBytes === undefined)
    throw new MemoryConfigError('give at least one of capacity, perClass, maxBytes');
}

/**
 * The kept samples with O(1) insert, evict, lookup by id and per-class access, and a journal of changes
 * (what write-through storage must persist). Policy-agnostic: the policy decides, the buffer records.
 */
export class SampleBuffer {
  private entries: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  private readonly byClass = new Map<number, Entry[]>();
  private readonly seenClasses = new Set<number>();
  private journalAdded = new Map<string, { sample: MemorySample; fresh: boolean }>();
  private journalEvicted = new Map<string, MemorySample>();
  /** Width of x, fixed by the first sample ever kept. */
  dim: number | null = null;
  /** Largest per-sample byte cost seen: the byte budget is turned into a sample count with it. */
  maxSampleBytes = 0;
  /** Sum of the kept samples' byte costs. */
  totalBytes = 0;

  constructor(
    readonly limits: BufferLimits,
    readonly policy: BufferPolicy,
  ) {
    validateLimits(limits);
  }

  /** Current maximum number of samples (depends on the classes seen and the byte size of samples). */
  capacity(): number {
    const { capacity, perClass, maxBytes } = this.limits;
    let cap = Infinity;
    if (capacity !== undefined) cap = Math.min(cap, capacity);
    if (perClass !== undefined) cap = Math.min(cap, perClass * this.seenClasses.size);
    if (maxBytes !== undefined && this.maxSampleBytes > 0) cap = Math.min(cap, Math.floor(maxBytes / this.maxSampleBytes));
    return cap;
  }

  /** Most samples one class may keep (`perClass`; Infinity when not set). */
  classQuota(): number {
    return this.limits.perClass ?? Infinity;
  }

  /** Notes that a sample of this class and size was offered (classes seen drive `perClass` capacity). */
  register(s: MemorySample): void {
    this.seenClasses.add(s.label);
    const b = sampleBytes(s);
    if (b > this.maxSampleBytes) this.maxSampleBytes = b;
  }

  /** Classes ever offered (ascending). */
  classesSeen(): number[] {
    return [...this.seenClasses].sort((a, b) => a - b);
  }

  size(): number {
    return this.entries.length;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): MemorySample | undefined {
    return this.byId.get(id)?.sample;
  }

  /** The i-th kept sample (arbitrary but stable order between changes). */
  at(i: number): MemorySample {
    return this.entries[i].sample;
  }

  /** Samples of one class. */
  members(label: number): readonly MemorySample[] {
    const list = this.byClass.get(label);
    return list ? list.map((e) => e.sample) : [];
  }

  /** Number of kept samples of one class. */
  classCount(label: number): number {
    return this.byClass.get(label)?.length ?? 0;
  }

  /** The j-th kept sample of a class. */
  memberAt(label: number, j: number): MemorySample {
    return this.byClass.get(label)![j].sample;
  }

  /** Labels present now, ascending. */
  presentClasses(): number[] {
    return [...this.byClass.keys()].sort((a, b) => a - b);
  }

  /** Classes with the most kept samples. */
  largestClasses(): number[] {
    let max = 0;
    let out: number[] = [];
    for (const [label, list] of this.byClass) {
      if (list.length > max) {
        max = list.length;
        out = [label];
      } else if (list.length === max) out.push(label);
    }
    return out.sort((a, b) => a - b);
  }

  /** Every kept sample. */
  all(): MemorySample[] {
    return this.entries.map((e) => e.sample);
  }

  /** Keeps a (validated, id-carrying) sample. */
  insert(s: MemorySample): void {
    const id = s.id!;
    if (this.dim === null) this.dim = s.x.length;
    const entry: Entry = { sample: s, globalPos: this.entries.length, classPos: 0, bytes: sampleBytes(s) };
    this.entries.push(entry);
    let list = this.byClass.get(s.label);
    if (!list) {
      list = [];
      this.byClass.set(s.label, list);
    }
    entry.classPos = list.length;
    list.push(entry);
    this.byId.set(id, entry);
    this.totalBytes += entry.bytes;
    this.register(s);
    // `fresh`: not in storage before this operation (an id evicted then re-inserted is not fresh).
    this.journalAdded.set(id, { sample: s, fresh: !this.journalEvicted.has(id) });
    this.journalEvicted.delete(id);
  }

  /** Drops a kept sample by id (swap-remove: O(1)). */
  evict(id: string): MemorySample {
    const entry = this.byId.get(id);
    if (!entry) throw new Error(`evict: no sample ${id}`);
    const last = this.entries.pop()!;
    if (last !== entry) {
      this.entries[entry.globalPos] = last;
      last.globalPos = entry.globalPos;
    }
    const list = this.byClass.get(entry.sample.label)!;
    const lastInClass = list.pop()!;
    if (lastInClass !== entry) {
      list[entry.classPos] = lastInClass;
      lastInClass.classPos = entry.classPos;
    }
    if (list.length === 0) this.byClass.delete(entry.sample.label);
    this.byId.delete(id);
    this.totalBytes -= entry.bytes;
    this.policy.forget(entry.sample);
    const added = this.journalAdded.get(id);
    this.journalAdded.delete(id);
    // A sample added in this same operation never reached storage: nothing to delete there.
    if (!added?.fresh) this.journalEvicted.set(id, entry.sample);
    return entry.sample;
  }

  /** Swaps a kept sample's object for an updated one with the same id and label (new logits). */
  replaceSample(s: MemorySample): void {
    const entry = this.byId.get(s.id!)!;
    const bytes = sampleBytes(s);
    this.totalBytes += bytes - entry.bytes;
    entry.bytes = bytes;
    entry.sample = s;
    this.register(s);
    // Persisted as a put of the new object.
    this.journalAdded.set(s.id!, { sample: s, fresh: this.journalAdded.get(s.id!)?.fresh ?? false });
  }

  /** Evicts by the policy until the buffer fits its capacity. */
  enforceCapacity(rng: Random): void {
    const cap = this.capacity();
    while (this.entries.length > cap) this.policy.evictOne(this, rng);
  }

  /** Returns and clears the journal of changes since the last call. */
  takeChanges(): BufferChange {
    const change: BufferChange = {
      added: [...this.journalAdded.values()].map((a) => a.sample),
      evicted: [...this.journalEvicted.values()],
    };
    this.journalAdded = new Map();
    this.journalEvicted = new Map();
    return change;
  }

  /** Drops every sample and forgets the classes seen (the policy is reset by its owner). */
  clear(): void {
    this.entries = [];
    this.byId.clear();
    this.byClass.clear();
    this.seenClasses.clear();
    this.journalAdded = new Map();
    this.journalEvicted = new Map();
    this.dim = null;
    this.maxSampleBytes = 0;
    this.totalBytes = 0;
  }

  /** Marks classes as seen (restoring state). */
  restoreSeen(classes: readonly number[], maxSampleBytes: number): void {
    for (const c of classes) this.seenClasses.add(c);
    this.maxSampleBytes = Math.max(this.maxSampleBytes, maxSampleBytes);
  }

  /** A uniformly random kept sample of `label`. */
  randomMember(label: number, rng: Random): MemorySample {
    const list = this.byClass.get(label)!;
    return list[randomInt(rng, list.length)].sample;
  }
}
