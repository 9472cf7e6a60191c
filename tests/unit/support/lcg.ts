/**
 * The tests' one small seeded generator (Numerical Recipes' LCG): fixed streams for test inputs, distinct from the
 * app's seededRng so that changing the app's generator never changes a test's data.
 */

/** The LCG's uint32 states after `seed`, one per call. */
export function lcgStates(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** Uniforms strictly inside (0, 1): each state's cell centre. */
export function lcgUniforms(seed: number): () => number {
  const next = lcgStates(seed);
  return () => (next() + 0.5) / 2 ** 32;
}

/** n values in [-scale, scale) from the LCG's states after `seed`. */
export function lcgValues(n: number, seed: number, scale = 1): Float32Array {
  const next = lcgStates(seed);
  return Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * 2 * scale);
}
