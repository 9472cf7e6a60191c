import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { registerFastWasmKernels } from '../../../src/kernels/wasm';

/** Puts tfjs on the WASM backend in Node (the backend the tests and `bench:cl` use). */
export async function useWasmBackend(): Promise<void> {
  if (tf.getBackend() === 'wasm') return;
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(dist + path.sep);
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('could not initialise the tfjs WASM backend');
  await tf.ready();
  // Transposed matMuls (every backward pass) are ~10x slower on tfjs-wasm 4.22 without this.
  registerFastWasmKernels();
}
