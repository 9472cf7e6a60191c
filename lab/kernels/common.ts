/** Shared helpers of the kernels lab: seeded inputs, variables, elementwise comparison, parameter shapes. */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../src/cl';

/** Seeded uniform numbers in [0, 1) (the engine's generator), so fused and reference runs see the same inputs. */
export function rng(seed: number): () => number {
  return new SeededRandom(seed).next;
}


/** n values, uniform in [lo, hi). */
export function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}


/** Variables of a two-layer MLP [d0 -> d1 -> d2] (kernel, bias, kernel, bias), uniform in [-scale, scale). */
export function randomMlp(
  rand: () => number,
  dims: number[],
  scale: number,
): { shapes: number[][]; vars: tf.Variable[] } {
  const shapes = [[dims[0], dims[1]], [dims[1]], [dims[1], dims[2]], [dims[2]]];
  const vars = shapes.map((s) =>
    variableOf(
      uniform(
        rand,
        s.reduce((a, b) => a * b, 1),
        -scale,
        scale,
      ),
      s,
    ),
  );
  return { shapes, vars };
}

/** A variable holding `values` (the temporary tensor it is made from is freed, so nothing leaks). */
export function variableOf(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape)));
}

/** Summary of an elementwise comparison: worst error and how many elements broke the tolerance. */
export interface Comparison {
  n: number;
  maxAbs: number;
  violations: number;
  firstBad: number;
  nanMismatch: number;
}

/** Compares `got` with `want` elementwise: |got-want| <= atol + rtol*|want|; NaN/Inf must match exactly. */
export function compare(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number): Comparison {
  const r: Comparison = { n: want.length, maxAbs: 0, violations: 0, firstBad: -1, nanMismatch: 0 };
  if (got.length !== want.length) return { ...r, violations: Math.max(got.length, want.length), firstBad: 0 };
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    let bad: boolean;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      bad = !(Number.isNaN(w) && Number.isNaN(g));
      if (bad) r.nanMismatch++;
    } else if (!Number.isFinite(w) || !Number.isFinite(g)) {
      bad = g !== w;
    } else {
      const e = Math.abs(g - w);
      r.maxAbs = Math.max(r.maxAbs, e);
      bad = e > atol + rtol * Math.abs(w);
    }
    if (bad) {
      r.violations++;
      if (r.firstBad < 0) r.firstBad = i;
    }
  }
  return r;
}

/** Splits `total` elements into parameter-like shapes: several 2-D and 1-D tensors and one empty tensor. */
export function paramShapes(total: number, parts: number): number[][] {
  if (total <= 1 || parts <= 1) return [[total]];
  const shapes: number[][] = [];
  let left = total;
  for (let k = 0; k < parts - 1 && left > 1; k++) {
    const size = Math.max(1, Math.floor(left / 2));
    // 2-D when it factors nicely (a weight matrix), 1-D otherwise (a bias).
    const cols = [64, 32, 8, 7, 3].find((c) => size % c === 0 && size > c);
    shapes.push(cols ? [size / cols, cols] : [size]);
    left -= size;
  }
  shapes.push([left]);
  shapes.splice(1, 0, [0, 4]);
  return shapes;
}

/** Reads tensors back and lays their values end to end. */
export async function readAll(ts: tf.Tensor[]): Promise<Float32Array> {
  const parts = await Promise.all(ts.map((t) => t.data() as Promise<Float32Array>));
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Whether two scalars agree within `rtol` (NaN and Inf must match exactly). */
export function scalarsAgree(a: number, b: number, rtol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-6 + rtol * Math.abs(b);
}
