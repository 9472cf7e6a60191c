/**
 * The Exact preset's learner: src/cl/analytic's closed-form ridge classifier on the backbone's embedding (optionally
 * through a fixed random linear projection), behind the service's `EngineModel` contract. Its sufficient
 * statistics travel in the checkpoint's engine state, so they commit in the round's own transaction.
 */
import * as tf from '@tensorflow/tfjs';
import { AnalyticLearner, type AnalyticLearnerConfig, type AnalyticState } from '../../cl/analytic';
import { SeededRandom } from '../../cl/rng';
import type { TaskData, TrainOptions } from '../../cl/types';
import type { EngineState } from '../../memory/types';
import type { AdvancedSettings } from '../protocol';
import { exactShrinkages } from '../shared/settings';
import type { DenseHead, EngineModel } from './engine-contract';
import { joinRows } from './embeddings';
import { softmaxRowsInPlace } from './softmax';

/**
 * Ridge scores are near 0 (other class) or 1 (this class); softmax over them would give nearly flat probabilities.
 * Logits are the scores times this factor (a gap of 0.5 is e^8 in odds): the exported dense layer folds it in too.
 */
export const EXACT_LOGIT_SCALE = 16;

/** The `json` of an Exact engine state: what rebuilds the projection, plus the analytic learner's own JSON. */
interface ExactStateJson {
  engine: 'exact';
  inputDim: number;
  /** Projection width (0: none). */
  projection: number;
  projectionSeed: number;
  analytic: Record<string, unknown>;
}

/** Seed of the projection: fixed, so nothing random is stored and every restore draws the same matrix. */
const PROJECTION_SEED = 0x5eed;

/** Bytes of a live model's running sums: an Exact model's statistics, 0 for any other (or none). */
export async function statisticsBytesOf(model: EngineModel | null | undefined): Promise<number> {
  return model instanceof ExactModel ? model.statisticsBytes() : 0;
}

/** Whether a committed engine state is the Exact preset's (else it is src/cl's gradient `Learner`'s). */
export function isExactState(state: EngineState | null | undefined): boolean {
  return (state?.json as Partial<ExactStateJson> | undefined)?.engine === 'exact';
}

/** A fixed Gaussian projection [inputDim, width], scaled by 1/sqrt(width) so distances are kept on average. */
function drawProjection(inputDim: number, width: number, seed: number): tf.Tensor2D {
  const rng = new SeededRandom(seed);
  const values = new Float32Array(inputDim * width);
  const scale = 1 / Math.sqrt(width);
  for (let i = 0; i < values.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const a = 2 * Math.PI * rng.next();
    values[i] = r * Math.cos(a) * scale;
    if (i + 1 < values.length) values[i + 1] = r * Math.sin(a) * scale;
  }
  return tf.tensor2d(values, [inputDim, width]);
}

/** Checks an analytic state's statistics against its own JSON (sizes only), synchronously: a restore refuses at once. */
function checkStatistics(json: ExactStateJson, state: EngineState): void {
  const analytic = json.analytic as { config?: AnalyticLearnerConfig; classes?: unknown; counts?: unknown };
  const m = analytic.config?.featureMap?.inputDim;
  if (!Number.isInteger(json.inputDim) || json.inputDim < 1 || !Number.isInteger(json.projection) || json.projection < 0)
    throw new Error('Exact: the state has no valid embedding or projection width');
  if (m !== (json.projection > 0 ? json.projection : json.inputDim)) throw new Error(`Exact: statistics of width ${String(m)} do not match the projection`);
  if (!Array.isArray(analytic.classes) || !Array.isArray(analytic.counts) || analytic.classes.length !== analytic.counts.length)
    throw new Error('Exact: the state lists no classes and counts');
  const size = (name: string) => state.tensors.find((t) => t.name === name)?.data.length;
  const gram = (m * (m + 1)) / 2;
  const sums = analytic.classes.length * m;
  if (size('gramLower.hi') !== gram || size('gramLower.lo') !== gram || size('classSums.hi') !== sums || size('classSums.lo') !== sums)
    throw new Error('Exact: the statistics are missing or of the wrong size');
}

/** The closed-form learner as an `EngineModel`: a round adds statistics and solves; `unlearn` subtracts them. */
export class ExactModel implements EngineModel {
  private learner: AnalyticLearner | null = null;
  /** Set while a restored learner is re-solved (`fromState` answers at once; every method waits for it). */
  private loading: Promise<AnalyticLearner> | null = null;
  /** The score width before the learner is loaded (from the state's class list). */
  private outputsBeforeLoad = 0;
  private disposed = false;
  /** Projected features of stored pictures, by their (never changing) embedding array: see `featuresOfRows`. */
  private readonly projectedRows = new WeakMap<Float32Array, Float32Array>();

  private constructor(
    /** Width of an embedding. */
    readonly inputDim: number,
    private readonly projection: tf.Tensor2D | null,
    private readonly projectionSeed: number,
  ) {}

  /** The learner, once a restored one has been re-solved. */
  private async ready(): Promise<AnalyticLearner> {
    if (this.learner) return this.learner;
    if (!this.loading) throw new Error('Exact: the model was disposed');
    return this.loading;
  }

  /** A learner that has learned nothing, on `inputDim`-wide embeddings with the Exact settings. */
  static create(inputDim: number, settings: AdvancedSettings): ExactModel {
    if (!Number.isInteger(inputDim) || inputDim < 1) throw new Error(`Exact: embedding width must be a positive integer, got ${inputDim}`);
    const width = settings.exactProjection;
    const config: AnalyticLearnerConfig = {
      featureMap: { kind: 'identity', inputDim: width > 0 ? width : inputDim, features: width > 0 ? width : inputDim, seed: 1 },
      classifier: 'ridge',
      scenario: 'class-il',
      lambdas: exactShrinkages(settings.exactShrinkage),
      // A round of one new class has ~24 training pictures: a fifth (~5) is the least that can rank shrinkages.
      validationFraction: 0.2,
      seed: 1,
      // The host's float64 Cholesky (M <= 256) needs no check; the round's wait is the user's.
      residual: false,
    };
    const learner = new AnalyticLearner(config);
    const model = new ExactModel(inputDim, width > 0 ? drawProjection(inputDim, width, PROJECTION_SEED) : null, PROJECTION_SEED);
    model.learner = learner;
    return model;
  }

  /**
   * Resumes from a committed Exact state. The projection width is the state's (fixed by the first Exact round);
   * the shrinkage setting is this round's (`settings`), the statistics the state's, exactly.
   */
  static fromState(state: EngineState, settings: AdvancedSettings): ExactModel {
    if (!isExactState(state)) throw new Error('Exact: the committed model is not an Exact model');
    const json = state.json as unknown as ExactStateJson;
    checkStatistics(json, state);
    const analytic = json.analytic as { config: AnalyticLearnerConfig; classes: number[] };
    const patched: AnalyticState = {
      format: 'retain-analytic',
      version: 1,
      json: { ...json.analytic, config: { ...analytic.config, lambdas: exactShrinkages(settings.exactShrinkage), residual: false } },
      tensors: state.tensors,
    };
    const projection = json.projection > 0 ? drawProjection(json.inputDim, json.projection, json.projectionSeed) : null;
    const model = new ExactModel(json.inputDim, projection, json.projectionSeed);
    model.outputsBeforeLoad = analytic.classes.length ? Math.max(...analytic.classes) + 1 : 0;
    model.loading = AnalyticLearner.fromState(patched).then((learner) => {
      if (model.disposed) learner.dispose();
      else model.learner = learner;
      return learner;
    });
    // A failure surfaces at the first use; this keeps it from being reported as unhandled meanwhile.
    model.loading.catch(() => undefined);
    return model;
  }

  /** Width of the score vector: the largest class id learned + 1. */
  get numOutputs(): number {
    return this.learner ? this.learner.numOutputs : this.outputsBeforeLoad;
  }

  /** Bytes of the sufficient statistics the checkpoint holds (no sample). */
  async statisticsBytes(): Promise<number> {
    return (await this.ready()).storedBytes;
  }

  /** Samples per class in the statistics (tests and consistency checks). */
  async statisticsCount(label: number): Promise<number> {
    return (await this.ready()).statistics.count(label);
  }

  /** The learner's features of n embeddings: projected, or the embeddings themselves. */
  private async features(x: Float32Array, n: number): Promise<Float32Array> {
    if (x.length !== n * this.inputDim) throw new Error(`Exact: ${x.length} values are not ${n} embeddings of ${this.inputDim}`);
    if (!this.projection || n === 0) return x;
    const out = tf.tidy(() => tf.matMul(tf.tensor2d(x, [n, this.inputDim]), this.projection!));
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }

  /**
   * The learner's features of stored pictures' embeddings, each projected once for this model (the projection is
   * fixed): the held-out pictures measured after every round are not sent through the backend again.
   */
  private async featuresOfRows(rows: readonly Float32Array[]): Promise<Float32Array> {
    if (!this.projection) return joinRows(rows, this.inputDim);
    const width = this.projection.shape[1];
    const missing = [...new Set(rows.filter((r) => !this.projectedRows.has(r)))];
    if (missing.length > 0) {
      const projected = await this.features(joinRows(missing, this.inputDim), missing.length);
      missing.forEach((r, i) => this.projectedRows.set(r, projected.slice(i * width, (i + 1) * width)));
    }
    return joinRows(rows.map((r) => this.projectedRows.get(r)!), width);
  }

  /** Adds the round's embeddings to the statistics and solves (shrinkage chosen on a held-out part of them). */
  async learnTask(task: TaskData, options: TrainOptions): Promise<unknown> {
    const x = await this.features(task.x, task.y.length);
    const report = await (await this.ready()).learnTask({ ...task, x }, { signal: options.signal, beforeSolve: options.beforeSolve });
    options.onProgress?.({ step: 1, totalSteps: 1, losses: {} } as Parameters<NonNullable<TrainOptions['onProgress']>>[0]);
    return report;
  }

  /**
   * Removes embeddings the statistics hold (a deleted class's or picture's stored samples) and re-solves: the model
   * then equals one never taught them.
   */
  async unlearn(x: Float32Array, y: Int32Array): Promise<void> {
    await (await this.ready()).unlearn(await this.features(x, y.length), y);
  }

  /** Scaled ridge scores (n x numOutputs); classes not in the statistics score -Infinity. */
  async predictLogits(x: Float32Array, n: number): Promise<Float32Array> {
    return this.logitsOfFeatures(await this.features(x, n), n);
  }

  /** Scaled ridge scores of n rows of the learner's features. */
  private async logitsOfFeatures(features: Float32Array, n: number): Promise<Float32Array> {
    const scores = await (await this.ready()).predictLogits(features, n);
    for (let i = 0; i < scores.length; i++) scores[i] *= EXACT_LOGIT_SCALE;
    return scores;
  }

  /** Softmax of the logits per row (columns at -Infinity get 0). */
  async predictProba(x: Float32Array, n: number): Promise<Float32Array> {
    return softmaxRowsInPlace(await this.predictLogits(x, n), n, this.numOutputs);
  }

  /** `predictProba` of stored pictures' embeddings, each projected once for this model. */
  async predictProbaOfRows(rows: readonly Float32Array[]): Promise<Float32Array> {
    for (const r of rows) if (r.length !== this.inputDim) throw new Error(`Exact: an embedding of ${r.length} values is not ${this.inputDim} wide`);
    const scores = await this.logitsOfFeatures(await this.featuresOfRows(rows), rows.length);
    return softmaxRowsInPlace(scores, rows.length, this.numOutputs);
  }

  /**
   * The equivalent dense layer on the embedding: the projection (linear) folded into the ridge weights, the
   * logit scale folded in too. Columns of classes not in the statistics get zero weights and a very low bias.
   */
  async denseHead(): Promise<DenseHead> {
    const clf = (await this.ready()).linearClassifier;
    if (!clf) throw new Error('Exact: there is no model yet');
    const k = clf.classes.length;
    const width = clf.weights.length / k;
    let folded: Float32Array = clf.weights;
    if (this.projection) {
      const w = tf.tensor2d(clf.weights, [width, k]);
      const out = tf.matMul(this.projection, w);
      folded = (await out.data()) as Float32Array;
      tf.dispose([w, out]);
    }
    const units = this.numOutputs;
    const kernel = new Float32Array(this.inputDim * units);
    const bias = new Float32Array(units).fill(-1e4);
    clf.classes.forEach((c, j) => {
      for (let i = 0; i < this.inputDim; i++) kernel[i * units + c] = folded[i * k + j] * EXACT_LOGIT_SCALE;
      bias[c] = clf.bias[j] * EXACT_LOGIT_SCALE;
    });
    return { layers: [{ kernel, bias, inputDim: this.inputDim, units, activation: 'linear' }] };
  }

  /** The statistics and the projection's definition (no sample), as a retain-engine state. */
  async exportState(): Promise<EngineState> {
    const analytic = (await this.ready()).exportState();
    const json: ExactStateJson = {
      engine: 'exact',
      inputDim: this.inputDim,
      projection: this.projection ? this.projection.shape[1] : 0,
      projectionSeed: this.projectionSeed,
      analytic: analytic.json,
    };
    return { format: 'retain-engine', version: 1, json: json as unknown as Record<string, unknown>, tensors: analytic.tensors };
  }

  /** Frees the learner's and the projection's tensors. */
  dispose(): void {
    this.disposed = true;
    this.learner?.dispose();
    this.learner = null;
    this.loading = null;
    this.projection?.dispose();
  }
}
