/** Measurement helpers of the kernels benchmark: median timing, dispatch/byte accounting, copy bandwidth. */
import * as tf from '@tensorflow/tfjs';
import { traceDispatches } from '../../src/kernels';
import { setFusedOpsEnabled } from '../../src/ops';

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median milliseconds per call of `step` (which returns the tensor to sync on): `warmup` calls, then `samples`
 * samples of `inner` back-to-back calls each; only the last call's (small) result is read back per sample.
 */
export async function timeIt(step: () => tf.Tensor, samples: number, inner: number, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) {
    const t = step();
    await t.data();
    t.dispose();
  }
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    let last: tf.Tensor | null = null;
    for (let i = 0; i < inner; i++) {
      last?.dispose();
      last = step();
    }
    await last!.data();
    times.push((performance.now() - t0) / inner);
    last!.dispose();
  }
  return median(times);
}

/** Programs one call launched and the bytes they read and wrote, from the dispatch-accounting wrapper. */
export interface CallAccount {
  dispatches: number;
  bytes: number;
  /** Launches per shader key. */
  shaders: Record<string, number>;
}

/** Accounts one (already warmed-up) call of `step`: every program it launched, through the dispatch wrapper. */
export async function accountCall(step: () => tf.Tensor): Promise<CallAccount | null> {
  if (tf.getBackend() !== 'webgpu') return null;
  const { result, records } = traceDispatches(step);
  await result.data();
  result.dispose();
  const shaders: Record<string, number> = {};
  for (const r of records) shaders[r.shader] = (shaders[r.shader] ?? 0) + 1;
  return { dispatches: records.length, bytes: records.reduce((a, r) => a + r.bytesRead + r.bytesWritten, 0), shaders };
}

/** Fused and composite figures of one op on the same inputs. */
export interface PairFigures {
  fusedMs: number;
  compositeMs: number;
  fused: CallAccount | null;
  composite: CallAccount | null;
}

/** Times and accounts `step` with the fused ops on, then off (same inputs, same device, back to back). */
export async function measurePair(step: () => tf.Tensor, samples: number, inner: number): Promise<PairFigures> {
  try {
    setFusedOpsEnabled(true);
    const fusedMs = await timeIt(step, samples, inner, 2);
    const fused = await accountCall(step);
    setFusedOpsEnabled(false);
    const compositeMs = await timeIt(step, samples, inner, 2);
    const composite = await accountCall(step);
    return { fusedMs, compositeMs, fused, composite };
  } finally {
    setFusedOpsEnabled(true);
  }
}

/**
 * Copy bandwidth of the WebGPU device in GB/s (bytes read + written per second): `copyBufferToBuffer` of a
 * `megabytes` buffer, repeated, median of 5 submissions. The ceiling a bandwidth-bound kernel is compared with.
 */
export async function copyBandwidthGBps(megabytes = 64, repeats = 8): Promise<number | null> {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (tf.getBackend() !== 'webgpu' || !device) return null;
  const size = megabytes * 2 ** 20;
  const src = device.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.STORAGE });
  const dst = device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.STORAGE });
  const once = async (): Promise<number> => {
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < repeats; i++) encoder.copyBufferToBuffer(src, 0, dst, 0, size);
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  try {
    await once();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await once());
    return (2 * size * repeats) / (median(times) * 1e6);
  } finally {
    src.destroy();
    dst.destroy();
  }
}
