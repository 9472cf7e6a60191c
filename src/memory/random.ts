import type { Random } from './types';

/** A seeded `Random` (mulberry32) whose 32-bit state can be saved and restored, so sampling resumes exactly. */
export interface SeededRandom extends Random {
  /** The current internal state (a uint32), to persist with the project. */
  getState(): number;
  /** Restores a state previously returned by `getState()`. */
  setState(state: number): void;
}

/** Creates a deterministic generator of uniform numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (() => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as SeededRandom;
  next.getState = () => state;
  next.setState = (s: number) => {
    state = s >>> 0;
  };
  return next;
}

/** A uniform integer in [0, n) from `rng`. */
export function randomInt(rng: Random, n: number): number {
  const i = Math.floor(rng() * n);
  // Guards against a generator that returns exactly 1.
  return i >= n ? n - 1 : i;
}
