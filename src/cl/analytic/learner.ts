/**
 * The analytic (closed-form) continual learner: a fixed feature map, sufficient statistics and a ridge or LDA
 * solve per round. Beside the gradient Learner rather than one of its plugins: it has no optimiser, batches or
 * loss, so every hook of the training loop would be unused; it shares the TaskData / Evaluation surface instead.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorRecord } from '../../memory/types';
import type { Evaluation } from '../learner';
import { SeededRandom } from '../rng';
import type { Scenario } from '../config';
import type { TaskData } from '../types';
import { solveClassifier, solveRidgeWithHeldOut, type ClassifierKind, type LinearClassifier } from './classifier';
import { RandomFeatureMap, validateFeatureMapConfig, type FeatureMapConfig } from './feature-map';
import { SufficientStatistics } from './statistics';

/** How an analytic learner is built. */
export interface AnalyticLearnerConfig {
  featureMap: FeatureMapConfig;
  classifier: ClassifierKind;
  scenario: Scenario;
  /**
   * Relative shrinkage candidates (times trace / M). With several, each round holds out `validationFraction`
   * of its own rows, solves with each, keeps the most accurate on them (ties: the larger), then adds the
   * held-out rows to the statistics too. Never the test data.
   */
  lambdas: number[];
  /** Share of a round's rows held out to choose lambda; default 0.1. */
  validationFraction?: number;
  /** Seed of the held-out draw. */
  seed: number;
  /** Whether each round checks its solve's residual (float64, reported); default true. The app skips it. */
  residual?: boolean;
}

/** What one round did. */
export interface AnalyticTaskReport {
  task: number;
  seconds: number;
  /** The shrinkage the classifier now uses. */
  lambda: number;
  /** Held-out accuracy (0-1) of each candidate tried this round (empty without a choice). */
  validation: { lambda: number; accuracy: number }[];
  relativeResidual: number;
}

/** An analytic learner's checkpoint: config, history and statistics (float64 stored as float32 hi + lo pairs). */
export interface AnalyticState {
  format: 'retain-analytic';
  version: 1;
  json: Record<string, unknown>;
  tensors: TensorRecord[];
}

/**
 * Most held-out rows whose held-out scores come from the closed form (their columns join the solve's right-hand
 * side); a larger hold-out (the benchmarks' thousands of rows) solves a fit without them instead.
 */
const MAX_CLOSED_FORM_HELD_OUT = 64;

/** Rows of features computed at once (bounds the backend memory of a round). */
const BATCH_VALUES = 8 * 1024 * 1024;

/**
 * Most multiply-adds (rows x M^2 for statistics, rows x M x classes for scores) of a batch whose identity
 * features stay on the host: for a round's few new pictures that costs less than a backend matMul and its
 * read-back (~1-3 ms each in a browser); 4M is ~60 rows of statistics at M = 256, ~3 ms of float64 loops.
 */
const HOST_BATCH_MAX_WORK = 4 * 1024 * 1024;

/** One batch of feature rows: on the host (the identity map's few rows) or as a backend tensor. */
interface FeatureBatch {
  n: number;
  /** The rows on the host (n x M, row-major), or null when they are a tensor. */
  host: Float32Array | null;
  /** The rows as a tensor (created on first use for host rows; the batch disposes it). */
  tensor(): tf.Tensor2D;
  /** The rows' values (read back from the backend for a tensor batch). */
  values(): Promise<Float32Array>;
}

function splitFloat64(name: string, values: Float64Array): TensorRecord[] {
  const hi = Float32Array.from(values);
  const lo = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) lo[i] = values[i] - hi[i];
  return [
    { name: `${name}.hi`, shape: [values.length], dtype: 'float32', data: hi },
    { name: `${name}.lo`, shape: [values.length], dtype: 'float32', data: lo },
  ];
}

function joinFloat64(tensors: TensorRecord[], name: string): Float64Array {
  const hi = tensors.find((t) => t.name === `${name}.hi`)?.data;
  const lo = tensors.find((t) => t.name === `${name}.lo`)?.data;
  if (!hi || !lo || hi.length !== lo.length) throw new Error(`analytic state: tensor ${name} is missing or damaged`);
  const out = new Float64Array(hi.length);
  for (let i = 0; i < out.length; i++) out[i] = hi[i] + lo[i];
  return out;
}

/** A closed-form continual learner whose weights after any sequence of rounds equal a one-shot fit on all of them. */
export class AnalyticLearner {
  readonly config: AnalyticLearnerConfig;
  readonly featureMap: RandomFeatureMap;
  private stats: SufficientStatistics;
  private classifier: LinearClassifier | null = null;
  private weights: tf.Tensor2D | null = null;
  private bias: tf.Tensor1D | null = null;
  private readonly taskClasses = new Map<number, number[]>();
  private seen = 0;

  /** A learner that has learned nothing; the feature map is drawn from its seed. */
  constructor(config: AnalyticLearnerConfig) {
    validateFeatureMapConfig(config.featureMap);
    if (config.classifier !== 'ridge' && config.classifier !== 'lda') throw new Error(`analytic learner: unknown classifier "${config.classifier}" (ridge or lda)`);
    if (config.lambdas.length === 0 || !config.lambdas.every((l) => l > 0 && Number.isFinite(l))) {
      throw new Error(`analytic learner: lambdas must be positive numbers, got [${config.lambdas}]`);
    }
    const f = config.validationFraction ?? 0.1;
    if (!(f > 0 && f < 1)) throw new Error(`analytic learner: validationFraction must be in (0, 1), got ${f}`);
    this.config = { ...config, lambdas: [...config.lambdas] };
    this.featureMap = new RandomFeatureMap(config.featureMap);
    this.stats = new SufficientStatistics(this.featureMap.outputDim);
  }

  /** Rounds learned. */
  get tasksSeen(): number {
    return this.seen;
  }

  /** Width of the score vector: the largest class index learned + 1. */
  get numOutputs(): number {
    const c = this.stats.classes;
    return c.length ? c[c.length - 1] + 1 : 0;
  }

  /** The current classifier's shrinkage (null before the first round). */
  get lambda(): number | null {
    return this.classifier?.lambda ?? null;
  }

  /** Bytes of state kept between rounds: the statistics only, no sample. */
  get storedBytes(): number {
    return this.stats.storedBytes;
  }

  /** The statistics (read-only use: tests and diagnostics). */
  get statistics(): SufficientStatistics {
    return this.stats;
  }

  /** The current classifier's weights (M x classes, row-major) and bias, or null before the first round. */
  get linearClassifier(): Readonly<LinearClassifier> | null {
    return this.classifier;
  }

  private checkRows(x: Float32Array, n: number, what: string): void {
    const d = this.config.featureMap.inputDim;
    if (x.length !== n * d) throw new Error(`analytic learner: ${what} has ${x.length} values, expected ${n} rows of ${d}`);
  }

  /**
   * Feature batches of the given rows of preprocessed inputs, in order. Identity features stay on the host when the
   * batch's work there (rows x `hostWorkPerRow`, default M^2: the statistics) is small.
   */
  private async forEachBatch(
    xp: Float32Array,
    rows: Int32Array,
    visit: (phi: FeatureBatch, rows: Int32Array) => Promise<void>,
    signal?: AbortSignal,
    hostWorkPerRow = this.featureMap.outputDim ** 2,
  ): Promise<void> {
    const d = this.config.featureMap.inputDim;
    const m = this.featureMap.outputDim;
    const batch = Math.max(64, Math.floor(BATCH_VALUES / Math.max(d, m)));
    for (let start = 0; start < rows.length; start += batch) {
      if (signal?.aborted) throw new Error('analytic learner: round cancelled');
      const part = rows.subarray(start, Math.min(rows.length, start + batch));
      const x = new Float32Array(part.length * d);
      for (let i = 0; i < part.length; i++) x.set(xp.subarray(part[i] * d, (part[i] + 1) * d), i * d);
      const onHost = this.config.featureMap.kind === 'identity' && part.length * hostWorkPerRow <= HOST_BATCH_MAX_WORK;
      let phi: tf.Tensor2D | null = onHost ? null : this.featureMap.applyPreprocessed(x, part.length);
      const tensor = () => (phi ??= this.featureMap.applyPreprocessed(x, part.length));
      try {
        await visit({ n: part.length, host: onHost ? x : null, tensor, values: async () => (onHost ? x : ((await tensor().data()) as Float32Array)) }, part);
      } finally {
        phi?.dispose();
      }
    }
  }

  /** Adds (+1) or removes (-1) a batch's rows from the statistics, on the host when the batch is there. */
  private async updateStatistics(phi: FeatureBatch, labels: Int32Array, sign: 1 | -1): Promise<void> {
    if (phi.host) this.stats.updateHost(phi.host, phi.n, labels, sign);
    else await this.stats.update(phi.tensor(), labels, sign);
  }

  /**
   * Learns a round: adds its statistics and re-solves. Labels are global class indices (Class-IL, Task-IL) or
   * the within-task labels (Domain-IL), as for the gradient Learner. The data are not kept.
   */
  async learnTask(task: TaskData, options: { signal?: AbortSignal; beforeSolve?: () => Promise<void> } = {}): Promise<AnalyticTaskReport> {
    const started = performance.now();
    const n = task.y.length;
    if (n === 0) throw new Error(`analytic learner: task ${task.task} has no samples`);
    this.checkRows(task.x, n, `task ${task.task}`);
    for (const y of task.y) if (!task.classes.includes(y)) throw new Error(`analytic learner: label ${y} of task ${task.task} is not among its classes [${task.classes}]`);
    const xp = this.featureMap.preprocess(task.x, n);
    const order = new SeededRandom(this.config.seed * 7919 + task.task + 1).permutation(n);
    const choosing = this.config.lambdas.length > 1 && n >= 10;
    const holdCount = choosing ? Math.max(1, Math.round(n * (this.config.validationFraction ?? 0.1))) : 0;
    const hold = order.slice(0, holdCount).sort();
    const fit = order.slice(holdCount).sort();
    const labelsOf = (rows: Int32Array) => Int32Array.from(rows, (r) => task.y[r]);
    // Statistics are added in place; if the round fails half-way they are rebuilt by subtracting what was added.
    const added: Int32Array[] = [];
    const mask = this.config.scenario === 'task-il' ? task.classes : null;
    const candidates = [...this.config.lambdas].sort((a, b) => b - a);
    const validation: { lambda: number; accuracy: number }[] = [];
    let lambda = this.config.lambdas[0];
    let chosen: LinearClassifier | null = null;
    const addRows = (rows: Int32Array, signal?: AbortSignal, keep?: (phi: FeatureBatch) => Promise<void>) =>
      this.forEachBatch(xp, rows, async (phi, batch) => {
        await keep?.(phi);
        await this.updateStatistics(phi, labelsOf(batch), 1);
        added.push(batch);
      }, signal);
    try {
      await addRows(fit, options.signal);
      // Ridge with a small hold-out: every row joins the statistics now, and each candidate's one solve also gives
      // what its fit without the held-out rows would score them (solveRidgeWithHeldOut). Otherwise each candidate
      // is fit without them and the held-out rows join after.
      const closedForm = choosing && this.config.classifier === 'ridge' && hold.length <= MAX_CLOSED_FORM_HELD_OUT;
      const holdLabels = labelsOf(hold);
      let tryCandidate: (candidate: number) => Promise<{ predicted: ArrayLike<number>; classifier: LinearClassifier | null }>;
      if (closedForm) {
        const held = new Float64Array(hold.length * this.featureMap.outputDim);
        let at = 0;
        await addRows(hold, undefined, async (phi) => {
          const values = await phi.values();
          held.set(values, at);
          at += values.length;
        });
        tryCandidate = async (candidate) => {
          const { classifier, heldOutScores } = await solveRidgeWithHeldOut(this.stats, candidate, held, holdLabels, { residual: this.config.residual ?? true });
          return { predicted: classesOfRows(heldOutScores, classifier.classes, mask), classifier };
        };
      } else {
        tryCandidate = async (candidate) => {
          const clf = await solveClassifier(this.stats, this.config.classifier, candidate, { residual: false });
          const predicted: number[] = [];
          await this.forEachBatch(xp, hold, async (phi) => {
            predicted.push(...(await predictWith(clf, phi, mask)));
          });
          return { predicted, classifier: null };
        };
      }
      // The statistics hold the round now; the solves below keep this thread busy for a while.
      await options.beforeSolve?.();
      if (choosing) {
        let best = -1;
        for (const candidate of candidates) {
          if (options.signal?.aborted) throw new Error('analytic learner: round cancelled');
          const { predicted, classifier } = await tryCandidate(candidate);
          let correct = 0;
          for (let i = 0; i < hold.length; i++) if (predicted[i] === holdLabels[i]) correct++;
          const accuracy = correct / hold.length;
          validation.push({ lambda: candidate, accuracy });
          if (accuracy > best) {
            best = accuracy;
            lambda = candidate;
            chosen = classifier;
          }
          // Candidates run from the largest and ties keep the larger: once one is right on every held-out row,
          // no smaller one can be chosen, so their solves would change nothing (a one-class round: one solve).
          if (best === 1) break;
        }
        if (!closedForm) await addRows(hold);
      }
      const clf = chosen ?? (await solveClassifier(this.stats, this.config.classifier, lambda, { residual: this.config.residual ?? true }));
      this.setClassifier(clf);
      this.taskClasses.set(task.task, [...task.classes]);
      this.seen++;
      return { task: task.task, seconds: (performance.now() - started) / 1000, lambda, validation, relativeResidual: clf.relativeResidual };
    } catch (e) {
      await this.forEachBatch(xp, Int32Array.from(added.flatMap((r) => [...r])), (phi, rows) => this.updateStatistics(phi, labelsOf(rows), -1));
      throw e;
    }
  }

  /**
   * Unlearns samples exactly: subtracts their statistics (they must be samples that were learned, e.g. the
   * stored samples of a class being deleted) and re-solves with the current shrinkage. A class whose every
   * sample is removed disappears; the result equals a learner that never saw those samples.
   */
  async unlearn(x: Float32Array, y: Int32Array): Promise<void> {
    const n = y.length;
    this.checkRows(x, n, 'unlearn');
    if (n === 0) return;
    const xp = this.featureMap.preprocess(x, n);
    await this.forEachBatch(xp, Int32Array.from({ length: n }, (_, i) => i), (phi, rows) => this.updateStatistics(phi, Int32Array.from(rows, (r) => y[r]), -1));
    if (this.stats.classes.length === 0) {
      this.setClassifier(null);
      return;
    }
    this.setClassifier(await solveClassifier(this.stats, this.config.classifier, this.classifier?.lambda ?? this.config.lambdas[0], { residual: this.config.residual ?? true }));
  }

  private setClassifier(clf: LinearClassifier | null): void {
    tf.dispose([this.weights ?? [], this.bias ?? []]);
    this.classifier = clf;
    this.weights = clf ? tf.tensor2d(clf.weights, [this.stats.dim, clf.classes.length]) : null;
    this.bias = clf ? tf.tensor1d(clf.bias) : null;
  }

  /** Scores of n inputs over every output (n x numOutputs, row-major); classes never learned score -Infinity. */
  async predictLogits(x: Float32Array, n: number): Promise<Float32Array> {
    this.checkRows(x, n, 'predict');
    const width = this.numOutputs;
    const out = new Float32Array(n * width).fill(-Infinity);
    const clf = this.classifier;
    if (!clf || n === 0) return out;
    const xp = this.featureMap.preprocess(x, n);
    await this.forEachBatch(xp, Int32Array.from({ length: n }, (_, i) => i), async (phi, rows) => {
      const s = await scoresOf(clf, phi, this.weights!, this.bias!);
      const k = clf.classes.length;
      for (let i = 0; i < rows.length; i++) for (let j = 0; j < k; j++) out[rows[i] * width + clf.classes[j]] = s[i * k + j];
    }, undefined, this.featureMap.outputDim * clf.classes.length);
    return out;
  }

  /** Accuracy on a task's data; Task-IL predicts among the task's own classes. */
  async evaluate(task: TaskData): Promise<Evaluation> {
    const n = task.y.length;
    if (n === 0) return { accuracy: 0, predictions: new Int32Array(0) };
    const width = this.numOutputs;
    const predictions = new Int32Array(n).fill(-1);
    if (width === 0) return { accuracy: 0, predictions };
    const scores = await this.predictLogits(task.x, n);
    const allowed = this.config.scenario === 'task-il' ? task.classes.filter((c) => c < width) : null;
    let ok = 0;
    for (let i = 0; i < n; i++) {
      predictions[i] = argMax(scores, i * width, width, allowed);
      if (predictions[i] === task.y[i]) ok++;
    }
    return { accuracy: ok / n, predictions };
  }

  /** Everything needed to resume (and to unlearn later): config, task history, statistics. No sample. */
  exportState(): AnalyticState {
    const a = this.stats.toArrays();
    return {
      format: 'retain-analytic',
      version: 1,
      json: {
        config: this.config as unknown as Record<string, unknown>,
        tasksSeen: this.seen,
        taskClasses: [...this.taskClasses.entries()],
        classes: a.classes,
        counts: a.counts,
        lambda: this.classifier?.lambda ?? null,
      },
      tensors: [...splitFloat64('gramLower', a.gramLower), ...splitFloat64('classSums', a.sums)],
    };
  }

  /** Rebuilds a learner from `exportState()` and re-solves its classifier. */
  static async fromState(state: AnalyticState): Promise<AnalyticLearner> {
    if (state?.format !== 'retain-analytic' || state.version !== 1) {
      throw new Error(`not an analytic learner state (format ${String(state?.format)}, version ${String(state?.version)})`);
    }
    const json = state.json as { config: AnalyticLearnerConfig; tasksSeen: number; taskClasses: [number, number[]][]; classes: number[]; counts: number[]; lambda: number | null };
    const learner = new AnalyticLearner(json.config);
    learner.stats = SufficientStatistics.fromArrays(learner.featureMap.outputDim, {
      gramLower: joinFloat64(state.tensors, 'gramLower'),
      sums: joinFloat64(state.tensors, 'classSums'),
      classes: json.classes,
      counts: json.counts,
    });
    learner.seen = json.tasksSeen;
    for (const [t, c] of json.taskClasses) learner.taskClasses.set(t, c);
    if (json.lambda !== null && learner.stats.classes.length > 0) {
      learner.setClassifier(await solveClassifier(learner.stats, json.config.classifier, json.lambda, { residual: json.config.residual ?? true }));
    }
    return learner;
  }

  /** Frees the feature map and the classifier's tensors. */
  dispose(): void {
    this.featureMap.dispose();
    this.setClassifier(null);
  }
}

/** Index of the largest score among `allowed` columns (all when null) of one row. */
function argMax(scores: ArrayLike<number>, offset: number, width: number, allowed: readonly number[] | null): number {
  let best = -1;
  let bestScore = -Infinity;
  const columns = allowed ?? Array.from({ length: width }, (_, j) => j);
  for (const j of columns) {
    const s = scores[offset + j];
    if (best < 0 || s > bestScore) {
      best = j;
      bestScore = s;
    }
  }
  return best;
}

/** The class of the best column of each row of `scores` (rows x classes.length), among `allowed` classes if given. */
function classesOfRows(scores: ArrayLike<number>, classes: readonly number[], allowed: readonly number[] | null): Int32Array {
  const k = classes.length;
  const columns = allowed ? classes.map((c, j) => (allowed.includes(c) ? j : -1)).filter((j) => j >= 0) : null;
  return Int32Array.from({ length: scores.length / k }, (_, i) => classes[argMax(scores, i * k, k, columns)]);
}

/**
 * Scores phi W + bias of a batch (n x classes, row-major): host rows on the host (n M k multiply-adds, fewer than
 * the statistics' n M^2), tensor rows on the backend with `weights` / `bias` (the classifier's, or made here).
 */
async function scoresOf(clf: LinearClassifier, phi: FeatureBatch, weights?: tf.Tensor2D, bias?: tf.Tensor1D): Promise<Float32Array> {
  const k = clf.classes.length;
  if (phi.host) {
    const m = phi.host.length / phi.n;
    const out = new Float32Array(phi.n * k);
    const acc = new Float64Array(k);
    for (let r = 0; r < phi.n; r++) {
      for (let j = 0; j < k; j++) acc[j] = clf.bias[j];
      for (let i = 0; i < m; i++) {
        const v = phi.host[r * m + i];
        if (v === 0) continue;
        for (let j = 0; j < k; j++) acc[j] += v * clf.weights[i * k + j];
      }
      for (let j = 0; j < k; j++) out[r * k + j] = acc[j];
    }
    return out;
  }
  const scores = tf.tidy(() => {
    const x = phi.tensor();
    return tf.add(tf.matMul(x, weights ?? tf.tensor2d(clf.weights, [x.shape[1], k])), bias ?? tf.tensor1d(clf.bias));
  });
  const s = (await scores.data()) as Float32Array;
  scores.dispose();
  return s;
}

/** Predicted classes of feature rows under a classifier not yet installed (the lambda search). */
async function predictWith(clf: LinearClassifier, phi: FeatureBatch, allowed: readonly number[] | null): Promise<Int32Array> {
  return classesOfRows(await scoresOf(clf, phi), clf.classes, allowed);
}
