/**
 * "Not sure" (src/app/worker/open-set.ts): on clustered ReLU-like embeddings with a linear head, the threshold
 * calibrated on held-out pictures (and on training pictures by their leave-one-out distances, which are as far as
 * held-out ones where in-sample ones are not) accepts about the asked share of new pictures of taught classes,
 * refuses pictures of clusters it never saw and a picture unlike any class, and accepts a held-out one.
 */
import { describe, expect, it } from 'vitest';
import { OpenSet, calibrate, energy, powerNormalise, scoreOf, type PictureScores } from '../../../src/app/worker/open-set';
import { lcgUniforms } from '../support/lcg';

/** A seeded generator of standard normals (Box-Muller on an LCG). */
function normals(seed: number): () => number {
  const u = lcgUniforms(seed);
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

const DIM = 64;
const gauss = normals(7);
/** Cluster centres: non-negative and sparse, like pooled ReLU features. */
const centres = Array.from({ length: 6 }, () => Float32Array.from({ length: DIM }, () => Math.max(0, gauss()) * 2));
const draw = (c: number) => Float32Array.from(centres[c], (v) => Math.max(0, v + 0.35 * gauss()));
const taught = [0, 1, 2, 3];
/** A linear head over the taught classes: the logit of class c is 4 x the cosine to its centre. */
const logits = (x: Float32Array) =>
  taught.map((c) => {
    let dot = 0;
    let nx = 0;
    let nc = 0;
    for (let i = 0; i < DIM; i++) {
      dot += x[i] * centres[c][i];
      nx += x[i] * x[i];
      nc += centres[c][i] * centres[c][i];
    }
    return (4 * dot) / Math.sqrt(nx * nc || 1);
  });
const measure = (openSet: OpenSet, x: Float32Array): PictureScores => {
  const l = logits(x);
  return openSet.scores(x, l, taught[l.indexOf(Math.max(...l))]);
};

describe('open set', () => {
  const training = taught.flatMap((c) => Array.from({ length: 40 }, () => ({ classId: c, embedding: draw(c) })));
  const openSet = new OpenSet(training);
  const heldOut = taught.flatMap((c) => Array.from({ length: 25 }, () => draw(c)));
  const calibration = calibrate(heldOut.map((x) => measure(openSet, x)), 0.9)!;
  const threshold = calibration.byScore.get('mahalanobis+energy')!.threshold;
  const score = (x: Float32Array) => scoreOf('mahalanobis+energy', measure(openSet, x), calibration.scales);

  it('accepts about the calibrated share of new pictures of taught classes and refuses never-taught clusters', () => {
    expect(calibration.byScore.get('mahalanobis+energy')!.pictures).toBe(100);
    expect(calibration.byScore.get('mahalanobis+energy')!.acceptRate).toBeGreaterThanOrEqual(0.88);
    const fresh = taught.flatMap((c) => Array.from({ length: 50 }, () => score(draw(c))));
    const trueAccept = fresh.filter((s) => s <= threshold).length / fresh.length;
    expect(trueAccept).toBeGreaterThan(0.82);
    expect(trueAccept).toBeLessThan(0.98);
    const unknown = [4, 5].flatMap((c) => Array.from({ length: 50 }, () => score(draw(c))));
    expect(unknown.filter((s) => s <= threshold).length / unknown.length).toBeLessThan(0.05);
  });

  it('calibrates on the training pictures too, by their leave-one-out distances: as far as held-out pictures, at least the asked share accepted', () => {
    const stored = openSet.leaveOneOut().map((s) => ({ mahalanobis: s.mahalanobis, energy: energy(logits(s.embedding)) }));
    expect(stored.length).toBe(160);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const heldOutDistance = mean(heldOut.map((x) => measure(openSet, x).mahalanobis));
    const inSample = mean(training.map((s) => measure(openSet, s.embedding).mahalanobis));
    const looDistance = mean(stored.map((s) => s.mahalanobis));
    // In-sample distances are optimistic; left out, a training picture is about as far as a held-out one.
    expect(heldOutDistance - inSample).toBeGreaterThan(3 * Math.abs(looDistance - heldOutDistance));
    const pooled = calibrate(heldOut.map((x) => measure(openSet, x)), 0.9, stored)!;
    const c = pooled.byScore.get('mahalanobis+energy')!;
    expect(c.pictures).toBe(260);
    expect(pooled.byScore.get('knn')!.pictures).toBe(100);
    const fresh = taught.flatMap((c) => Array.from({ length: 100 }, () => scoreOf('mahalanobis+energy', measure(openSet, draw(c)), pooled.scales)));
    const trueAccept = fresh.filter((s) => s <= c.threshold).length / fresh.length;
    expect(trueAccept).toBeGreaterThan(0.88);
    expect(trueAccept).toBeLessThan(0.99);
  });

  it('answers "Not sure" for a picture unlike any class and accepts a held-out picture', () => {
    const flat = new Float32Array(DIM).fill(1);
    expect(score(flat)).toBeGreaterThan(threshold);
    const heldOutScores = heldOut.map(score).sort((a, b) => a - b);
    // The median held-out picture is accepted, and so is every held-out picture of the lower 80 %.
    expect(heldOutScores[Math.floor(0.8 * heldOutScores.length)]).toBeLessThanOrEqual(threshold);
  });

  it('gives no calibration with too few held-out pictures and no nearest-picture score without pictures', () => {
    const small = new OpenSet([{ classId: 0, embedding: draw(0) }, { classId: 0, embedding: draw(0) }]);
    expect(calibrate([measure(small, draw(0))], 0.95)).toBeNull();
    expect(small.scores(draw(0), [0], 9).knn).toBe(Infinity);
    expect(small.has(9)).toBe(false);
  });

  it('computes the energy as -log sum exp and power-normalises to unit length', () => {
    expect(energy([0, 0])).toBeCloseTo(-Math.log(2), 12);
    expect(energy([1000, 0])).toBeCloseTo(-1000, 9);
    expect(energy([])).toBe(Infinity);
    const p = powerNormalise(Float32Array.from([4, 0, -9]));
    expect(Array.from(p)).toEqual([expect.closeTo(2 / Math.sqrt(13), 6), 0, expect.closeTo(-3 / Math.sqrt(13), 6)]);
  });
});
