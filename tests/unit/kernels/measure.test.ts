import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { measurePair, pairRatioSpread, quantile, timeIt } from '../../../lab/kernels/measure';
import { kernelFor, registerFusedOp } from '../../../src/kernels/registry';
import { setFusedOpsEnabled } from '../../../src/ops';
import { useWasmBackend } from '../support/setup-wasm';

beforeAll(useWasmBackend);

/** A kernel name only this test registers: whether `kernelFor` finds it tells which path measurePair selected. */
const PROBE = 'MeasureTestProbe';

/** Spins until `ms` milliseconds have passed (a stand-in for an op whose cost the test controls). */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * An op whose composite path costs `compositeCost` x the fused one, on a machine whose load grows call after call
 * (every call `drift` slower than the one before, for both paths alike). Records which path each call took.
 */
function driftingOp(baseMs: number, compositeCost: number, drift: number) {
  const paths: ('F' | 'C')[] = [];
  const step = () => {
    const fused = kernelFor(PROBE) !== undefined;
    paths.push(fused ? 'F' : 'C');
    busyWait(baseMs * (fused ? 1 : compositeCost) * (1 + drift * paths.length));
    return tf.scalar(1);
  };
  return { step, paths };
}

describe('pairRatioSpread', () => {
  it('gives the median, linearly interpolated quartiles and extremes of composite[i] / fused[i]', () => {
    const s = pairRatioSpread([1, 1, 2, 1], [1, 2, 6, 4]);
    // Ratios 1, 2, 3, 4.
    expect(s).toEqual({ median: 2.5, q1: 1.75, q3: 3.25, min: 1, max: 4, pairs: 4 });
    expect(quantile([5], 0.25)).toBe(5);
  });

  it('refuses unpaired samples', () => {
    expect(() => pairRatioSpread([1, 2], [1])).toThrow(/as many fused as composite/);
    expect(() => pairRatioSpread([], [])).toThrow(/>= 1/);
  });
});

describe('measurePair', () => {
  it('samples the two paths in ABBA order after warming each up, and leaves fused ops on', async () => {
    registerFusedOp(PROBE, tf.getBackend(), () => []);
    const { step, paths } = driftingOp(0.2, 1, 0);
    const f = await measurePair(step, 4, 2);
    // Two warm-up calls per path (no accounted call off WebGPU), then pairs FC, CF, FC, CF of 2 calls a sample.
    expect(paths.join('')).toBe('FFCC' + 'FFCC' + 'CCFF' + 'FFCC' + 'CCFF');
    expect(f.pairRatio?.pairs).toBe(4);
    expect(f.fusedSamplesMs).toHaveLength(4);
    expect(kernelFor(PROBE)).toBeDefined();
  });

  it('reads a 2x faster fused path as 2x under a load that grows throughout, where timing one side after the other does not', async () => {
    registerFusedOp(PROBE, tf.getBackend(), () => []);
    const interleaved = driftingOp(3, 2, 0.08);
    const f = await measurePair(interleaved.step, 8, 2);
    expect(f.pairRatio!.median).toBeGreaterThan(1.8);
    expect(f.pairRatio!.median).toBeLessThan(2.2);

    // The same op timed one path after the other (as before): the composite side sees the later, heavier load.
    const sequential = driftingOp(3, 2, 0.08);
    const fusedMs = await timeIt(sequential.step, 8, 2, 2);
    setFusedOpsEnabled(false);
    const compositeMs = await timeIt(sequential.step, 8, 2, 2);
    setFusedOpsEnabled(true);
    expect(compositeMs / fusedMs).toBeGreaterThan(2.6);
  });
});
