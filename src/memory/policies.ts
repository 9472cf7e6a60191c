/** The buffer policies: which samples a full replay memory keeps (reservoir, class-balanced, iCaRL herding). */
import { MemoryConfigError } from './errors';
import { randomInt } from './random';
import type { BufferLimits, BufferPolicy, SampleBuffer } from './buffer';
import type { BufferPolicyName, MemorySample, Random } from './types';

/**
 * Algorithm R (Vitter) over the whole stream: after `seen` offers, every sample ever offered is kept with the
 * same probability capacity/seen. `seen` is the state: persisting it keeps sampling uniform across sessions.
 * With a per-class quota (`perClass`), a class at its quota runs Algorithm R over its own stream instead (its
 * newcomer replaces one of its own members), so no class keeps more than its quota; the per-class counts are
 * then part of the state.
 */
export class ReservoirPolicy implements BufferPolicy {
  readonly name = 'reservoir' as const;
  /** Samples offered so far (the whole stream, across sessions once restored). */
  seen = 0;
  /** Samples offered per class, kept only under a per-class quota. */
  seenPerClass: Map<number, number> | null;

  /** A reservoir; `perClass` set: one that keeps a per-class quota. */
  constructor(perClass?: number) {
    this.seenPerClass = perClass === undefined ? null : new Map();
  }

  offer(buffer: SampleBuffer, incoming: readonly MemorySample[], rng: Random): void {
    const quota = buffer.classQuota();
    for (const s of incoming) {
      buffer.register(s);
      this.seen++;
      const seenInClass = (this.seenPerClass?.get(s.label) ?? 0) + 1;
      this.seenPerClass?.set(s.label, seenInClass);
      buffer.enforceCapacity(rng);
      const own = buffer.classCount(s.label);
      if (own >= quota) {
        const j = randomInt(rng, seenInClass);
        if (j < own) {
          buffer.evict(buffer.memberAt(s.label, j).id!);
          buffer.insert(s);
        }
        continue;
      }
      const cap = buffer.capacity();
      if (buffer.size() < cap) {
        buffer.insert(s);
        continue;
      }
      const j = randomInt(rng, this.seen);
      if (j < cap) {
        buffer.evict(buffer.at(j).id!);
        buffer.insert(s);
      }
    }
  }

  evictOne(buffer: SampleBuffer, rng: Random): void {
    buffer.evict(buffer.at(randomInt(rng, buffer.size())).id!);
  }

  forget(): void {}

  exportState(): Record<string, unknown> {
    if (!this.seenPerClass) return { seen: this.seen };
    return { seen: this.seen, seenPerClass: [...this.seenPerClass.entries()].sort((a, b) => a[0] - b[0]) };
  }

  importState(state: Record<string, unknown>): void {
    const seen = state.seen;
    if (!Number.isInteger(seen) || (seen as number) < 0) throw new MemoryConfigError(`reservoir state: bad seen count ${String(seen)}`);
    const perClass = state.seenPerClass === undefined ? null : classCounts(state.seenPerClass, 'reservoir');
    this.seen = seen as number;
    if (this.seenPerClass) this.seenPerClass = perClass ?? new Map();
  }

  reset(): void {
    this.seen = 0;
    this.seenPerClass?.clear();
  }

  /** A state saved without per-class counts: each class has been offered at least what it keeps. */
  reconcile(buffer: SampleBuffer): void {
    if (!this.seenPerClass) return;
    for (const c of buffer.presentClasses()) {
      this.seenPerClass.set(c, Math.max(this.seenPerClass.get(c) ?? 0, buffer.classCount(c)));
    }
  }
}

/** Reads `[class, count]` pairs of a policy state. */
function classCounts(entries: unknown, policy: string): Map<number, number> {
  if (!Array.isArray(entries)) throw new MemoryConfigError(`${policy} state: seenPerClass missing`);
  const map = new Map<number, number>();
  for (const e of entries) {
    if (!Array.isArray(e) || !Number.isInteger(e[0]) || !Number.isInteger(e[1]))
      throw new MemoryConfigError(`${policy} state: bad seenPerClass entry`);
    map.set(e[0], e[1]);
  }
  return map;
}

/**
 * Equal share per class (counts differ by at most 1 once every class has offered enough): while a newcomer's
 * class holds fewer than the largest class, a random sample of a largest class makes room for it; a class at the
 * top, or at its quota (`perClass`), keeps a uniform random subset of its own stream (reservoir within class).
 */
export class ClassBalancedBuffer implements BufferPolicy {
  readonly name = 'class-balanced' as const;
  /** Samples offered per class (the within-class reservoir's stream length). */
  seenPerClass = new Map<number, number>();

  offer(buffer: SampleBuffer, incoming: readonly MemorySample[], rng: Random): void {
    for (const s of incoming) {
      buffer.register(s);
      const c = s.label;
      const seen = (this.seenPerClass.get(c) ?? 0) + 1;
      this.seenPerClass.set(c, seen);
      buffer.enforceCapacity(rng);
      const cap = buffer.capacity();
      if (cap === 0) continue;
      const own = buffer.classCount(c);
      if (own >= buffer.classQuota()) {
        // At its quota a class never takes room from the others, however much room they leave.
        const j = randomInt(rng, seen);
        if (j < own) {
          buffer.evict(buffer.memberAt(c, j).id!);
          buffer.insert(s);
        }
        continue;
      }
      if (buffer.size() < cap) {
        buffer.insert(s);
        continue;
      }
      const largest = buffer.largestClasses();
      const maxCount = buffer.classCount(largest[0]);
      if (own < maxCount) {
        // Rebalance: the newcomer's class is below the top, so the top pays.
        const victimClass = largest[randomInt(rng, largest.length)];
        buffer.evict(buffer.randomMember(victimClass, rng).id!);
        buffer.insert(s);
      } else {
        const j = randomInt(rng, seen);
        if (j < own) {
          buffer.evict(buffer.memberAt(c, j).id!);
          buffer.insert(s);
        }
      }
    }
  }

  evictOne(buffer: SampleBuffer, rng: Random): void {
    const largest = buffer.largestClasses();
    const victimClass = largest[randomInt(rng, largest.length)];
    buffer.evict(buffer.randomMember(victimClass, rng).id!);
  }

  forget(): void {}

  exportState(): Record<string, unknown> {
    return { seenPerClass: [...this.seenPerClass.entries()].sort((a, b) => a[0] - b[0]) };
  }

  importState(state: Record<string, unknown>): void {
    this.seenPerClass = classCounts(state.seenPerClass, 'class-balanced');
  }

  reset(): void {
    this.seenPerClass.clear();
  }
}

/**
 * iCaRL herding: greedily picks `m` of `candidates` so that the running mean of the picked vectors stays as
 * close as possible (Euclidean) to `target`. Returns the candidates' indices in pick order (no repeats).
 */
export function herdingSelect(candidates: readonly Float32Array[], target: Float64Array | Float32Array, m: number): number[] {
  const n = candidates.length;
  const d = target.length;
  const k = Math.min(m, n);
  const picked: number[] = [];
  if (k === 0) return picked;
  // dist^2(mean of picked + x) = |mu|^2 - 2 mu.(S+x)/(t) + |S+x|^2/t^2 with t = picks+1, S = sum of picked:
  // keep mu.x, |x|^2 and S.x per candidate so each step costs one dot product per candidate.
  const muX = new Float64Array(n);
  const xx = new Float64Array(n);
  const sx = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = candidates[i];
    let a = 0;
    let b = 0;
    for (let j = 0; j < d; j++) {
      a += target[j] * x[j];
      b += x[j] * x[j];
    }
    muX[i] = a;
    xx[i] = b;
  }
  let muS = 0;
  let ss = 0;
  const taken = new Uint8Array(n);
  for (let step = 0; step < k; step++) {
    const t = step + 1;
    let best = -1;
    let bestScore = Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      // |mu|^2 is the same for every candidate: leave it out.
      const score = (-2 * (muS + muX[i])) / t + (ss + 2 * sx[i] + xx[i]) / (t * t);
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    taken[best] = 1;
    picked.push(best);
    muS += muX[best];
    ss += 2 * sx[best] + xx[best];
    const xb = candidates[best];
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      const x = candidates[i];
      let dot = 0;
      for (let j = 0; j < d; j++) dot += xb[j] * x[j];
      sx[i] += dot;
    }
  }
  return picked;
}

/** Per-class quotas: capacity split as evenly as possible (lower class ids get the remainder). */
export function classQuotas(capacity: number, classes: readonly number[]): Map<number, number> {
  const sorted = [...classes].sort((a, b) => a - b);
  const quotas = new Map<number, number>();
  if (sorted.length === 0) return quotas;
  const cap = Number.isFinite(capacity) ? capacity : Number.MAX_SAFE_INTEGER;
  const base = Math.floor(cap / sorted.length);
  const rest = cap - base * sorted.length;
  sorted.forEach((c, i) => quotas.set(c, base + (i < rest ? 1 : 0)));
  return quotas;
}

/**
 * iCaRL exemplar selection: each class keeps its quota of samples chosen by herding towards the mean of every
 * sample of that class offered so far (`sample.x` is the feature vector: the frozen backbone's embedding in the
 * app). When quotas shrink (new classes), each class keeps its first-picked exemplars (herding order).
 */
export class HerdingSelector implements BufferPolicy {
  readonly name = 'herding' as const;
  /** Kept ids of each class in herding (pick) order. */
  order = new Map<number, string[]>();
  /** Running sum and count of every offered feature vector per class (the herding target is their mean). */
  sums = new Map<number, Float64Array>();
  counts = new Map<number, number>();

  offer(buffer: SampleBuffer, incoming: readonly MemorySample[], rng: Random): void {
    const byClass = new Map<number, MemorySample[]>();
    for (const s of incoming) {
      buffer.register(s);
      let list = byClass.get(s.label);
      if (!list) byClass.set(s.label, (list = []));
      list.push(s);
      let sum = this.sums.get(s.label);
      if (!sum) this.sums.set(s.label, (sum = new Float64Array(s.x.length)));
      for (let j = 0; j < s.x.length; j++) sum[j] += s.x[j];
      this.counts.set(s.label, (this.counts.get(s.label) ?? 0) + 1);
    }
    // Never above `perClass`: the capacity is at most perClass x classes seen.
    const quotas = classQuotas(buffer.capacity(), buffer.classesSeen());
    // Shrink the untouched classes first (keeping their herding prefix), then re-herd the offered classes.
    for (const [c, ids] of this.order) if (!byClass.has(c)) this.truncate(buffer, c, ids, quotas.get(c) ?? 0);
    for (const [c, fresh] of byClass) {
      const kept = (this.order.get(c) ?? []).map((id) => buffer.get(id)!);
      const pool = [...kept, ...fresh];
      const count = this.counts.get(c)!;
      const target = this.sums.get(c)!.map((v) => v / count);
      const picks = herdingSelect(
        pool.map((s) => s.x),
        target,
        quotas.get(c) ?? 0,
      );
      const chosen = new Set(picks);
      for (let i = 0; i < kept.length; i++) if (!chosen.has(i)) buffer.evict(kept[i].id!);
      const newOrder: string[] = [];
      for (const i of picks) {
        if (i >= kept.length) buffer.insert(pool[i]);
        newOrder.push(pool[i].id!);
      }
      if (newOrder.length > 0) this.order.set(c, newOrder);
      else this.order.delete(c);
    }
    buffer.enforceCapacity(rng);
  }

  private truncate(buffer: SampleBuffer, c: number, ids: string[], quota: number): void {
    while (ids.length > quota) buffer.evict(ids[ids.length - 1]);
  }

  evictOne(buffer: SampleBuffer): void {
    const largest = buffer.largestClasses();
    const ids = this.order.get(largest[0])!;
    buffer.evict(ids[ids.length - 1]);
  }

  forget(sample: MemorySample): void {
    const ids = this.order.get(sample.label);
    if (!ids) return;
    const i = ids.lastIndexOf(sample.id!);
    if (i >= 0) ids.splice(i, 1);
    if (ids.length === 0) this.order.delete(sample.label);
  }

  exportState(): Record<string, unknown> {
    // Sorted by class so equal states export equally, whatever order the maps were filled in.
    const byClass = <T>(m: Map<number, T>) => [...m.entries()].sort((a, b) => a[0] - b[0]);
    return {
      order: byClass(this.order).map(([c, ids]) => [c, [...ids]]),
      sums: byClass(this.sums).map(([c, s]) => [c, Array.from(s)]),
      counts: byClass(this.counts),
    };
  }

  importState(state: Record<string, unknown>): void {
    const { order, sums, counts } = state as { order?: unknown; sums?: unknown; counts?: unknown };
    if (!Array.isArray(order) || !Array.isArray(sums) || !Array.isArray(counts))
      throw new MemoryConfigError('herding state: order, sums and counts are required');
    this.order = new Map(order.map(([c, ids]: [number, string[]]) => [c, [...ids]]));
    this.sums = new Map(sums.map(([c, s]: [number, number[]]) => [c, Float64Array.from(s)]));
    this.counts = new Map(counts as [number, number][]);
  }

  reset(): void {
    this.order.clear();
    this.sums.clear();
    this.counts.clear();
  }

  reconcile(buffer: SampleBuffer): void {
    // Drop ids no longer stored; samples the order does not know go last (least representative).
    const order = new Map<number, string[]>();
    for (const c of buffer.presentClasses()) {
      const known = (this.order.get(c) ?? []).filter((id) => buffer.has(id) && buffer.get(id)!.label === c);
      const seen = new Set(known);
      for (const s of buffer.members(c)) if (!seen.has(s.id!)) known.push(s.id!);
      order.set(c, known);
      if (!this.sums.has(c)) {
        const sum = new Float64Array(buffer.dim ?? 0);
        for (const s of buffer.members(c)) for (let j = 0; j < sum.length; j++) sum[j] += s.x[j];
        this.sums.set(c, sum);
        this.counts.set(c, buffer.classCount(c));
      }
    }
    this.order = order;
  }
}

/** Creates the policy object for a policy name and the memory's limits (a per-class quota changes reservoir's state). */
export function createPolicy(name: BufferPolicyName, limits: BufferLimits = {}): BufferPolicy {
  switch (name) {
    case 'reservoir':
      return new ReservoirPolicy(limits.perClass);
    case 'class-balanced':
      return new ClassBalancedBuffer();
    case 'herding':
      return new HerdingSelector();
    default:
      throw new MemoryConfigError(`unknown buffer policy ${String(name)}`);
  }
}
