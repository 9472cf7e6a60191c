/** The project's one seeded generator (mulberry32): its whole state is one uint32, so a run can be saved and resumed. */

/** A seeded uniform generator of numbers in [0, 1) whose state can be read and restored. */
export interface SeededRng {
  /** The next uniform number in [0, 1). */
  (): number;
  /** The current state (a uint32), to save with a checkpoint or a project. */
  getState(): number;
  /** Restores a state returned by `getState()` (taken as a uint32, used as is). */
  setState(state: number): void;
}

/**
 * The state some callers start from in place of seed 0 (the golden-ratio constant, 2^32 / phi). Only the learner
 * (src/cl/rng.ts) and the MNIST benchmark use it, and only so their seed-0 streams stay what they always were.
 */
export const ZERO_SEED_STATE = 0x9e3779b9;

/**
 * A generator started from `seed` (any integer, taken modulo 2^32). With `zeroSeed: 'golden'`, seed 0 starts from
 * `ZERO_SEED_STATE` instead; every other seed gives the same stream either way.
 */
export function seededRng(seed: number, options: { zeroSeed?: 'as-is' | 'golden' } = {}): SeededRng {
  let state = seed >>> 0;
  if (state === 0 && options.zeroSeed === 'golden') state = ZERO_SEED_STATE;
  // mulberry32 (Tommy Ettinger, public domain): a Weyl-sequence state and a 32-bit mix, period 2^32.
  const next = (() => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as SeededRng;
  next.getState = () => state;
  next.setState = (s: number) => {
    state = s >>> 0;
  };
  return next;
}
