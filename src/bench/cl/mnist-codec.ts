/** The browser's compact MNIST file (public/bench/mnist-10k.u8.gz): its encoder (Node) and decoder (browser). */
import type { MnistDigits } from './data';

/**
 * A compact form of the `mnist` package's 10,000 digits for the browser (public/bench/mnist-10k.u8.gz, 1.6 MB
 * instead of 21 MB of JSON; made by bench/cl/pack-mnist.ts). The package stores each pixel as k/255 rounded to
 * 3 decimals, so one byte k per pixel is lossless: decoding gives exactly the floats Node reads from the package.
 *
 * Layout (before gzip): "MNU8", uint32 LE count per digit 0-9, then the pixels digit by digit (784 bytes each).
 */
export const MNIST_U8_MAGIC = 'MNU8';

/** The package's float for byte k. */
export function pixelOf(k: number): number {
  return Math.round((k / 255) * 1000) / 1000;
}

/** Encodes digits (ordered by digit) into the uncompressed layout; throws if a pixel is not k/255 to 3 decimals. */
export function encodeMnistU8(digits: MnistDigits): Uint8Array {
  const n = digits.y.length;
  const counts = new Uint32Array(10);
  for (let i = 0; i < n; i++) {
    if (i > 0 && digits.y[i] < digits.y[i - 1]) throw new Error('encodeMnistU8: digits must be ordered by label');
    counts[digits.y[i]]++;
  }
  const out = new Uint8Array(4 + 40 + n * 784);
  out.set([...MNIST_U8_MAGIC].map((c) => c.charCodeAt(0)));
  const view = new DataView(out.buffer);
  counts.forEach((c, d) => view.setUint32(4 + 4 * d, c, true));
  for (let i = 0; i < digits.x.length; i++) {
    const k = Math.round(digits.x[i] * 255);
    if (Math.fround(pixelOf(k)) !== digits.x[i]) throw new Error(`encodeMnistU8: pixel ${i} (${digits.x[i]}) is not k/255 to 3 decimals`);
    out[44 + i] = k;
  }
  return out;
}

/** Decodes the uncompressed layout into digits; throws a specific error on a malformed buffer. */
export function decodeMnistU8(bytes: Uint8Array): MnistDigits {
  if (bytes.length < 44) throw new Error(`MNIST data: ${bytes.length} bytes is too short for the header`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MNIST_U8_MAGIC) throw new Error(`MNIST data: bad magic "${magic}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counts = Array.from({ length: 10 }, (_, d) => view.getUint32(4 + 4 * d, true));
  const n = counts.reduce((a, b) => a + b, 0);
  if (bytes.length !== 44 + n * 784) throw new Error(`MNIST data: ${bytes.length} bytes, expected ${44 + n * 784} for ${n} digits`);
  const table = new Float32Array(256).map((_, k) => pixelOf(k));
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = table[bytes[44 + i]];
  const y = new Int32Array(n);
  let o = 0;
  counts.forEach((c, d) => {
    y.fill(d, o, o + c);
    o += c;
  });
  return { x, y };
}
