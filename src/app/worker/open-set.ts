/**
 * "Not sure": an open-set test in the backbone's feature space. A picture is accepted as its top class when its
 * embedding is close enough to that class's stored training pictures: the mean cosine distance to its K nearest
 * ones, divided by the class's own spread (the same distance of each stored picture to its class neighbours, median).
 * The threshold is calibrated on the held-out pictures (never trained on): the `acceptRate` quantile of their
 * scores, so about that share of pictures of taught classes is accepted and farther ones answer "Not sure".
 */
import type { Prediction } from '../protocol';
import { SETTINGS, acceptsValue } from '../shared/settings';
import type { EngineModel } from './engine-contract';
import { TiedGaussian } from './feature-gaussian';
import type { ProjectView } from './project-view';

/** Neighbours averaged per distance. */
const K = 3;
/** Fewer held-out pictures than this: no calibration (every answer is accepted). */
export const MIN_CALIBRATION_PICTURES = 4;

/** Stored training pictures of one class, L2-normalised, and the class's spread. */
interface ClassReferences {
  rows: Float32Array[];
  /** Median over the class's pictures of their distance to the other pictures of the class (> 0). */
  spread: number;
}

/** A calibrated open-set test. */
export interface OpenSetCalibration {
  /** Scores above this answer "Not sure". */
  threshold: number;
  /** The share of held-out pictures of taught classes accepted at this threshold. */
  acceptRate: number;
  /** Held-out pictures the threshold was calibrated on. */
  pictures: number;
}

/** The embedding scaled to unit length (a zero vector stays zero). */
export function normalise(x: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return x.map((v) => v * inv);
}

/** Cosine distance of two unit vectors. */
function distance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return 1 - dot;
}

/** Mean of the K smallest distances from `q` to `rows` (skipping index `skip`). */
function meanNearest(q: Float32Array, rows: readonly Float32Array[], skip = -1): number {
  const best: number[] = [];
  rows.forEach((r, i) => {
    if (i === skip) return;
    const d = distance(q, r);
    if (best.length < K) best.push(d);
    else {
      const worst = best.indexOf(Math.max(...best));
      if (d < best[worst]) best[worst] = d;
    }
  });
  return best.length ? best.reduce((a, b) => a + b, 0) / best.length : Infinity;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

/** The `q` quantile (0..1) of `values`, linearly interpolated. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('No values to take a quantile of');
  const s = [...values].sort((a, b) => a - b);
  const pos = Math.min(1, Math.max(0, q)) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** The open-set scores: K-nearest cosine distance over the class's spread, or Mahalanobis (feature-gaussian.ts). */
export type OpenSetScore = 'knn' | 'mahalanobis-1' | 'mahalanobis-0.1' | 'mahalanobis-0.01';
/** Every score, for bench:app's comparison; the app answers with DEFAULT_SCORE. */
export const OPEN_SET_SCORES: readonly OpenSetScore[] = ['knn', 'mahalanobis-1', 'mahalanobis-0.1', 'mahalanobis-0.01'];
/** The score the app uses. */
export const DEFAULT_SCORE: OpenSetScore = 'knn';
/** Pictures the shared covariance is estimated from at most (its Gram matrix is n x n). */
const MAX_GAUSSIAN_ROWS = 600;

/** Class references built from stored training pictures, and the per-picture score against them. */
export class OpenSet {
  private readonly classes = new Map<number, ClassReferences>();
  private readonly gaussians = new Map<OpenSetScore, TiedGaussian>();

  /** `training`: the stored training pictures (embeddings) of the learned classes. */
  constructor(training: readonly { classId: number; embedding: Float32Array }[]) {
    const byClass = new Map<number, Float32Array[]>();
    for (const s of training) {
      const rows = byClass.get(s.classId) ?? [];
      rows.push(normalise(s.embedding));
      byClass.set(s.classId, rows);
    }
    const spreads: number[] = [];
    for (const [id, rows] of byClass) {
      const spread = rows.length > 1 ? median(rows.map((r, i) => meanNearest(r, rows, i))) : NaN;
      if (Number.isFinite(spread) && spread > 0) spreads.push(spread);
      this.classes.set(id, { rows, spread });
    }
    // A class with one picture (or identical ones) borrows the typical spread of the others.
    const fallback = spreads.length ? median(spreads) : 1;
    for (const c of this.classes.values()) if (!(Number.isFinite(c.spread) && c.spread > 0)) c.spread = fallback;
    const rows = [...byClass].flatMap(([classId, xs]) => xs.map((x) => ({ classId, x })));
    const stride = Math.max(1, Math.ceil(rows.length / MAX_GAUSSIAN_ROWS));
    const kept = rows.filter((_, i) => i % stride === 0);
    if (kept.length > 1)
      for (const kind of OPEN_SET_SCORES)
        if (kind !== 'knn') this.gaussians.set(kind, new TiedGaussian(kept, Number(kind.split('-')[1])));
  }

  /** Whether `classId` has stored pictures to compare with. */
  has(classId: number): boolean {
    return this.classes.has(classId);
  }

  /** How far `embedding` is from class `classId` by score `kind` (Infinity: no pictures). */
  score(embedding: Float32Array, classId: number, kind: OpenSetScore = DEFAULT_SCORE): number {
    const c = this.classes.get(classId);
    if (!c) return Infinity;
    if (kind === 'knn') return meanNearest(normalise(embedding), c.rows) / c.spread;
    return this.gaussians.get(kind)?.distance(normalise(embedding), classId) ?? Infinity;
  }

  /**
   * The threshold accepting `acceptRate` of the held-out pictures, each scored against the class the model
   * predicted for it (as at prediction time); null with fewer than MIN_CALIBRATION_PICTURES.
   */
  calibrate(
    heldOut: readonly { embedding: Float32Array; predicted: number }[],
    acceptRate: number,
    kind: OpenSetScore = DEFAULT_SCORE,
  ): OpenSetCalibration | null {
    const scores = heldOut.filter((s) => this.has(s.predicted)).map((s) => this.score(s.embedding, s.predicted, kind));
    if (scores.length < MIN_CALIBRATION_PICTURES) return null;
    const threshold = quantile(scores, acceptRate);
    const accepted = scores.filter((s) => s <= threshold).length / scores.length;
    return { threshold, acceptRate: accepted, pictures: scores.length };
  }
}

/** A built test with its calibration for the app's score and for every score. */
interface CachedOpenSet {
  openSet: OpenSet;
  calibration: OpenSetCalibration | null;
  calibrations: Map<OpenSetScore, OpenSetCalibration | null>;
}

/** The open-set test of the current model, rebuilt only when the rounds, classes or stored pictures change. */
export class OpenSetCache {
  private key = '';
  private value: CachedOpenSet | null = null;

  /** The test and its calibration at `acceptRate` for `model` on `view`'s stored pictures. */
  async get(model: EngineModel, view: ProjectView, acceptRate: number): Promise<CachedOpenSet> {
    const learned = view.learnedLabels();
    const live = [...view.classes.keys()].filter((id) => learned.has(id) && id < model.numOutputs);
    const liveSet = new Set(live);
    const training = view.trainingSamples().filter((s) => liveSet.has(s.classId) && s.replay === 1);
    const heldOut = view.heldOutSamples(liveSet, model.numOutputs);
    const key = `${view.rounds.length}|${live.join(',')}|${training.length}|${heldOut.map((s) => s.id).join(',')}|${acceptRate}`;
    if (this.value && key === this.key) return this.value;
    const openSet = new OpenSet(training);
    const calibrations = new Map<OpenSetScore, OpenSetCalibration | null>();
    if (heldOut.length > 0) {
      const dim = heldOut[0].embedding.length;
      const x = new Float32Array(heldOut.length * dim);
      heldOut.forEach((s, i) => x.set(s.embedding, i * dim));
      const probs = await model.predictProba(x, heldOut.length);
      const k = model.numOutputs;
      const predicted = heldOut.map((s, i) => {
        let best = live[0];
        for (const c of live) if (probs[i * k + c] > probs[i * k + best]) best = c;
        return { embedding: s.embedding, predicted: best };
      });
      for (const kind of OPEN_SET_SCORES) calibrations.set(kind, openSet.calibrate(predicted, acceptRate, kind));
    }
    this.key = key;
    this.value = { openSet, calibration: calibrations.get(DEFAULT_SCORE) ?? null, calibrations };
    return this.value;
  }

  /**
   * The open-set answer for one embedding whose top class is `top`: "Not sure" when its score is above the
   * threshold calibrated at `acceptRate` (default: the settings table's); never with 1 or without a calibration.
   */
  async answer(
    model: EngineModel,
    view: ProjectView,
    embedding: Float32Array,
    top: string | null,
    acceptRate: number = SETTINGS.notSureAccept.default,
  ): Promise<Pick<Prediction, 'notSure' | 'openSet'>> {
    if (!acceptsValue('notSureAccept', acceptRate)) throw new Error(`"Not sure" must accept a share of 0.5 to 1 of the known pictures, got ${acceptRate}`);
    const { openSet, calibration, calibrations } = await this.get(model, view, acceptRate);
    if (top === null || !calibration || acceptRate >= 1) return { notSure: false };
    const score = openSet.score(embedding, Number(top));
    // Every score with its own calibrated threshold: bench:app compares them on classes never taught.
    const variants: Record<string, { score: number; threshold: number }> = {};
    for (const [kind, c] of calibrations) if (c) variants[kind] = { score: openSet.score(embedding, Number(top), kind), threshold: c.threshold };
    return {
      notSure: score > calibration.threshold,
      openSet: { score, threshold: calibration.threshold, calibrationPictures: calibration.pictures, variants },
    };
  }

  /** Forgets the cached test (model replaced). */
  clear(): void {
    this.key = '';
    this.value = null;
  }
}
