/**
 * The float64 Cholesky solve of spd_host.wat (WebAssembly, f64x2 lanes) for the host path of solveSpd: one
 * instance per thread, its memory grown to the largest system seen. Null where WebAssembly SIMD is unavailable;
 * the caller then runs the same algorithm in JavaScript.
 */
import { SPD_HOST_WASM } from './spd_host_wasm.bytes';

/** What spd_host.wat exports (byte offsets into `memory`). */
interface SpdHostExports {
  memory: WebAssembly.Memory;
  cholesky(a: number, l: number, n: number, shift: number): number;
  transposeLower(l: number, u: number, n: number): void;
  substitute(t: number, z: number, n: number, k: number, forward: number): void;
}

/** Largest memory the kernel grows to: a bigger system (n above ~2,800) takes the JavaScript loops. */
const MAX_BYTES = 192 * 1024 * 1024;
const PAGE = 65536;

let kernel: SpdHostExports | null | undefined;

/** The instantiated kernel, or null where this runtime cannot compile it (no WebAssembly or no SIMD). */
export function spdHostKernel(): SpdHostExports | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Uint8Array.from(atob(SPD_HOST_WASM), (c) => c.charCodeAt(0));
    // 1.4 KB: small enough for a synchronous compile on any thread.
    kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as SpdHostExports;
  } catch {
    kernel = null;
  }
  return kernel;
}

/**
 * X with (A + shift I) X = B in float64 (A n x n and B n x k, row-major), by the WebAssembly kernel: Cholesky,
 * then forward and back substitution. Null when the kernel is unavailable or the system too big for its memory.
 * Throws, naming the row, when A + shift I is not positive definite.
 */
export function solveSpdWasm(
  a: Float64Array,
  n: number,
  b: Float64Array,
  k: number,
  shift: number,
): Float64Array | null {
  const w = spdHostKernel();
  const square = n * n;
  // A, L, L^T, then the k transposed right-hand sides.
  const bytes = (3 * square + k * n) * 8;
  if (!w || bytes > MAX_BYTES) return null;
  const missing = Math.ceil(bytes / PAGE) - w.memory.buffer.byteLength / PAGE;
  if (missing > 0) {
    try {
      w.memory.grow(missing);
    } catch {
      return null;
    }
  }
  const heap = new Float64Array(w.memory.buffer);
  const z = 3 * square;
  heap.set(a, 0);
  const failed = w.cholesky(0, square * 8, n, shift);
  if (failed >= 0)
    throw new Error(`solveSpd: the matrix is not positive definite (at row ${failed}); raise the shift`);
  w.transposeLower(square * 8, 2 * square * 8, n);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) heap[z + c * n + i] = b[i * k + c];
  w.substitute(square * 8, z * 8, n, k, 1);
  w.substitute(2 * square * 8, z * 8, n, k, 0);
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) x[i * k + c] = heap[z + c * n + i];
  return x;
}
