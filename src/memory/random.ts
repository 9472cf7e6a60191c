/** Seeded randomness for the memory's sampling and eviction: src/util/rng.ts's generator, and integers from any `Random`. */
import { seededRng, type SeededRng } from '../util/rng';
import type { Random } from './types';

/** A seeded `Random` whose 32-bit state can be saved and restored (persisted with the project), so sampling resumes exactly. */
export type SeededRandom = SeededRng;

/** Creates a deterministic generator of uniform numbers in [0, 1) from a 32-bit seed (seed 0 used as is). */
export function seededRandom(seed: number): SeededRandom {
  return seededRng(seed);
}

/** A uniform integer in [0, n) from `rng`. */
export function randomInt(rng: Random, n: number): number {
  const i = Math.floor(rng() * n);
  // Guards against a generator that returns exactly 1.
  return i >= n ? n - 1 : i;
}
