import { describe, expect, it, vi } from 'vitest';
import {
  InMemoryReplayMemory,
  MemoryConfigError,
  MemoryInputError,
  herdingSelect,
  seededRandom,
  type MemorySample,
  type ReplayMemoryOptions,
} from '../../../src/memory';
import { chiSquarePValue, uniformityPValue } from './stats';

function sample(id: string, label: number, x: number[] | Float32Array, task = 0, logits?: number[]): MemorySample {
  const s: MemorySample = { id, label, task, x: x instanceof Float32Array ? x : Float32Array.from(x) };
  if (logits) s.logits = Float32Array.from(logits);
  return s;
}

/** A stream of `n` 2-d samples whose x[0] is the stream position. */
function stream(n: number, label: (i: number) => number = () => 0, offset = 0): MemorySample[] {
  return Array.from({ length: n }, (_, i) => sample(`s${offset + i}`, label(offset + i), [offset + i, 1]));
}

function snapshot(m: InMemoryReplayMemory): unknown {
  return {
    ids: m.all().map((s) => s.id).sort(),
    state: m.exportState(),
    bytes: m.bytes(),
    size: m.size(),
  };
}

describe('sanity of the chi-square helper', () => {
  it('matches known quantiles', () => {
    // chi2(9): 16.919 is the 95% quantile, 21.666 the 99%.
    expect(chiSquarePValue(16.919, 9)).toBeCloseTo(0.05, 3);
    expect(chiSquarePValue(21.666, 9)).toBeCloseTo(0.01, 3);
    expect(chiSquarePValue(3.841, 1)).toBeCloseTo(0.05, 3);
  });
});

describe('ReservoirPolicy (Algorithm R)', () => {
  const N = 2000;
  const K = 100;
  const TRIALS = 60;
  const BINS = 20;

  function binsOf(kept: readonly MemorySample[], counts: number[]): void {
    for (const s of kept) counts[Math.floor((s.x[0] / N) * BINS)]++;
  }

  it('keeps every position of a long stream with equal probability (chi-square, fixed seed)', async () => {
    const rng = seededRandom(12345);
    const counts = new Array(BINS).fill(0);
    for (let t = 0; t < TRIALS; t++) {
      const m = new InMemoryReplayMemory({ policy: 'reservoir', capacity: K });
      // Offer in uneven batches: batching must not matter.
      const all = stream(N);
      for (let i = 0; i < N; ) {
        const b = 1 + Math.floor(rng() * 50);
        await m.add(all.slice(i, i + b), rng);
        i += b;
      }
      expect(m.size()).toBe(K);
      binsOf(m.all(), counts);
    }
    const { p } = uniformityPValue(counts, N, K);
    // With a fixed seed this is deterministic; a correct reservoir fails at 1e-3 only 0.1% of seeds.
    expect(p).toBeGreaterThan(1e-3);
  });

  it('the same test rejects a biased buffer (keep the most recent) — the test can fail', () => {
    const counts = new Array(BINS).fill(0);
    const rng = seededRandom(7);
    for (let t = 0; t < TRIALS; t++) {
      // "Mostly recent": half the slots from the last 10% of the stream.
      const kept = stream(N).filter((s) => s.x[0] >= N * 0.9 ? rng() < K / 2 / (N * 0.1) : rng() < K / 2 / (N * 0.9));
      binsOf(kept, counts);
    }
    expect(uniformityPValue(counts, N, K).p).toBeLessThan(1e-6);
  });

  it('stays uniform across sessions when its seen-count is exported and restored', async () => {
    const rng = seededRandom(99);
    const restored = new Array(BINS).fill(0);
    const naive = new Array(BINS).fill(0);
    for (let t = 0; t < TRIALS; t++) {
      const all = stream(N);
      const first = new InMemoryReplayMemory({ policy: 'reservoir', capacity: K });
      await first.add(all.slice(0, N / 2), rng);
      const state = first.exportState();
      expect(state.policyState).toEqual({ seen: N / 2 });
      const second = new InMemoryReplayMemory({ policy: 'reservoir', capacity: K });
      second.restore(first.all(), state);
      await second.add(all.slice(N / 2), rng);
      binsOf(second.all(), restored);
      // Restarting without the state treats the second half as a fresh stream: strongly biased.
      const fresh = new InMemoryReplayMemory({ policy: 'reservoir', capacity: K });
      fresh.restore(first.all(), { ...state, policyState: { seen: 0 } });
      await fresh.add(all.slice(N / 2), rng);
      binsOf(fresh.all(), naive);
    }
    expect(uniformityPValue(restored, N, K).p).toBeGreaterThan(1e-3);
    expect(uniformityPValue(naive, N, K).p).toBeLessThan(1e-6);
  });

  it('a restored memory continues exactly like one that never stopped (reservoir, herding)', async () => {
    // Class-balanced picks victims by position inside a class, which a restore (samples in any order) does not
    // reproduce: it continues with the same distribution, not the same draws (its statistics are tested below).
    for (const policy of ['reservoir', 'herding'] as const) {
      const data = stream(600, (i) => Math.floor(i / 100));
      const a = new InMemoryReplayMemory({ policy, capacity: 50 });
      const rngA = seededRandom(5);
      for (let i = 0; i < 600; i += 100) await a.add(data.slice(i, i + 100), rngA);
      const b = new InMemoryReplayMemory({ policy, capacity: 50 });
      const rngB = seededRandom(5);
      for (let i = 0; i < 300; i += 100) await b.add(data.slice(i, i + 100), rngB);
      const c = new InMemoryReplayMemory({ policy, capacity: 50 });
      c.restore(b.all(), JSON.parse(JSON.stringify(b.exportState())));
      for (let i = 300; i < 600; i += 100) await c.add(data.slice(i, i + 100), rngB);
      expect(c.all().map((s) => s.id).sort(), policy).toEqual(a.all().map((s) => s.id).sort());
      expect(c.exportState(), policy).toEqual(a.exportState());
    }
  });
});

describe('ClassBalancedBuffer', () => {
  it('keeps per-class counts within 1 after each new class, evicting from the largest', async () => {
    const rng = seededRandom(3);
    const m = new InMemoryReplayMemory({ policy: 'class-balanced', capacity: 100 });
    for (let c = 0; c < 7; c++) {
      await m.add(stream(150, () => c, c * 150), rng);
      const counts = m.classes().map((k) => m.all().filter((s) => s.label === k).length);
      expect(counts.length).toBe(c + 1);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(m.size()).toBe(100);
    }
  });

  it('keeps a uniform random subset within a class (reservoir within class)', async () => {
    const rng = seededRandom(11);
    const bins = new Array(10).fill(0);
    for (let t = 0; t < 40; t++) {
      const m = new InMemoryReplayMemory({ policy: 'class-balanced', capacity: 100 });
      await m.add(stream(500, () => 0), rng);
      await m.add(stream(500, () => 1, 500), rng);
      for (const s of m.all()) if (s.label === 0) bins[Math.floor(s.x[0] / 50)]++;
    }
    expect(uniformityPValue(bins, 500, 50).p).toBeGreaterThan(1e-3);
  });

  it('with perClass the capacity grows as classes arrive and every class gets exactly its share', async () => {
    const rng = seededRandom(4);
    const m = new InMemoryReplayMemory({ policy: 'class-balanced', perClass: 20 });
    for (let c = 0; c < 5; c++) {
      await m.add(stream(60, () => c, c * 60), rng);
      expect(m.capacity).toBe(20 * (c + 1));
      for (const k of m.classes()) expect(m.all().filter((s) => s.label === k).length).toBe(20);
    }
  });
});

/** Straightforward greedy herding written independently: explicit means, explicit distances. */
function bruteForceHerding(xs: number[][], m: number): number[] {
  const d = xs[0].length;
  const mu = new Array(d).fill(0);
  for (const x of xs) for (let j = 0; j < d; j++) mu[j] += x[j] / xs.length;
  const picked: number[] = [];
  for (let step = 0; step < m; step++) {
    let best = -1;
    let bestDist = Infinity;
    for (let i = 0; i < xs.length; i++) {
      if (picked.includes(i)) continue;
      const members = [...picked, i];
      let dist = 0;
      for (let j = 0; j < d; j++) {
        const mean = members.reduce((a, k) => a + xs[k][j], 0) / members.length;
        dist += (mean - mu[j]) ** 2;
      }
      if (dist < bestDist) {
        bestDist = dist;
        best = i;
      }
    }
    picked.push(best);
  }
  return picked;
}

function meanDistance(xs: number[][], subset: number[]): number {
  const d = xs[0].length;
  let dist = 0;
  for (let j = 0; j < d; j++) {
    const mu = xs.reduce((a, x) => a + x[j], 0) / xs.length;
    const mean = subset.reduce((a, k) => a + xs[k][j], 0) / subset.length;
    dist += (mean - mu) ** 2;
  }
  return dist;
}

describe('HerdingSelector (iCaRL)', () => {
  const rng = seededRandom(21);
  const xs = Array.from({ length: 12 }, () => Array.from({ length: 5 }, () => rng() * 4 - 2));

  it('herdingSelect picks the same samples, in the same order, as a brute-force greedy search', () => {
    const mu = new Float64Array(5);
    for (const x of xs) for (let j = 0; j < 5; j++) mu[j] += x[j] / xs.length;
    for (const m of [1, 3, 6, 12]) {
      expect(herdingSelect(xs.map((x) => Float32Array.from(x)), mu, m)).toEqual(bruteForceHerding(xs, m));
    }
  });

  it('its subset mean is closer to the class mean than almost every other subset of that size (exhaustive)', () => {
    const m = 4;
    const mine = meanDistance(xs, bruteForceHerding(xs, m));
    let better = 0;
    let total = 0;
    const idx = [0, 1, 2, 3];
    // All C(12, 4) = 495 subsets.
    for (idx[0] = 0; idx[0] < 12; idx[0]++)
      for (idx[1] = idx[0] + 1; idx[1] < 12; idx[1]++)
        for (idx[2] = idx[1] + 1; idx[2] < 12; idx[2]++)
          for (idx[3] = idx[2] + 1; idx[3] < 12; idx[3]++) {
            total++;
            if (meanDistance(xs, idx) < mine - 1e-12) better++;
          }
    expect(total).toBe(495);
    expect(better / total).toBeLessThan(0.02);
  });

  it('the memory keeps the herding choice per class and, when quotas shrink, the first-picked', async () => {
    const m = new InMemoryReplayMemory({ policy: 'herding', capacity: 6 });
    const cls0 = xs.map((x, i) => sample(`a${i}`, 0, x));
    await m.add(cls0, seededRandom(1));
    const order = bruteForceHerding(xs, 6).map((i) => `a${i}`);
    expect(m.all().map((s) => s.id).sort()).toEqual([...order].sort());
    expect((m.exportState().policyState.order as [number, string[]][])[0]).toEqual([0, order]);
    // A second class halves class 0's quota: it keeps its 3 first-picked exemplars.
    await m.add(xs.map((x, i) => sample(`b${i}`, 1, x.map((v) => v + 10))), seededRandom(1));
    expect(m.all().filter((s) => s.label === 0).map((s) => s.id).sort()).toEqual(order.slice(0, 3).sort());
    expect(m.all().filter((s) => s.label === 1).length).toBe(3);
  });

  it('herds towards the mean of every sample of the class offered so far, across batches', async () => {
    const m = new InMemoryReplayMemory({ policy: 'herding', capacity: 3 });
    await m.add(xs.slice(0, 6).map((x, i) => sample(`a${i}`, 0, x)), seededRandom(1));
    await m.add(xs.slice(6).map((x, i) => sample(`a${i + 6}`, 0, x)), seededRandom(1));
    // The pool of the second call is the 3 kept + 6 new; the target is the mean of all 12.
    const kept1 = bruteForceHerding(xs.slice(0, 6), 3);
    const pool = [...kept1.map((i) => xs[i]), ...xs.slice(6)];
    const poolIds = [...kept1.map((i) => `a${i}`), ...xs.slice(6).map((_, i) => `a${i + 6}`)];
    const mu = new Float64Array(5);
    for (const x of xs) for (let j = 0; j < 5; j++) mu[j] += x[j] / xs.length;
    const picks = herdingSelect(pool.map((x) => Float32Array.from(x)), mu, 3).map((i) => poolIds[i]);
    expect((m.exportState().policyState.order as [number, string[]][])[0][1]).toEqual(picks);
  });
});

describe('limits', () => {
  it('never exceeds its capacity, with any policy and batch size', async () => {
    for (const policy of ['reservoir', 'class-balanced', 'herding'] as const) {
      const rng = seededRandom(8);
      const m = new InMemoryReplayMemory({ policy, capacity: 37 });
      for (let i = 0; i < 10; i++) {
        await m.add(stream(23 + i * 7, (k) => k % 4, i * 1000), rng);
        expect(m.size()).toBeLessThanOrEqual(37);
      }
      expect(m.size()).toBe(37);
    }
  });

  it('respects a byte budget on x + logits, also when stored logits grow', async () => {
    for (const policy of ['reservoir', 'class-balanced', 'herding'] as const) {
      const rng = seededRandom(9);
      // 4 floats of x + 2 of logits = 24 bytes per sample: 1000 bytes hold 41.
      const m = new InMemoryReplayMemory({ policy, maxBytes: 1000 });
      const data = Array.from({ length: 200 }, (_, i) => sample(`s${i}`, i % 5, [i, 1, 2, 3], 0, [0.5, -0.5]));
      await m.add(data, rng);
      expect(m.size()).toBe(41);
      expect(m.bytes()).toBe(41 * 24);
      // The head grew to 5 outputs: 36 bytes per sample -> 27 samples fit.
      const ids = m.all().map((s) => s.id!);
      const change = m.applyLogits(ids, ids.map(() => new Float32Array(5)), rng);
      expect(m.size()).toBe(27);
      expect(m.bytes()).toBeLessThanOrEqual(1000);
      expect(change.evicted.length).toBe(41 - 27);
    }
  });

  it('the tightest of capacity, perClass and maxBytes wins', async () => {
    const m = new InMemoryReplayMemory({ policy: 'reservoir', capacity: 30, perClass: 10, maxBytes: 10_000 });
    await m.add(stream(100, (i) => i % 2), seededRandom(1));
    expect(m.capacity).toBe(20);
    expect(m.size()).toBe(20);
    await m.add(stream(100, (i) => 2 + (i % 3), 100), seededRandom(1));
    expect(m.capacity).toBe(30);
    expect(m.size()).toBe(30);
  });
});

describe('sample()', () => {
  async function filled(): Promise<InMemoryReplayMemory> {
    const m = new InMemoryReplayMemory({ policy: 'class-balanced', capacity: 60 });
    await m.add(stream(120, (i) => i % 4), seededRandom(2));
    return m;
  }

  it('returns only the requested classes', async () => {
    const m = await filled();
    const rng = seededRandom(3);
    for (let t = 0; t < 50; t++) {
      const got = m.sample(10, rng, [1, 3]);
      expect(got.length).toBe(10);
      for (const s of got) expect([1, 3]).toContain(s.label);
    }
    expect(m.sample(5, rng, [9])).toEqual([]);
    expect(m.sample(5, rng, [])).toEqual([]);
  });

  it('draws distinct samples up to the pool size, with replacement beyond', async () => {
    const m = await filled();
    const rng = seededRandom(4);
    const distinct = m.sample(60, rng);
    expect(new Set(distinct.map((s) => s.id)).size).toBe(60);
    const cls = m.sample(15, rng, [2]);
    expect(new Set(cls.map((s) => s.id)).size).toBe(15);
    const more = m.sample(200, rng, [2]);
    expect(more.length).toBe(200);
    expect(new Set(more.map((s) => s.id)).size).toBeLessThanOrEqual(15);
  });

  it('draws every kept sample equally often (chi-square)', async () => {
    const m = await filled();
    const rng = seededRandom(5);
    const ids = m.all().map((s) => s.id!);
    const hits = new Map(ids.map((id) => [id, 0]));
    for (let t = 0; t < 2000; t++) for (const s of m.sample(8, rng)) hits.set(s.id!, hits.get(s.id!)! + 1);
    expect(uniformityPValue([...hits.values()], 60, 8).p).toBeGreaterThan(1e-3);
  });

  it('refuses a bad count or class list', async () => {
    const m = await filled();
    expect(() => m.sample(-1, Math.random)).toThrow(MemoryInputError);
    expect(() => m.sample(1.5, Math.random)).toThrow(/non-negative integer/);
    expect(() => m.sample(2, Math.random, [-1])).toThrow(/bad class/);
  });
});

describe('bad input gets a specific error and changes nothing', () => {
  const cases: [string, MemorySample[], string][] = [
    ['NaN in x', [sample('n1', 0, [1, 2, 3]), sample('n2', 0, [1, NaN, 3])], 'non-finite'],
    ['Infinity in x', [sample('n3', 0, [Infinity, 2, 3])], 'non-finite'],
    ['wrong width vs the first sample', [sample('w1', 0, [1, 2])], 'dimension-mismatch'],
    ['empty x', [sample('e1', 0, [])], 'empty-x'],
    ['negative label', [sample('l1', -1, [1, 2, 3])], 'bad-label'],
    ['fractional label', [sample('l2', 1.5, [1, 2, 3])], 'bad-label'],
    ['negative task', [sample('t1', 0, [1, 2, 3], -2)], 'bad-task'],
    ['NaN in logits', [sample('g1', 0, [1, 2, 3], 0, [NaN])], 'bad-logits'],
    ['x not a Float32Array', [{ id: 'f1', label: 0, task: 0, x: [1, 2, 3] as unknown as Float32Array }], 'bad-x'],
    ['duplicate id in the batch', [sample('d1', 0, [1, 2, 3]), sample('d1', 0, [1, 2, 3])], 'duplicate-id'],
    ['id already stored', [sample('KEPT', 0, [1, 2, 3])], 'duplicate-id'],
  ];
  for (const policy of ['reservoir', 'class-balanced', 'herding'] as const) {
    for (const [what, batch, code] of cases) {
      it(`${policy}: ${what} -> ${code}`, async () => {
        const m = new InMemoryReplayMemory({ policy, capacity: 5 });
        await m.add(Array.from({ length: 8 }, (_, i) => sample(`k${i}`, i % 2, [i, 0, 1])), seededRandom(1));
        const before = JSON.stringify(snapshot(m));
        const keptId = m.all()[0].id!;
        const err = await m.add(batch.map((s) => (s.id === 'KEPT' ? { ...s, id: keptId } : s)), seededRandom(1)).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(MemoryInputError);
        expect((err as MemoryInputError).code).toBe(code);
        expect(JSON.stringify(snapshot(m))).toBe(before);
      });
    }
  }

  it('updateLogits with an unknown id or NaN changes nothing', async () => {
    const m = new InMemoryReplayMemory({ policy: 'reservoir', capacity: 5 });
    await m.add([sample('a', 0, [1]), sample('b', 0, [2])], seededRandom(1));
    const before = JSON.stringify(snapshot(m));
    await expect(m.updateLogits(['a', 'zz'], [new Float32Array(2), new Float32Array(2)])).rejects.toMatchObject({ code: 'unknown-id' });
    await expect(m.updateLogits(['a', 'b'], [new Float32Array(2), Float32Array.from([NaN])])).rejects.toMatchObject({ code: 'bad-logits' });
    expect(JSON.stringify(snapshot(m))).toBe(before);
    expect(m.get('a')!.logits).toBeUndefined();
  });

  it('refuses negative, fractional or missing limits and unknown policies', () => {
    const bad: ReplayMemoryOptions[] = [
      { policy: 'reservoir', capacity: -1 },
      { policy: 'reservoir', capacity: 2.5 },
      { policy: 'class-balanced', perClass: -3 },
      { policy: 'herding', maxBytes: -10 },
      { policy: 'reservoir' },
      { policy: 'fifo' as 'reservoir', capacity: 3 },
    ];
    for (const o of bad) expect(() => new InMemoryReplayMemory(o), JSON.stringify(o)).toThrow(MemoryConfigError);
  });

  it('copies what it stores: the caller may reuse its arrays', async () => {
    const m = new InMemoryReplayMemory({ policy: 'reservoir', capacity: 5 });
    const x = Float32Array.from([1, 2]);
    await m.add([{ label: 0, task: 0, x }], seededRandom(1));
    x[0] = 99;
    expect(m.all()[0].x[0]).toBe(1);
    expect(typeof m.all()[0].id).toBe('string');
  });
});

describe('perClass means a per-class quota under every policy', () => {
  it('reservoir keeps exactly perClass of each class over 5 contexts (it once multiplied the capacity: 17-200 per class)', async () => {
    const rng = seededRandom(31);
    const m = new InMemoryReplayMemory({ policy: 'reservoir', perClass: 20 });
    for (let ctx = 0; ctx < 5; ctx++) {
      await m.add(stream(400, (i) => 2 * ctx + (i % 2), ctx * 400), rng);
      const counts = m.classes().map((k) => m.all().filter((s) => s.label === k).length);
      expect(counts).toEqual(new Array(2 * (ctx + 1)).fill(20));
    }
    expect(m.capacity).toBe(200);
  });

  it('reservoir with perClass keeps a uniform subset of each class\'s own stream (chi-square)', async () => {
    const rng = seededRandom(32);
    const bins = new Array(10).fill(0);
    for (let t = 0; t < 40; t++) {
      const m = new InMemoryReplayMemory({ policy: 'reservoir', perClass: 25 });
      // Class 0 arrives in two sessions with class 1 in between: position in class 0's own stream is x[0] / 2.
      const all = stream(1000, (i) => i % 2);
      await m.add(all.slice(0, 300), rng);
      await m.add(all.slice(300), rng);
      for (const s of m.all()) if (s.label === 0) bins[Math.floor(s.x[0] / 100)]++;
    }
    expect(uniformityPValue(bins, 500, 25).p).toBeGreaterThan(1e-3);
  });

  it('class-balanced never lets a class exceed perClass, even when another class leaves room', async () => {
    const rng = seededRandom(33);
    for (const policy of ['class-balanced', 'reservoir', 'herding'] as const) {
      const m = new InMemoryReplayMemory({ policy, perClass: 20 });
      await m.add(stream(5, () => 0), rng);
      await m.add(stream(100, () => 1, 5), rng);
      expect(m.all().filter((s) => s.label === 0).length, policy).toBe(5);
      expect(m.all().filter((s) => s.label === 1).length, policy).toBe(20);
    }
  });

  it('a restored reservoir with perClass keeps its per-class stream counts and quotas', async () => {
    // Like class-balanced, a class at its quota picks its victim by position inside the class, which a restore
    // does not reproduce: the counts (the state) continue exactly, the draws by the same distribution.
    const data = stream(600, (i) => Math.floor(i / 50) % 4);
    const a = new InMemoryReplayMemory({ policy: 'reservoir', perClass: 15, capacity: 50 });
    const rngA = seededRandom(6);
    for (let i = 0; i < 600; i += 100) await a.add(data.slice(i, i + 100), rngA);
    const b = new InMemoryReplayMemory({ policy: 'reservoir', perClass: 15, capacity: 50 });
    const rngB = seededRandom(6);
    for (let i = 0; i < 300; i += 100) await b.add(data.slice(i, i + 100), rngB);
    expect(Object.keys(b.exportState().policyState)).toEqual(['seen', 'seenPerClass']);
    const c = new InMemoryReplayMemory({ policy: 'reservoir', perClass: 15, capacity: 50 });
    c.restore(b.all(), JSON.parse(JSON.stringify(b.exportState())));
    for (let i = 300; i < 600; i += 100) await c.add(data.slice(i, i + 100), rngB);
    expect(c.exportState()).toEqual(a.exportState());
    expect((c.exportState().policyState.seenPerClass as [number, number][]).map(([, n]) => n)).toEqual([150, 150, 150, 150]);
    const counts = (m: InMemoryReplayMemory) => m.classes().map((k) => m.all().filter((s) => s.label === k).length);
    expect(counts(c)).toEqual(counts(a));
    for (const n of counts(c)) expect(n).toBeLessThanOrEqual(15);
  });
});

describe('every random choice is seeded', () => {
  it('updateLogits under a byte budget evicts the same samples in every run', async () => {
    const run = async () => {
      const m = new InMemoryReplayMemory({ policy: 'reservoir', maxBytes: 1000 });
      await m.add(Array.from({ length: 100 }, (_, i) => sample(`s${i}`, i % 5, [i, 1, 2, 3], 0, [0.5, -0.5])), seededRandom(2));
      const ids = m.all().map((s) => s.id!);
      await m.updateLogits(ids, ids.map(() => new Float32Array(5)));
      return m.all().map((s) => s.id!).sort();
    };
    const first = await run();
    expect(first.length).toBe(27);
    for (let t = 0; t < 3; t++) expect(await run()).toEqual(first);
  });
});

describe('a policy sees the offered samples without their being copied first', () => {
  it('only the kept samples are copied', async () => {
    const m = new InMemoryReplayMemory({ policy: 'class-balanced', capacity: 10 });
    const big = stream(1000, (i) => i % 5);
    const slice = vi.spyOn(Float32Array.prototype, 'slice');
    let copies: number;
    try {
      await m.add(big, seededRandom(3));
    } finally {
      copies = slice.mock.calls.length;
      slice.mockRestore();
    }
    expect(m.size()).toBe(10);
    expect(copies).toBe(10);
    // Kept samples are the memory's own copies.
    const kept = m.all()[0];
    const original = big.find((s) => s.id === kept.id)!;
    expect(kept).not.toBe(original);
    original.x[1] = 99;
    expect(kept.x[1]).toBe(1);
  });
});
