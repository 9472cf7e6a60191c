/** The learner's seeded generator: src/util/rng.ts's stream with integers and permutations on top, state one uint32. */
import { seededRng, type SeededRng } from '../util/rng';

/** A seeded PRNG whose whole state is one uint32, so a run can be repeated and resumed. */
export class SeededRandom {
  // Seed 0 starts from the golden-ratio state, as the learner always has (checkpoints and figures depend on it).
  private readonly rng: SeededRng;

  /** Starts the generator from a seed (any integer). */
  constructor(seed: number) {
    this.rng = seededRng(seed, { zeroSeed: 'golden' });
  }

  /** Next uniform number in [0, 1). */
  next = (): number => this.rng();

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher-Yates shuffle of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** The generator's state, to store in a checkpoint. */
  getState(): number {
    return this.rng.getState();
  }

  /** Restores a state from `getState()`. */
  setState(state: number): void {
    this.rng.setState(state);
  }
}
