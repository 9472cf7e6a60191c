/**
 * "Not sure" (src/app/worker/open-set.ts): on clustered embeddings, the threshold calibrated on held-out pictures
 * accepts the asked share of them, accepts new pictures of taught classes at about that rate, and refuses pictures
 * of a cluster it never saw; the quantile is the textbook one.
 */
import { describe, expect, it } from 'vitest';
import { OpenSet, quantile } from '../../../src/app/worker/open-set';

/** A seeded generator of standard normals (Box-Muller on an LCG). */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

const DIM = 64;
const gauss = normals(7);
/** Cluster centres: non-negative, like ReLU features. */
const centres = Array.from({ length: 6 }, () => Float32Array.from({ length: DIM }, () => Math.abs(gauss()) * 2));
const draw = (c: number) => Float32Array.from(centres[c], (v) => Math.max(0, v + 0.35 * gauss()));

describe('open set', () => {
  it('accepts the calibrated share of taught pictures and refuses a never-taught cluster', () => {
    const taught = [0, 1, 2, 3];
    const training = taught.flatMap((c) => Array.from({ length: 40 }, () => ({ classId: c, embedding: draw(c) })));
    const openSet = new OpenSet(training);
    const heldOut = taught.flatMap((c) => Array.from({ length: 25 }, () => ({ embedding: draw(c), predicted: c })));
    const calibration = openSet.calibrate(heldOut, 0.9)!;
    expect(calibration.pictures).toBe(100);
    expect(calibration.acceptRate).toBeGreaterThanOrEqual(0.9);
    expect(calibration.acceptRate).toBeLessThanOrEqual(0.92);

    const fresh = taught.flatMap((c) => Array.from({ length: 50 }, () => openSet.score(draw(c), c)));
    const trueAccept = fresh.filter((s) => s <= calibration.threshold).length / fresh.length;
    expect(trueAccept).toBeGreaterThan(0.8);
    // Pictures of clusters 4 and 5, scored against the taught class nearest to them in the test's own terms.
    const unknown = [4, 5].flatMap((c) =>
      Array.from({ length: 50 }, () => {
        const x = draw(c);
        return Math.min(...taught.map((k) => openSet.score(x, k)));
      }),
    );
    const falseAccept = unknown.filter((s) => s <= calibration.threshold).length / unknown.length;
    expect(falseAccept).toBeLessThan(0.05);
  });

  it('gives no calibration with too few held-out pictures and scores an unknown class as infinitely far', () => {
    const openSet = new OpenSet([{ classId: 0, embedding: draw(0) }, { classId: 0, embedding: draw(0) }]);
    expect(openSet.calibrate([{ embedding: draw(0), predicted: 0 }], 0.95)).toBeNull();
    expect(openSet.score(draw(0), 9)).toBe(Infinity);
  });

  it('takes interpolated quantiles and refuses an empty list', () => {
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5);
    expect(() => quantile([], 0.5)).toThrow(/No values/);
  });
});
