import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../../src/cl/rng';
import { residualInto } from '../../../src/ops/spd_solve';

/**
 * A ridge system like the learner's: G = Phi^T Phi (float64 copy of the backend's float32 product) for
 * random-feature-like rows Phi (min(m, 256) x m, cos of Gaussian projections), C = Phi^T Y for k one-hot
 * classes, and a ridge shift of 1e-3 x trace(G) / m (condition numbers ~1e4, as in the learner).
 */
export async function gramProblem(m: number, k: number, seed: number): Promise<{ g: Float64Array; c: Float64Array; k: number; shift: number }> {
  const n = Math.min(m, 256) + 8;
  const rng = new SeededRandom(seed);
  const phi = new Float32Array(n * m);
  for (let i = 0; i < phi.length; i++) phi[i] = Math.cos(6.283185307 * rng.next()) * Math.sqrt(2 / m) + 0.3 * (rng.next() - 0.5) / Math.sqrt(m);
  const y = new Float32Array(n * k);
  for (let i = 0; i < n; i++) y[i * k + rng.int(k)] = 1;
  const [gv, cv] = await tf.tidy(() => {
    const p = tf.tensor2d(phi, [n, m]);
    return [tf.matMul(p, p, true, false), tf.matMul(p, tf.tensor2d(y, [n, k]), true, false)];
  }).reduce(async (acc, t) => {
    const out = await acc;
    out.push(Float64Array.from(await t.data()));
    t.dispose();
    return out;
  }, Promise.resolve([] as Float64Array[]));
  let trace = 0;
  for (let i = 0; i < m; i++) trace += gv[i * m + i];
  return { g: gv, c: cv, k, shift: (1e-3 * trace) / m };
}

/** ||C - (G + shift I) X||_F / ||C||_F in float64. */
export function relativeResidual(g: Float64Array, m: number, shift: number, x: Float64Array, c: Float64Array, k: number): number {
  const r = new Float64Array(m * k);
  const norm = residualInto(r, g, m, shift, x, c, k);
  let cn = 0;
  for (const v of c) cn += v * v;
  return norm / Math.sqrt(cn);
}
