/** MNIST digits, their seeded train / test and validation splits, and Permuted MNIST's seeded permutations. */
import { seededRng } from '../../util/rng';
import { BENCH_CONFIG, type BenchConfig, type DataSource } from './config';

/** Pixels per MNIST digit. */
export const MNIST_PIXELS = 784;

/** MNIST digits, row-major: x is count x 784 floats in [0, 1], y the digit. */
export interface MnistDigits {
  x: Float32Array;
  y: Int32Array;
  /**
   * Set for the whole MNIST (70,000): images from this index on are the official test set, the rest the official
   * training set, and no seeded split is made. Unset for the 10,000 digits of the `mnist` package.
   */
  testFrom?: number;
}

/** Which MNIST these digits are. */
export function dataSourceOf(digits: MnistDigits): DataSource {
  return digits.testFrom !== undefined ? 'mnist-70k' : 'mnist-10k';
}

/** How a row's data was split, in words, for cl.json and the browser page. */
export function describeSplit(digits: MnistDigits, config: BenchConfig = BENCH_CONFIG): string {
  if (digits.testFrom !== undefined) {
    return `MNIST ${digits.y.length.toLocaleString('en')} (official ${digits.testFrom.toLocaleString('en')} / ${(digits.y.length - digits.testFrom).toLocaleString('en')} split)`;
  }
  const test = config.data.testPerClass * 10;
  return `MNIST ${digits.y.length.toLocaleString('en')} (seeded ${(digits.y.length - test).toLocaleString('en')} / ${test.toLocaleString('en')} split)`;
}

/**
 * The data split's and the permutations' seeded generator (never Math.random). Seed 0 starts from the golden-ratio
 * state, as it always has here, so the benchmark's splits and figures do not change.
 */
export function seededRandom(seed: number): () => number {
  return seededRng(seed, { zeroSeed: 'golden' });
}

function shuffleInPlace(a: Int32Array | number[], rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** A train / test split: indices into the digits, per digit. */
export interface DataSplit {
  digits: MnistDigits;
  /** trainByClass[d] = indices of digit d's training images (ascending). */
  trainByClass: Int32Array[];
  testByClass: Int32Array[];
  /** Set for a validation split (validationSplit): testByClass are held-out training images, not the test set. */
  validationPerClass?: number;
}

/** Checks digits are 784 floats per label, finite, in [0, 1], labels 0-9; throws a specific error otherwise. */
export function validateDigits(digits: MnistDigits): void {
  const n = digits.y.length;
  if (n === 0) throw new Error('MNIST digits: no samples');
  if (digits.x.length !== n * MNIST_PIXELS) {
    throw new Error(`MNIST digits: ${digits.x.length} pixel values for ${n} labels (expected ${n * MNIST_PIXELS})`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(digits.y[i]) || digits.y[i] < 0 || digits.y[i] > 9) {
      throw new Error(`MNIST digits: label ${digits.y[i]} of sample ${i} is not a digit`);
    }
  }
  for (let i = 0; i < digits.x.length; i++) {
    const v = digits.x[i];
    if (!(v >= 0 && v <= 1)) throw new Error(`MNIST digits: pixel value ${v} at ${i} is outside [0, 1]`);
  }
}

/**
 * Stratified seeded split: for each digit, a seeded shuffle of its images; the first `testPerClass` are the test
 * set, the rest training. Same seed, same split, in Node and in the browser. Digits with `testFrom` (the whole
 * MNIST) keep their official split instead.
 */
export function splitDigits(digits: MnistDigits, testPerClass: number, seed: number): DataSplit {
  validateDigits(digits);
  if (digits.testFrom !== undefined) return officialSplit(digits, digits.testFrom);
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < digits.y.length; i++) byClass[digits.y[i]].push(i);
  const rng = seededRandom(seed);
  const trainByClass: Int32Array[] = [];
  const testByClass: Int32Array[] = [];
  byClass.forEach((list, d) => {
    if (list.length <= testPerClass) {
      throw new Error(`digit ${d} has ${list.length} images: too few for ${testPerClass} test images`);
    }
    const order = Int32Array.from(list);
    shuffleInPlace(order, rng);
    testByClass.push(order.slice(0, testPerClass).sort());
    trainByClass.push(order.slice(testPerClass).sort());
  });
  return { digits, trainByClass, testByClass };
}

/**
 * A validation split for choosing hyper-parameters without the test set: `perClass` images of each digit's
 * training images (seeded) become the held-out set and the rest train; the test images are not used at all.
 */
export function validationSplit(split: DataSplit, perClass: number, seed: number): DataSplit {
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`validation images per digit must be a positive integer, got ${perClass}`);
  const rng = seededRandom(seed ^ 0x5a11d);
  const trainByClass: Int32Array[] = [];
  const testByClass: Int32Array[] = [];
  split.trainByClass.forEach((list, d) => {
    if (list.length <= perClass) throw new Error(`digit ${d} has ${list.length} training images: too few to hold out ${perClass}`);
    const order = Int32Array.from(list);
    shuffleInPlace(order, rng);
    testByClass.push(order.slice(0, perClass).sort());
    trainByClass.push(order.slice(perClass).sort());
  });
  return { digits: split.digits, trainByClass, testByClass, validationPerClass: perClass };
}

/** The official split: images before `testFrom` train, the rest test; grouped by digit, in file order. */
function officialSplit(digits: MnistDigits, testFrom: number): DataSplit {
  const n = digits.y.length;
  if (!Number.isInteger(testFrom) || testFrom <= 0 || testFrom >= n) {
    throw new Error(`MNIST digits: testFrom ${testFrom} must split the ${n} images into two non-empty parts`);
  }
  const group = (from: number, to: number) => {
    const lists: number[][] = Array.from({ length: 10 }, () => []);
    for (let i = from; i < to; i++) lists[digits.y[i]].push(i);
    return lists.map((l) => Int32Array.from(l));
  };
  return { digits, trainByClass: group(0, testFrom), testByClass: group(testFrom, n) };
}

/** `count` seeded pixel permutations; the first is the identity (context 1 is plain MNIST, as in the paper's code). */
export function makePermutations(count: number, seed: number): Int32Array[] {
  const rng = seededRandom(seed);
  const out: Int32Array[] = [];
  for (let c = 0; c < count; c++) {
    const p = Int32Array.from({ length: MNIST_PIXELS }, (_, i) => i);
    if (c > 0) shuffleInPlace(p, rng);
    out.push(p);
  }
  return out;
}
