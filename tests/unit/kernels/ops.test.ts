import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { distillationKL, ewcPenalty, fisherAccumulate } from '../../../src/ops';
import { useWasmBackend } from '../support/setup-wasm';
import { lcgValues } from '../support/lcg';

beforeAll(useWasmBackend);

/** Central finite difference of a scalar function of a flat parameter vector, in float64 arithmetic on top. */
async function finiteDifference(
  f: (p: Float32Array) => Promise<number>,
  p: Float32Array,
  h: number,
): Promise<Float64Array> {
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const plus = p.slice();
    const minus = p.slice();
    plus[i] += h;
    minus[i] -= h;
    g[i] = ((await f(plus)) - (await f(minus))) / (plus[i] - minus[i]);
  }
  return g;
}

describe('ewcPenalty', () => {
  it('is 0 at the anchor, whatever the Fisher', async () => {
    const theta = tf.tensor2d(lcgValues(12, 1), [3, 4]);
    const fisher = tf.tensor2d(lcgValues(12, 2).map(Math.abs), [3, 4]);
    const v = ewcPenalty([theta], [theta.clone()], [fisher], 1e4);
    expect((await v.data())[0]).toBe(0);
    tf.dispose([theta, fisher, v]);
  });

  it('equals (lambda/2) sum F (theta - anchor)^2 over several tensors', async () => {
    const p = [lcgValues(6, 3), lcgValues(5, 4)];
    const a = [lcgValues(6, 5), lcgValues(5, 6)];
    const f = [lcgValues(6, 7).map(Math.abs), lcgValues(5, 8).map(Math.abs)];
    let expected = 0;
    p.forEach((pi, k) => pi.forEach((v, i) => (expected += f[k][i] * (v - a[k][i]) ** 2)));
    expected *= 3 / 2;
    const v = ewcPenalty(
      p.map((x) => tf.tensor(x)),
      a.map((x) => tf.tensor(x)),
      f.map((x) => tf.tensor(x)),
      3,
    );
    expect((await v.data())[0]).toBeCloseTo(expected, 4);
  });

  it('has the gradient lambda F (theta - anchor), matching finite differences', async () => {
    const p0 = lcgValues(10, 11);
    const anchor = tf.tensor1d(lcgValues(10, 12));
    const fisher = tf.tensor1d(lcgValues(10, 13).map((v) => Math.abs(v) + 0.1));
    const lambda = 2.5;
    const theta = tf.variable(tf.tensor1d(p0));
    const { value, grads } = tf.variableGrads(() => ewcPenalty([theta], [anchor], [fisher], lambda), [theta]);
    const analytic = await grads[theta.name].data();
    const numeric = await finiteDifference(
      async (p) => {
        const t = tf.tensor1d(p);
        const v = ewcPenalty([t], [anchor], [fisher], lambda);
        const out = (await v.data())[0];
        tf.dispose([t, v]);
        return out;
      },
      p0,
      1e-2,
    );
    numeric.forEach((g, i) => expect(analytic[i]).toBeCloseTo(g, 2));
    tf.dispose([value, ...Object.values(grads), theta, anchor, fisher]);
  });

  it('refuses mismatched shapes and a negative lambda with a specific error', () => {
    const a = tf.zeros([2, 2]);
    const b = tf.zeros([2, 3]);
    expect(() => ewcPenalty([a], [b], [a], 1)).toThrow(/anchors\[0\] has shape \[2x3\], expected \[2x2\]/);
    expect(() => ewcPenalty([a], [a], [a], -1)).toThrow(/lambda/);
    expect(() => ewcPenalty([a], [], [], 1)).toThrow(/1 parameter tensors but 0 anchors/);
    tf.dispose([a, b]);
  });
});

describe('fisherAccumulate', () => {
  it('computes gamma F + scale g^2 (online EWC decay)', async () => {
    const f = tf.tensor1d([1, 2, 4]);
    const g = tf.tensor1d([1, -2, 0.5]);
    const [out] = fisherAccumulate([f], [g], 0.5, 0.25);
    expect(Array.from(await out.data())).toEqual([0.5 + 0.25, 1 + 1, 2 + 0.0625]);
    tf.dispose([f, g, out]);
  });

  it('decays geometrically when the gradient is zero', async () => {
    let f = tf.ones([4]);
    const zero = tf.zeros([4]);
    for (let i = 0; i < 5; i++) {
      const [next] = fisherAccumulate([f], [zero], 0.7, 1);
      f.dispose();
      f = next;
    }
    (await f.data()).forEach((v) => expect(v).toBeCloseTo(0.7 ** 5, 6));
    tf.dispose([f, zero]);
  });
});

describe('distillationKL', () => {
  it('is 0 when the student equals the teacher', async () => {
    const z = tf.tensor2d(lcgValues(4 * 6, 21, 5), [4, 6]);
    for (const T of [1, 2, 5]) {
      const v = distillationKL(z, z, T);
      expect(Math.abs((await v.data())[0])).toBeLessThan(1e-6);
      v.dispose();
    }
    z.dispose();
  });

  it('matches T^2 * mean KL computed by hand, on the old columns only', async () => {
    const s = [
      [1, 2, 3, 10],
      [0, -1, 0.5, -10],
    ];
    const t = [
      [2, 0, 1],
      [1, 1, -1],
    ];
    const T = 2;
    let expected = 0;
    for (let b = 0; b < 2; b++) {
      const soft = (row: number[]) => {
        const e = row.slice(0, 3).map((v) => Math.exp(v / T));
        const z = e.reduce((a, c) => a + c, 0);
        return e.map((v) => v / z);
      };
      const ps = soft(s[b]);
      const pt = soft(t[b]);
      expected += pt.reduce((a, p, c) => a + p * Math.log(p / ps[c]), 0);
    }
    expected = (T * T * expected) / 2;
    const v = distillationKL(tf.tensor2d(s), tf.tensor2d(t), T, 3);
    expect((await v.data())[0]).toBeCloseTo(expected, 5);
  });

  it('has a gradient matching finite differences, zero on new columns', async () => {
    const B = 3;
    const C = 5;
    const cols = 4;
    const s0 = lcgValues(B * C, 31, 3);
    const teacher = tf.tensor2d(lcgValues(B * cols, 32, 3), [B, cols]);
    const T = 2;
    const student = tf.variable(tf.tensor2d(s0, [B, C]));
    const { value, grads } = tf.variableGrads(() => distillationKL(student, teacher, T, cols), [student]);
    const analytic = await grads[student.name].data();
    const numeric = await finiteDifference(
      async (p) => {
        const st = tf.tensor2d(p, [B, C]);
        const v = distillationKL(st, teacher, T, cols);
        const out = (await v.data())[0];
        tf.dispose([st, v]);
        return out;
      },
      s0,
      1e-2,
    );
    numeric.forEach((g, i) => expect(analytic[i]).toBeCloseTo(g, 2));
    for (let b = 0; b < B; b++) expect(analytic[b * C + 4]).toBe(0);
    tf.dispose([value, ...Object.values(grads), student, teacher]);
  });

  it('refuses bad shapes and temperatures', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([3, 3]);
    expect(() => distillationKL(a as tf.Tensor2D, b as tf.Tensor2D, 2)).toThrow(/batch sizes differ/);
    expect(() => distillationKL(a as tf.Tensor2D, a as tf.Tensor2D, 0)).toThrow(/temperature/);
    expect(() => distillationKL(a as tf.Tensor2D, a as tf.Tensor2D, 2, 4)).toThrow(/columns 4 out of range/);
    tf.dispose([a, b]);
  });
});
