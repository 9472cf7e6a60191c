/**
 * Dispatch accounting: a wrapper around `WebGPUBackend.runWebGPUProgram` (the one call every tfjs WebGPU kernel
 * and every fused kernel of ours launches through) that counts programs per shader and the bytes each reads and
 * writes. Benchmarks read it per op call; the app's end-to-end test reads which fused kernels ran.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * What a program may say about the memory it really touches, when that is less than its whole inputs and output
 * (a kernel reading one range of an arena): elements read per input (in input order) and elements written. The
 * values come from the same numbers the dispatch's uniforms carry, never from a separate estimate.
 */
export interface AccessedElements {
  read: number[];
  written: number;
}

/** A program that may declare its memory access (see `AccessedElements`). */
export type AccountedProgram = WebGPUProgram & { accessed?: AccessedElements };

/** One launched program: its shader (the program's own key, before the backend appends shapes) and its bytes. */
export interface DispatchRecord {
  shader: string;
  bytesRead: number;
  bytesWritten: number;
}

/** Programs launched and bytes moved since the counters were last reset. */
export interface DispatchTotals {
  dispatches: number;
  bytesRead: number;
  bytesWritten: number;
  /** Launches per shader key. */
  perShader: Record<string, number>;
}

const BYTES_PER_ELEMENT = 4;
const totals: DispatchTotals = { dispatches: 0, bytesRead: 0, bytesWritten: 0, perShader: {} };
/** Every shader ever launched, for `programLaunchCounts` (not reset by `resetDispatchTotals`). */
const lifetime: Record<string, number> = {};
let trace: DispatchRecord[] | null = null;
const wrapped = new WeakSet<WebGPUBackend>();

function elementsOf(info: TensorInfo): number {
  return info.shape.reduce((a, b) => a * b, 1);
}

/** Bytes a launch reads and writes: declared ranges when the program has them, else whole (distinct) inputs and output. */
function bytesOf(program: AccountedProgram, shader: string, inputs: TensorInfo[], outputElements: number): DispatchRecord {
  if (program.accessed) {
    const read = program.accessed.read.reduce((a, b) => a + b, 0);
    return { shader, bytesRead: read * BYTES_PER_ELEMENT, bytesWritten: program.accessed.written * BYTES_PER_ELEMENT };
  }
  // An input bound twice (a repeated slot) is one buffer: count it once.
  const seen = new Set<object>();
  let read = 0;
  for (const input of inputs) {
    if (seen.has(input.dataId)) continue;
    seen.add(input.dataId);
    read += elementsOf(input);
  }
  return { shader, bytesRead: read * BYTES_PER_ELEMENT, bytesWritten: outputElements * BYTES_PER_ELEMENT };
}

/**
 * Wraps `backend.runWebGPUProgram` once so every launch is counted. Idempotent; costs a few additions per launch.
 */
export function installDispatchAccounting(backend: WebGPUBackend): void {
  if (wrapped.has(backend)) return;
  wrapped.add(backend);
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, inputs, outputDtype, uniforms, output) => {
    const ownKey = program.shaderKey;
    const outputElements = elementsOf(output ?? { dataId: {}, shape: program.outputShape, dtype: outputDtype });
    const result = run(program, inputs, outputDtype, uniforms, output);
    // The backend launches nothing for an empty output.
    if (outputElements > 0) {
      const record = bytesOf(program, ownKey, inputs, outputElements);
      totals.dispatches++;
      totals.bytesRead += record.bytesRead;
      totals.bytesWritten += record.bytesWritten;
      totals.perShader[ownKey] = (totals.perShader[ownKey] ?? 0) + 1;
      lifetime[ownKey] = (lifetime[ownKey] ?? 0) + 1;
      trace?.push(record);
    }
    return result;
  };
}

/** Zeroes the running totals (the lifetime per-shader counts stay). */
export function resetDispatchTotals(): void {
  totals.dispatches = 0;
  totals.bytesRead = 0;
  totals.bytesWritten = 0;
  totals.perShader = {};
}

/** A copy of the running totals. */
export function dispatchTotals(): DispatchTotals {
  return { ...totals, perShader: { ...totals.perShader } };
}

/** Launches per shader key since the accounting was installed (the app's tests read which kernels ran). */
export function programLaunchCounts(): Record<string, number> {
  return { ...lifetime };
}

/** Runs `fn` and returns every program it launched, in order, with its bytes. */
export function traceDispatches<T>(fn: () => T): { result: T; records: DispatchRecord[] } {
  const previous = trace;
  const records: DispatchRecord[] = [];
  trace = records;
  try {
    return { result: fn(), records };
  } finally {
    trace = previous;
  }
}
