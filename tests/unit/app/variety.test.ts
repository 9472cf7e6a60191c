import { describe, expect, it } from 'vitest';
import { MIN_VARIETY_PICTURES, embeddingVariety } from '../../../src/app/worker/variety';
import { seededRng } from '../../../src/util/rng';

/** `n` non-negative 1280-d vectors: a shared base plus per-vector noise of relative size `noise`. */
function pictures(n: number, noise: number, seed = 1): Float32Array[] {
  const r = seededRng(seed);
  const base = Float32Array.from({ length: 1280 }, () => r());
  return Array.from({ length: n }, () => Float32Array.from(base, (v) => Math.max(0, v + noise * (r() - 0.5) * 2)));
}

describe('embeddingVariety', () => {
  it('is 0 for identical pictures, whatever their scale', () => {
    const one = pictures(1, 0)[0];
    const same = Array.from({ length: 8 }, (_, i) => one.map((v) => v * (i + 1)));
    expect(embeddingVariety(same)).toBeCloseTo(0, 6);
  });

  it('grows with how much the pictures differ', () => {
    const small = embeddingVariety(pictures(20, 0.05))!;
    const large = embeddingVariety(pictures(20, 1))!;
    expect(small).toBeLessThan(0.02);
    expect(large).toBeGreaterThan(small * 10);
  });

  it('matches 1 - |mean| for two orthogonal directions (hand-computed: 1 - sqrt(1/2))', () => {
    const a = new Float32Array(4);
    a[0] = 1;
    const b = new Float32Array(4);
    b[1] = 3;
    const rows = [a, b, a, b, a, b];
    // Unequal counts would shift the mean; six rows, three each: mean (0.5, 0.5), |mean| = sqrt(0.5).
    expect(embeddingVariety(rows)).toBeCloseTo(1 - Math.sqrt(0.5), 6);
  });

  it('says nothing below the minimum number of pictures, zero vectors not counted', () => {
    expect(embeddingVariety(pictures(MIN_VARIETY_PICTURES - 1, 1))).toBeUndefined();
    const withZeros = [...pictures(MIN_VARIETY_PICTURES - 1, 1), new Float32Array(1280)];
    expect(embeddingVariety(withZeros)).toBeUndefined();
  });
});
