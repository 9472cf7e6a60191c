/**
 * `npm run bench:kernels:node -- --ewc-breakdown`: where the time of EWC value + gradient at 1M parameters goes on
 * this adapter, per program, from GPU timestamps (tf.time; one submission per program), all variants interleaved
 * round after round so they see the same machine load:
 * - fused vs composite on the benchmark's MLP shapes (every tensor but the 10 biases a multiple of 4: tfjs runs
 *   its element-wise programs on vec4, four elements per invocation) and on one tensor of the same 999,946
 *   elements (not a multiple of 4: tfjs falls back to one element per invocation, as our kernels always do);
 * - one scaling pass (8 B per element) three ways: tfjs Multiply on vec4, tfjs Multiply scalar, our ScaleSlice.
 */
import * as tf from '@tensorflow/tfjs';
import { releaseEwcArenas, setEwcElementsPerThread } from '../../../src/kernels';
import { kernelFor, SCALED_SLICES_KERNEL } from '../../../src/kernels/registry';
import { ewcPenalty, setFusedOpsEnabled } from '../../../src/ops';
import { rng, uniform } from '../../../lab/kernels/common';
import { median } from '../../../lab/kernels/measure';

/** One timed variant: which path, and the call to time (returns the tensor to sync on). */
interface Variant {
  name: string;
  fused: boolean;
  op: () => tf.Tensor;
  /**
   * Calls it once untimed first: the fused EWC packs anchors and Fisher for one set of tensors at a time (as in
   * training, where the set is the same every step), so alternating two sets here would repack on every call.
   */
  repack?: boolean;
}

/** Median wall and GPU ms of one variant, and its GPU ms per program class. */
export interface BreakdownRow {
  name: string;
  wallMs: number;
  gpuMs: number;
  programs: Record<string, number>;
}

/** EWC value + gradient over `shapes` (parameters, anchors, Fisher drawn from `seed`), and its tensors. */
function ewcStep(shapes: number[][], seed: number): { step: () => tf.Tensor; tensors: tf.Tensor[] } {
  const rand = rng(seed);
  const make = (lo: number, hi: number) => shapes.map((s) => tf.tensor(uniform(rand, s.reduce((x, y) => x * y, 1), lo, hi), s));
  const p = make(-1, 1).map((t) => tf.variable(t));
  const [a, f] = [make(-1, 1), make(0, 1)];
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => ewcPenalty(p, a, f, 10), p);
      tf.dispose(Object.values(grads));
      return value;
    });
  return { step, tensors: [...p, ...a, ...f] };
}

/** Runs one variant under tf.time; returns wall ms, GPU ms and GPU ms per program class. */
async function timeVariant(v: Variant): Promise<{ wall: number; gpu: number; programs: Record<string, number> }> {
  setFusedOpsEnabled(v.fused);
  try {
    if (v.repack) {
      const t = v.op();
      await t.data();
      t.dispose();
    }
    const info = await tf.time(async () => {
      const r = v.op();
      await r.data();
      r.dispose();
    });
    // tfjs-backend-webgpu: "ProgramClass: ms, ProgramClass: ms, ..." (one entry per dispatch).
    const extra = (info as unknown as { getExtraProfileInfo?: () => string }).getExtraProfileInfo?.() ?? '';
    const programs: Record<string, number> = {};
    for (const entry of extra.split(', ').filter(Boolean)) {
      const [name, ms] = entry.split(': ');
      programs[name] = (programs[name] ?? 0) + Number(ms);
    }
    return { wall: info.wallMs, gpu: typeof info.kernelMs === 'number' ? info.kernelMs : NaN, programs };
  } finally {
    setFusedOpsEnabled(true);
  }
}

/** Times every variant `rounds` times (order reversed every other round, after one warm-up round). */
export async function runEwcBreakdown(rounds = 12): Promise<BreakdownRow[]> {
  setEwcElementsPerThread(16);
  const hidden = 256;
  const inDim = Math.round((1_000_000 - hidden - 10 - hidden * 10) / hidden);
  const mlp = ewcStep([[inDim, hidden], [hidden], [hidden, 10], [10]], 1);
  const one = ewcStep([[inDim * hidden + hidden + hidden * 10 + 10]], 1);
  const rand = rng(2);
  const dy = tf.scalar(0.5);
  const arena = tf.tensor1d(uniform(rand, 1_000_000, -1, 1));
  const odd = tf.tensor1d(uniform(rand, 999_998, -1, 1));
  const scaleSlice = kernelFor(SCALED_SLICES_KERNEL);
  const variants: Variant[] = [
    { name: 'EWC fused, MLP shapes', fused: true, op: mlp.step, repack: true },
    { name: 'EWC composite, MLP shapes (vec4)', fused: false, op: mlp.step },
    { name: 'EWC fused, one tensor', fused: true, op: one.step, repack: true },
    { name: 'EWC composite, one tensor (scalar)', fused: false, op: one.step },
    { name: 'tf.mul x dy, 1,000,000 (vec4)', fused: false, op: () => tf.mul(arena, dy) },
    { name: 'tf.mul x dy, 999,998 (scalar)', fused: false, op: () => tf.mul(odd, dy) },
  ];
  if (scaleSlice) variants.push({ name: 'ScaleSlice x dy, 1,000,000', fused: true, op: () => scaleSlice([arena, dy, arena], {})[0] });
  for (const v of variants) await timeVariant(v);
  const samples = variants.map(() => ({ wall: [] as number[], gpu: [] as number[], programs: {} as Record<string, number[]> }));
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, i) => i);
    for (const i of round % 2 ? order.reverse() : order) {
      const t = await timeVariant(variants[i]);
      samples[i].wall.push(t.wall);
      samples[i].gpu.push(t.gpu);
      for (const [k, ms] of Object.entries(t.programs)) (samples[i].programs[k] ??= []).push(ms);
    }
  }
  tf.dispose([...mlp.tensors, ...one.tensors, dy, arena, odd]);
  releaseEwcArenas();
  return variants.map((v, i) => ({
    name: v.name,
    wallMs: median(samples[i].wall),
    gpuMs: median(samples[i].gpu),
    programs: Object.fromEntries(Object.entries(samples[i].programs).map(([k, ms]) => [k, median(ms)])),
  }));
}
