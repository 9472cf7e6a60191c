/**
 * "Not sure": an open-set test on the frozen backbone's features and the head's logits. A picture is accepted when
 * it is familiar by two measures, each standardised by its mean and spread over the held-out pictures and summed:
 *  - the relative Mahalanobis distance (feature-gaussian.ts; Ren et al. 2021) of its power-normalised embedding
 *    (signed square root, then unit length: ReLU features are sparse and skewed, and the square root makes them
 *    closer to the Gaussian the distance assumes; Perronnin et al. 2010, Hu et al. 2021) to the nearest class;
 *  - the head's energy, -log sum exp of its logits over the live classes (Liu et al. 2020): low when some class
 *    fits the picture well.
 * The threshold is calibrated (open-set-calibration.ts: a tolerance bound, so at least the `acceptRate` share of new
 * pictures of taught classes is accepted with 95 % confidence; the rest answer "Not sure") on every stored picture,
 * not only the held-out ones (~1 in 5): a held-out picture as it is, a training picture by its leave-one-out
 * Mahalanobis distance (feature-gaussian.ts: the distance a fit without it gives, so it is as new to the Gaussians
 * as a held-out one) and its energy moved by the difference of the two groups' mean energies (the head was trained
 * on them, so their energies sit lower than a new picture's); the energy's spread is taken over both groups. Five
 * times the pictures make the threshold's accepted share ~2x steadier. The older
 * nearest-neighbour score (cosine distance to the top class's K nearest pictures over the class's spread) and
 * each measure alone are reported beside it for bench:app.
 */
import type { Prediction } from '../protocol';
import { SETTINGS, acceptsValue } from '../shared/settings';
import { embeddingsOf } from './embeddings';
import type { EngineModel } from './engine-contract';
import { RelativeMahalanobis } from './feature-gaussian';
import { MIN_CALIBRATION_PICTURES, acceptThreshold, standardisation, type Standardisation } from './open-set-calibration';
import type { ProjectView } from './project-view';

export { MIN_CALIBRATION_PICTURES, quantile } from './open-set-calibration';

/** Neighbours averaged per distance (the 'knn' score). */
const K = 3;
/** Shrinkage of the feature covariance: lambda = SHRINKAGE x its mean eigenvalue (half sample, half isotropic). */
const SHRINKAGE = 1;
/** Pictures the Gaussians are estimated from at most (their Gram matrices are n x n). */
const MAX_GAUSSIAN_ROWS = 600;

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
  /** The share of the calibration pictures accepted at this threshold. */
  acceptRate: number;
  /** Pictures the threshold was calibrated on (held-out and, for the Mahalanobis scores, training pictures). */
  pictures: number;
}

/** The embedding scaled to unit length (a zero vector stays zero). */
export function normalise(x: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return x.map((v) => v * inv);
}

/** Power normalisation: the signed square root of each feature, then unit length. */
export function powerNormalise(x: Float32Array): Float32Array {
  return normalise(x.map((v) => Math.sign(v) * Math.sqrt(Math.abs(v))));
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

/** -log sum exp of the logits: the head's energy (lower: a class fits the picture better). */
export function energy(logits: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  if (!Number.isFinite(max)) return Infinity;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return -(max + Math.log(sum));
}

/** The open-set scores; higher is farther from what was taught. The app answers with DEFAULT_SCORE. */
export type OpenSetScore = 'mahalanobis+energy' | 'mahalanobis' | 'energy' | 'knn';
/** Every score, for bench:app's comparison. */
export const OPEN_SET_SCORES: readonly OpenSetScore[] = ['mahalanobis+energy', 'mahalanobis', 'energy', 'knn'];
/** The score the app uses. */
export const DEFAULT_SCORE: OpenSetScore = 'mahalanobis+energy';

/** One picture's measures, each higher when the picture is less like what was taught. */
export interface PictureScores {
  /** Relative Mahalanobis distance of the power-normalised embedding to the nearest class. */
  mahalanobis: number;
  /** The head's energy over the live classes. */
  energy: number;
  /** Mean cosine distance to the top class's K nearest stored pictures, over the class's spread. */
  knn: number;
}

/** How the two measures of the default score are put on one scale: by their held-out mean and spread. */
export interface ScoreScales {
  mahalanobis: Standardisation;
  energy: Standardisation;
}

/** The value of score `kind` for a picture's measures (`scales`: the held-out pictures', for the sum). */
export function scoreOf(kind: OpenSetScore, s: PictureScores, scales: ScoreScales): number {
  if (kind !== 'mahalanobis+energy') return s[kind];
  return (s.mahalanobis - scales.mahalanobis.mean) / scales.mahalanobis.sd + (s.energy - scales.energy.mean) / scales.energy.sd;
}

/** Every score's calibration on the held-out pictures, and the scales of the summed score. */
export interface OpenSetCalibrations {
  scales: ScoreScales;
  byScore: Map<OpenSetScore, OpenSetCalibration>;
}

/** A training picture's measures for calibration: its leave-one-out Mahalanobis distance and the head's energy. */
export interface StoredScores {
  mahalanobis: number;
  energy: number;
}

/** Scores that training pictures calibrate too: those with no nearest-picture part (knn is held-out only). */
const POOLED_SCORES: ReadonlySet<OpenSetScore> = new Set(['mahalanobis+energy', 'mahalanobis']);

/**
 * Calibrates every score: the threshold accepting at least `acceptRate` of new pictures like the held-out pictures
 * (and, for the Mahalanobis scores, the training pictures' `stored` leave-one-out measures); null with fewer than
 * MIN_CALIBRATION_PICTURES held-out pictures.
 */
export function calibrate(heldOut: readonly PictureScores[], acceptRate: number, stored: readonly StoredScores[] = []): OpenSetCalibrations | null {
  const usable = heldOut.filter((s) => Number.isFinite(s.mahalanobis) && Number.isFinite(s.energy) && Number.isFinite(s.knn));
  if (usable.length < MIN_CALIBRATION_PICTURES) return null;
  const finite = stored.filter((s) => Number.isFinite(s.mahalanobis) && Number.isFinite(s.energy));
  const training = finite.length > 1 ? finite : [];
  // The head was trained on the training pictures, so their energies sit lower than a new picture's: each group is
  // centred on its own mean (a new picture on the held-out pictures'), and the spread is taken over both groups.
  const heldOutEnergy = standardisation(usable.map((s) => s.energy)).mean;
  const trainingEnergy = training.length ? standardisation(training.map((s) => s.energy)).mean : 0;
  const energyDeviations = [...usable.map((s) => s.energy - heldOutEnergy), ...training.map((s) => s.energy - trainingEnergy)];
  const scales = {
    mahalanobis: standardisation([...usable, ...training].map((s) => s.mahalanobis)),
    energy: { mean: heldOutEnergy, sd: standardisation(energyDeviations).sd },
  };
  const trainingScore = (kind: OpenSetScore, s: StoredScores) =>
    kind === 'mahalanobis' ? s.mahalanobis : scoreOf(kind, { ...s, energy: s.energy - trainingEnergy + heldOutEnergy, knn: NaN }, scales);
  const byScore = new Map<OpenSetScore, OpenSetCalibration>();
  for (const kind of OPEN_SET_SCORES) {
    const scores = usable.map((s) => scoreOf(kind, s, scales));
    if (POOLED_SCORES.has(kind)) for (const s of training) scores.push(trainingScore(kind, s));
    const threshold = acceptThreshold(scores, acceptRate);
    byScore.set(kind, { threshold, acceptRate: scores.filter((v) => v <= threshold).length / scores.length, pictures: scores.length });
  }
  return { scales, byScore };
}

/** The reference pictures of the taught classes and a picture's measures against them. */
export class OpenSet {
  private readonly classes = new Map<number, ClassReferences>();
  private readonly gaussian: RelativeMahalanobis | null;
  /** The training pictures the Gaussians are fitted on. */
  private readonly gaussianRows: readonly { classId: number; embedding: Float32Array }[];

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
    // Every stride-th picture when there are many: the Gaussians' cost grows with the square of their pictures.
    const stride = Math.max(1, Math.ceil(training.length / MAX_GAUSSIAN_ROWS));
    this.gaussianRows = training.filter((_, i) => i % stride === 0);
    const kept = this.gaussianRows.map((s) => ({ classId: s.classId, x: powerNormalise(s.embedding) }));
    this.gaussian = kept.length > 1 ? new RelativeMahalanobis(kept, SHRINKAGE) : null;
  }

  /**
   * The training pictures the Gaussians were fitted on, each with its leave-one-out relative Mahalanobis distance
   * (those of a class with one picture left out: there is no class without it).
   */
  leaveOneOut(): { embedding: Float32Array; mahalanobis: number }[] {
    if (!this.gaussian) return [];
    const distances = this.gaussian.leaveOneOut();
    return this.gaussianRows.map((s, i) => ({ embedding: s.embedding, mahalanobis: distances[i] })).filter((s) => Number.isFinite(s.mahalanobis));
  }

  /** Whether `classId` has stored pictures to compare with. */
  has(classId: number): boolean {
    return this.classes.has(classId);
  }

  /** The measures of one picture: `logits` the head's over the live classes, `top` its best class. */
  scores(embedding: Float32Array, logits: ArrayLike<number>, top: number): PictureScores {
    const c = this.classes.get(top);
    return {
      mahalanobis: this.gaussian ? this.gaussian.distance(powerNormalise(embedding)) : Infinity,
      energy: energy(logits),
      knn: c ? meanNearest(normalise(embedding), c.rows) / c.spread : Infinity,
    };
  }
}

/** A built test with its calibrations, and the classes whose logits it reads. */
interface CachedOpenSet {
  openSet: OpenSet;
  calibrations: OpenSetCalibrations | null;
  /** Live class ids (learned, existing, with a column in the head), in the order their logits are read. */
  live: number[];
}

/** The logits of row `row` of `logits` (numOutputs wide) at the live classes' columns. */
function liveLogits(logits: Float32Array, row: number, numOutputs: number, live: readonly number[]): Float64Array {
  return Float64Array.from(live, (c) => logits[row * numOutputs + c]);
}

/** The open-set test of the current model, rebuilt only when the rounds, classes or stored pictures change. */
export class OpenSetCache {
  private key = '';
  private value: CachedOpenSet | null = null;

  /** The test and its calibrations at `acceptRate` for `model` on `view`'s stored pictures. */
  async get(model: EngineModel, view: ProjectView, acceptRate: number): Promise<CachedOpenSet> {
    const learned = view.learnedLabels();
    const live = [...view.classes.keys()].filter((id) => learned.has(id) && id < model.numOutputs);
    const liveSet = new Set(live);
    const training = view.trainingSamples().filter((s) => liveSet.has(s.classId) && s.replay === 1);
    const heldOut = view.heldOutSamples(liveSet, model.numOutputs);
    const key = `${view.rounds.length}|${live.join(',')}|${training.length}|${heldOut.map((s) => s.id).join(',')}|${acceptRate}`;
    if (this.value && key === this.key) return this.value;
    const openSet = new OpenSet(training);
    let calibrations: OpenSetCalibrations | null = null;
    if (heldOut.length > 0 && live.length > 0) {
      const dim = heldOut[0].embedding.length;
      const logits = await model.predictLogits(embeddingsOf(heldOut, dim), heldOut.length);
      // Each held-out picture is measured as at prediction time: against the class the model predicts for it.
      const measured = heldOut.map((s, i) => {
        const row = liveLogits(logits, i, model.numOutputs, live);
        const top = live[row.indexOf(Math.max(...row))];
        return openSet.scores(s.embedding, row, top);
      });
      // The training pictures by their leave-one-out distances, and the energies the head gives them.
      const stored = openSet.leaveOneOut();
      const storedLogits = stored.length ? await model.predictLogits(embeddingsOf(stored, dim), stored.length) : new Float32Array(0);
      const storedScores = stored.map((s, i) => ({ mahalanobis: s.mahalanobis, energy: energy(liveLogits(storedLogits, i, model.numOutputs, live)) }));
      calibrations = calibrate(measured, acceptRate, storedScores);
    }
    this.key = key;
    this.value = { openSet, calibrations, live };
    return this.value;
  }

  /**
   * The open-set answer for one embedding whose head logits (one row, numOutputs wide, as the prediction read them)
   * are `logits` and top class `top`: "Not sure" when its score is above the threshold calibrated at `acceptRate`
   * (default: the settings table's); never with 1 or without a calibration.
   */
  async answer(
    model: EngineModel,
    view: ProjectView,
    embedding: Float32Array,
    logits: Float32Array,
    top: string | null,
    acceptRate: number = SETTINGS.notSureAccept.default,
  ): Promise<Pick<Prediction, 'notSure' | 'openSet'>> {
    if (!acceptsValue('notSureAccept', acceptRate)) throw new Error(`"Not sure" must accept a share of 0.5 to 1 of the known pictures, got ${acceptRate}`);
    const { openSet, calibrations, live } = await this.get(model, view, acceptRate);
    const calibration = calibrations?.byScore.get(DEFAULT_SCORE);
    if (top === null || !calibrations || !calibration || acceptRate >= 1) return { notSure: false };
    const measures = openSet.scores(embedding, liveLogits(logits, 0, model.numOutputs, live), Number(top));
    const score = scoreOf(DEFAULT_SCORE, measures, calibrations.scales);
    // Every score with its own calibrated threshold: bench:app compares them on classes never taught.
    const variants: Record<string, { score: number; threshold: number }> = {};
    for (const [kind, c] of calibrations.byScore) variants[kind] = { score: scoreOf(kind, measures, calibrations.scales), threshold: c.threshold };
    return {
      notSure: !(score <= calibration.threshold),
      openSet: { score, threshold: calibration.threshold, calibrationPictures: calibration.pictures, variants },
    };
  }

  /** Forgets the cached test (model replaced). */
  clear(): void {
    this.key = '';
    this.value = null;
  }
}
