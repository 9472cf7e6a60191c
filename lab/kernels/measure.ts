/** Measurement helpers of the kernels benchmark: interleaved fused/composite timing, dispatch/byte accounting, copy bandwidth. */
import * as tf from '@tensorflow/tfjs';
import { traceDispatches } from '../../src/kernels';
import { setFusedOpsEnabled } from '../../src/ops';

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The `q` quantile (0..1) of a list of numbers, interpolated linearly between the two nearest ranks. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
}

/** Milliseconds per call of one sample: `inner` back-to-back calls, then one (small) readback of the last result. */
async function sampleMs(step: () => tf.Tensor, inner: number): Promise<number> {
  const t0 = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < inner; i++) {
    last?.dispose();
    last = step();
  }
  await last!.data();
  const ms = (performance.now() - t0) / inner;
  last!.dispose();
  return ms;
}

/** `calls` calls of `step`, each read back: shader compilation and buffer allocation before anything is timed. */
async function warmUp(step: () => tf.Tensor, calls: number): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const t = step();
    await t.data();
    t.dispose();
  }
}

/**
 * Median milliseconds per call of `step` (which returns the tensor to sync on): `warmup` calls, then `samples`
 * samples of `inner` back-to-back calls each; only the last call's (small) result is read back per sample.
 */
export async function timeIt(step: () => tf.Tensor, samples: number, inner: number, warmup: number): Promise<number> {
  await warmUp(step, warmup);
  const times: number[] = [];
  for (let s = 0; s < samples; s++) times.push(await sampleMs(step, inner));
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

/**
 * Spread of the per-pair ratios composite ms / fused ms of interleaved samples (each pair: two adjacent samples,
 * one per path, so both saw nearly the same machine load).
 */
export interface RatioSpread {
  median: number;
  /** First and third quartiles (linear interpolation). */
  q1: number;
  q3: number;
  min: number;
  max: number;
  pairs: number;
}

/** Median and quartiles of the ratios `composite[i] / fused[i]`. */
export function pairRatioSpread(fusedMs: number[], compositeMs: number[]): RatioSpread {
  if (fusedMs.length !== compositeMs.length || fusedMs.length === 0)
    throw new Error(`pairRatioSpread: need as many fused as composite samples (>= 1), got ${fusedMs.length} and ${compositeMs.length}`);
  const ratios = fusedMs.map((f, i) => compositeMs[i] / f);
  return {
    median: median(ratios),
    q1: quantile(ratios, 0.25),
    q3: quantile(ratios, 0.75),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    pairs: ratios.length,
  };
}

/** Fused and composite figures of one op on the same inputs. */
export interface PairFigures {
  /** Median ms per call of each path. */
  fusedMs: number;
  compositeMs: number;
  /** Per-pair ratios of samples timed in alternation; null where the two paths were timed one after the other. */
  pairRatio: RatioSpread | null;
  /** The interleaved samples (ms per call), pair i = (fusedSamplesMs[i], compositeSamplesMs[i]); empty where none. */
  fusedSamplesMs: number[];
  compositeSamplesMs: number[];
  fused: CallAccount | null;
  composite: CallAccount | null;
}

/**
 * Times and accounts `step` with the fused ops on and off (same inputs, same device) in alternation: after two
 * warm-up calls and one accounted call per path, `pairs` pairs of adjacent samples in ABBA order (fused then
 * composite, composite then fused, ...), so a change of machine load hits both paths of a pair alike and a
 * steady drift favours neither. The per-pair ratio's median and quartiles say how far the comparison holds.
 */
export async function measurePair(step: () => tf.Tensor, pairs: number, inner: number): Promise<PairFigures> {
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`measurePair: pairs must be an integer >= 1, got ${pairs}`);
  try {
    setFusedOpsEnabled(true);
    await warmUp(step, 2);
    const fused = await accountCall(step);
    setFusedOpsEnabled(false);
    await warmUp(step, 2);
    const composite = await accountCall(step);
    const fusedSamplesMs: number[] = [];
    const compositeSamplesMs: number[] = [];
    const sample = async (fusedPath: boolean) => {
      setFusedOpsEnabled(fusedPath);
      (fusedPath ? fusedSamplesMs : compositeSamplesMs).push(await sampleMs(step, inner));
    };
    for (let p = 0; p < pairs; p++) {
      const fusedFirst = p % 2 === 0;
      await sample(fusedFirst);
      await sample(!fusedFirst);
    }
    return {
      fusedMs: median(fusedSamplesMs),
      compositeMs: median(compositeSamplesMs),
      pairRatio: pairRatioSpread(fusedSamplesMs, compositeSamplesMs),
      fusedSamplesMs,
      compositeSamplesMs,
      fused,
      composite,
    };
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
