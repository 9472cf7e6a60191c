/** The bench page's MNIST: the compact digits fetched from public/ and decoded. */
import { decodeMnistU8, type MnistDigits } from '../../bench/cl';
import { t } from '../i18n';

/** The compact digits, served from public/ (a file type the app's service worker does not precache). */
const DATA_URL = `${import.meta.env.BASE_URL}bench/mnist-10k.u8.gz`;

/** Loads the 10,000 digits of the `mnist` package in the browser: the same floats, in the same order, as in Node. */
export async function loadMnistDigitsInBrowser(): Promise<MnistDigits> {
  const res = await fetch(DATA_URL);
  if (!res.ok) throw new Error(t('bench.digitsFailed', { status: res.status }));
  let bytes = new Uint8Array(await res.arrayBuffer());
  // Some servers send .gz files with Content-Encoding: gzip, and the browser has already inflated them.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(inflated).arrayBuffer());
  }
  return decodeMnistU8(bytes);
}
