import * as tf from '@tensorflow/tfjs';
import type { EngineState, ReplayMemory, TensorRecord } from '../memory/types';
import { InvalidTaskError, NonFiniteLossError, TrainingCancelledError } from './errors';
import { columnMask, maskedArgMax, maskedCrossEntropy, weightedRowCrossEntropy } from './losses';
import { ContinualModel } from './model';
import { SeededRandom } from './rng';
import { createStrategyPlugins } from './strategies';
import { DEVICE_MAX_VALUES } from './types';
import type {
  BatchContext,
  FeatureExtractor,
  LearnerConfig,
  StrategyPlugin,
  TaskContext,
  TaskData,
  TrainOptions,
} from './types';

/** What one `learnTask` call did. */
export interface TaskReport {
  task: number;
  steps: number;
  seconds: number;
  /** Loss terms at the last step. */
  finalLosses: Record<string, number>;
}

/** Result of evaluating the model on a task's data. */
export interface Evaluation {
  /** Fraction correct, in [0, 1]. */
  accuracy: number;
  predictions: Int32Array;
}

/** The learner's config as stored in a checkpoint: everything but the replay memory object. */
type StoredConfig = Omit<LearnerConfig, 'strategies'> & {
  strategies: Omit<LearnerConfig['strategies'], 'replay'> & {
    replay?: Omit<NonNullable<LearnerConfig['strategies']['replay']>, 'memory'>;
  };
};

/**
 * A continual learner: a model, an optimiser and strategy plugins on a hook-based training loop
 * (before/after task, before/after batch, loss terms, after backward), seeded so a run can be repeated.
 */
export class Learner {
  readonly config: LearnerConfig;
  readonly plugins: StrategyPlugin[];
  private model: ContinualModel;
  private readonly rng: SeededRandom;
  private readonly taskClasses = new Map<number, number[]>();
  private seen = 0;
  private readonly extractor: FeatureExtractor | undefined;

  /** Creates a learner with a freshly initialised model, optionally behind a frozen feature extractor. */
  constructor(config: LearnerConfig, runtime: { featureExtractor?: FeatureExtractor } = {}) {
    if (!(config.learningRate > 0)) throw new Error(`learningRate must be > 0, got ${config.learningRate}`);
    if (!Number.isInteger(config.batchSize) || config.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, got ${config.batchSize}`);
    }
    const fx = runtime.featureExtractor;
    if (fx && fx.outputDim !== config.model.inputDim) {
      throw new Error(
        `the feature extractor gives ${fx.outputDim} features but the model takes ${config.model.inputDim}`,
      );
    }
    this.extractor = fx;
    this.config = config;
    this.model = new ContinualModel(config.model);
    this.rng = new SeededRandom(config.seed);
    this.plugins = createStrategyPlugins(config.strategies);
  }

  /** Number of outputs of the head now. */
  get numOutputs(): number {
    return this.model.numOutputs;
  }

  /** How many tasks have been learned. */
  get tasksSeen(): number {
    return this.seen;
  }

  /** The model (for inspection and export; train only through `learnTask`). */
  get currentModel(): ContinualModel {
    return this.model;
  }

  /** Classes of each task learned so far. */
  get classesByTask(): ReadonlyMap<number, readonly number[]> {
    return this.taskClasses;
  }

  /** Width of a raw input row (the extractor's input when there is one). */
  get inputDim(): number {
    return this.extractor?.inputDim ?? this.config.model.inputDim;
  }

  /** Runs the frozen extractor over n raw rows in chunks; identity without an extractor. */
  async features(x: Float32Array, n: number): Promise<Float32Array> {
    const fx = this.extractor;
    if (!fx) return x;
    if (x.length !== n * fx.inputDim)
      throw new Error(`expected ${n} x ${fx.inputDim} input values, got ${x.length}`);
    const out = new Float32Array(n * fx.outputDim);
    const chunk = 64;
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const f = tf.tidy(() =>
        fx.apply(tf.tensor2d(x.subarray(s * fx.inputDim, (s + m) * fx.inputDim), [m, fx.inputDim])),
      );
      out.set((await f.data()) as Float32Array, s * fx.outputDim);
      f.dispose();
    }
    return out;
  }

  private validate(task: TaskData): number {
    const d = this.inputDim;
    const n = task.y.length;
    if (task.x.length !== n * d) {
      throw new InvalidTaskError(`task ${task.task}: x has ${task.x.length} values, expected ${n} x ${d}`);
    }
    if (n === 0) throw new InvalidTaskError(`task ${task.task} has no samples`);
    for (let i = 0; i < task.x.length; i++) {
      if (!Number.isFinite(task.x[i]))
        throw new InvalidTaskError(`task ${task.task}: input value ${i} is ${task.x[i]}`);
    }
    const classes = new Set(task.classes);
    if (classes.size === 0) throw new InvalidTaskError(`task ${task.task} declares no classes`);
    for (const c of task.classes) {
      if (!Number.isInteger(c) || c < 0)
        throw new InvalidTaskError(`task ${task.task}: class ${c} is not an index`);
    }
    for (let i = 0; i < n; i++) {
      if (!classes.has(task.y[i])) {
        throw new InvalidTaskError(
          `task ${task.task}: label ${task.y[i]} (sample ${i}) is not among its classes [${task.classes}]`,
        );
      }
    }
    const maxClass = Math.max(...task.classes);
    if (this.config.model.scenario === 'domain-il' && maxClass >= this.model.numOutputs) {
      throw new InvalidTaskError(
        `domain-IL task ${task.task}: class ${maxClass} but the head has ${this.model.numOutputs} outputs`,
      );
    }
    return n;
  }

  /** Columns the loss may use for a task: its own classes in Task-IL, every output otherwise. */
  private activeColumns(classes: readonly number[]): number[] | null {
    return this.config.model.scenario === 'task-il' ? [...classes] : null;
  }

  /** Trains on one task, running every plugin's hooks. On error or cancellation the model is rolled back. */
  async learnTask(rawTask: TaskData, options: TrainOptions = {}): Promise<TaskReport> {
    const n = this.validate(rawTask);
    // A frozen extractor's features are computed once; from here on the task lives in feature space.
    const task = this.extractor ? { ...rawTask, x: await this.features(rawTask.x, n) } : rawTask;
    const started = performance.now();
    const snapshot = this.model.clone(true);
    const previousClasses = this.taskClasses.get(task.task);
    const rngState = this.rng.getState();
    const optimizer =
      this.config.optimizer === 'adam'
        ? tf.train.adam(this.config.learningRate)
        : tf.train.sgd(this.config.learningRate);
    const bs = this.config.batchSize;
    const totalSteps = options.iterations ?? Math.ceil(((options.epochs ?? 1) * n) / bs);
    const progressEvery = Math.max(1, options.progressEvery ?? 10);
    let finalLosses: Record<string, number> = {};
    // A large task (e.g. 60,000 MNIST images) stays in host memory and each batch is copied up: the backend's
    // memory (WASM's heap is 2-4 GB) need not hold it, and a step's compute dwarfs the copy at that size.
    const xAll =
      task.x.length <= DEVICE_MAX_VALUES ? tf.tensor2d(task.x, [n, this.config.model.inputDim]) : null;
    try {
      if (this.config.model.scenario !== 'domain-il') {
        this.model.growHead(Math.max(this.model.numOutputs, Math.max(...task.classes) + 1));
      }
      this.taskClasses.set(task.task, [...task.classes]);
      const trainable = this.model.trainableVariables(this.config.strategies.freeze);
      const ctx: TaskContext = {
        task,
        model: this.model,
        scenario: this.config.model.scenario,
        trainable,
        taskClasses: this.taskClasses,
        tasksSeen: this.seen,
        rng: this.rng.next,
      };
      for (const p of this.plugins) await p.beforeTask?.(ctx);
      const active = this.activeColumns(task.classes);
      const mask = active ? tf.tensor1d(columnMask(active, this.model.numOutputs)) : undefined;
      const yAll = tf.tensor1d(task.y, 'int32');
      let order = this.rng.permutation(n);
      let cursor = 0;
      try {
        for (let step = 1; step <= totalSteps; step++) {
          if (options.signal?.aborted) throw new TrainingCancelledError();
          // Fixed batch shapes (wrap around the epoch) keep GPU buffer reuse exact.
          const idx = new Int32Array(bs);
          for (let i = 0; i < bs; i++) {
            if (cursor >= n) {
              order = this.rng.permutation(n);
              cursor = 0;
            }
            idx[i] = order[cursor++];
          }
          const report = step % progressEvery === 0 || step === totalSteps;
          const losses = this.trainStep(ctx, xAll ?? task.x, yAll, idx, mask, optimizer, report);
          if (losses) {
            const values: Record<string, number> = {};
            const names = Object.keys(losses);
            const data = await Promise.all(names.map((k) => losses[k].data()));
            names.forEach((k, i) => (values[k] = data[i][0]));
            tf.dispose(Object.values(losses));
            finalLosses = values;
            if (!Object.values(values).every(Number.isFinite)) throw new NonFiniteLossError(step, values);
            options.onProgress?.({ task: task.task, step, totalSteps, losses: values });
            // Yield so a cancel request (and the UI) can get in between steps.
            await yieldToEventLoop();
          }
        }
      } finally {
        mask?.dispose();
        yAll.dispose();
      }
      if (options.signal?.aborted) throw new TrainingCancelledError();
      for (const p of this.plugins) await p.afterTask?.(ctx);
      this.seen++;
      snapshot.dispose();
      return {
        task: task.task,
        steps: totalSteps,
        seconds: (performance.now() - started) / 1000,
        finalLosses,
      };
    } catch (err) {
      for (const p of this.plugins) p.taskAborted?.();
      this.model.copyFrom(snapshot);
      snapshot.dispose();
      if (previousClasses) this.taskClasses.set(task.task, previousClasses);
      else this.taskClasses.delete(task.task);
      this.rng.setState(rngState);
      throw err;
    } finally {
      xAll?.dispose();
      optimizer.dispose();
    }
  }

  /** One optimiser step; returns the loss terms (kept) when `report` is set. */
  private trainStep(
    taskCtx: TaskContext,
    xAll: tf.Tensor2D | Float32Array,
    yAll: tf.Tensor1D,
    idx: Int32Array,
    mask: tf.Tensor1D | undefined,
    optimizer: tf.Optimizer,
    report: boolean,
  ): Record<string, tf.Scalar> | null {
    const C = this.model.numOutputs;
    const { x, y } = tf.tidy(() => {
      const idxT = tf.tensor1d(idx, 'int32');
      return {
        x: xAll instanceof Float32Array ? hostRows(xAll, idx, this.config.model.inputDim) : (tf.gather(xAll, idxT) as tf.Tensor2D),
        y: tf.oneHot(tf.gather(yAll, idxT) as tf.Tensor1D, C).toFloat() as tf.Tensor2D,
      };
    });
    const ctx: BatchContext = {
      ...taskCtx,
      x,
      y,
      activeColumns: this.activeColumns(taskCtx.task.classes),
      newLossWeight: 1,
      rows: idx,
      owned: [],
    };
    let kept: Record<string, tf.Scalar> | null = null;
    try {
      for (const p of this.plugins) p.beforeBatch?.(ctx);
      const replay = ctx.replay;
      const nNew = ctx.x.shape[0];
      // New and replayed rows go through the model in ONE forward pass with ONE cross-entropy whose rows carry
      // their part's weight: a small head's step costs mostly per-op dispatch, and this cuts an app round's step
      // from ~160 tfjs ops to ~120 (tf.profile, WASM).
      const joint = replay ? this.jointBatch(ctx, replay, mask) : null;
      const { value, grads } = tf.variableGrads(() => {
        let logits: tf.Tensor2D;
        let replayLogits: tf.Tensor2D | undefined;
        let rowCe: tf.Tensor1D | null = null;
        const terms: Record<string, tf.Scalar> = {};
        if (joint) {
          const all = this.model.logits(joint.x);
          logits = tf.slice(all, [0, 0], [nNew, -1]) as tf.Tensor2D;
          replayLogits = tf.slice(all, [nNew, 0], [-1, -1]) as tf.Tensor2D;
          rowCe = weightedRowCrossEntropy(all, joint.y, joint.rowWeights, joint.mask);
          terms.ce = tf.sum(rowCe) as tf.Scalar;
        } else {
          logits = this.model.logits(ctx.x);
          terms.ce = tf.mul(maskedCrossEntropy(logits, ctx.y, mask), ctx.newLossWeight) as tf.Scalar;
        }
        for (const p of this.plugins) Object.assign(terms, p.lossTerms?.(ctx, logits, replayLogits));
        const total = tf.addN(Object.values(terms)) as tf.Scalar;
        if (report) {
          const shown = rowCe
            ? // The loss curve keeps the new data's and the replayed data's cross-entropy apart (report steps
              // only; neither part is on the gradient's path).
              { ...terms, ce: tf.sum(tf.slice(rowCe, 0, nNew)) as tf.Scalar, replay: tf.sum(tf.slice(rowCe, nNew)) as tf.Scalar }
            : terms;
          kept = Object.fromEntries(Object.entries(shown).map(([k, v]) => [k, tf.keep(v)]));
        }
        return total;
      }, taskCtx.trainable);
      if (kept) (kept as Record<string, tf.Scalar>).total = value;
      else value.dispose();
      for (const p of this.plugins) p.afterBackward?.(ctx, grads);
      optimizer.applyGradients(grads);
      tf.dispose(grads);
      for (const p of this.plugins) p.afterBatch?.(ctx);
      return kept;
    } finally {
      tf.dispose([ctx.x, ctx.y, ...ctx.owned]);
      if (ctx.replay)
        tf.dispose([ctx.replay.x, ctx.replay.y, ctx.replay.logits ?? [], ctx.replay.mask ?? []]);
    }
  }

  /**
   * The new rows and the replayed rows as one batch for `trainStep`: inputs, targets, per-row weights (a part's
   * weight over its row count, so each part keeps its mean) and the additive mask (Task-IL), all owned by `ctx`.
   */
  private jointBatch(
    ctx: BatchContext,
    replay: NonNullable<BatchContext['replay']>,
    mask: tf.Tensor1D | undefined,
  ): { x: tf.Tensor2D; y: tf.Tensor2D; rowWeights: tf.Tensor1D; mask?: tf.Tensor2D } {
    const nNew = ctx.x.shape[0];
    const nReplay = replay.x.shape[0];
    const C = ctx.y.shape[1];
    const weights = new Float32Array(nNew + nReplay);
    weights.fill(ctx.newLossWeight / nNew, 0, nNew);
    weights.fill(replay.weight / nReplay, nNew);
    const joint = tf.tidy(() => ({
      x: tf.concat([ctx.x, replay.x]) as tf.Tensor2D,
      y: tf.concat([ctx.y, replay.y]) as tf.Tensor2D,
      rowWeights: tf.tensor1d(weights),
      ...(mask || replay.mask
        ? {
            mask: tf.concat([
              mask ? tf.tile(tf.reshape(mask, [1, C]), [nNew, 1]) : tf.zeros([nNew, C]),
              replay.mask ?? tf.zeros([nReplay, C]),
            ]) as tf.Tensor2D,
          }
        : {}),
    }));
    ctx.owned.push(joint.x, joint.y, joint.rowWeights, ...(joint.mask ? [joint.mask] : []));
    return joint;
  }

  /** Logits for n inputs, in chunks, as one tensor (caller disposes). */
  private logitsOf(x: Float32Array, n: number): tf.Tensor2D {
    return this.model.logitsOfRows(x, n);
  }

  /** Softmax probabilities over every output for n inputs (row-major n x numOutputs). */
  async predictProba(x: Float32Array, n: number): Promise<Float32Array> {
    if (n === 0 || this.model.numOutputs === 0) return new Float32Array(0);
    const logits = this.logitsOf(await this.features(x, n), n);
    const p = tf.softmax(logits);
    logits.dispose();
    const out = (await p.data()) as Float32Array;
    p.dispose();
    return out;
  }

  /** Raw logits for n inputs (row-major n x numOutputs). */
  async predictLogits(x: Float32Array, n: number): Promise<Float32Array> {
    if (n === 0 || this.model.numOutputs === 0) return new Float32Array(0);
    const logits = this.logitsOf(await this.features(x, n), n);
    const out = (await logits.data()) as Float32Array;
    logits.dispose();
    return out;
  }

  /** Accuracy on a task's data; Task-IL predicts among the task's own classes. */
  async evaluate(task: TaskData): Promise<Evaluation> {
    const n = task.y.length;
    if (n === 0) return { accuracy: 0, predictions: new Int32Array(0) };
    if (this.model.numOutputs === 0) return { accuracy: 0, predictions: new Int32Array(n).fill(-1) };
    const logits = this.logitsOf(await this.features(task.x, n), n);
    const active = this.activeColumns(task.classes.filter((c) => c < this.model.numOutputs));
    const mask =
      active && active.length > 0 ? tf.tensor1d(columnMask(active, this.model.numOutputs)) : undefined;
    const pred = maskedArgMax(logits, mask);
    const predictions = new Int32Array(await pred.data());
    tf.dispose([logits, pred, mask ?? []]);
    let ok = 0;
    for (let i = 0; i < n; i++) if (predictions[i] === task.y[i]) ok++;
    return { accuracy: ok / n, predictions };
  }

  /** Everything needed to resume: model, strategy states, RNG and task history (no replay memory). */
  async exportState(): Promise<EngineState> {
    const tensors: TensorRecord[] = await this.model.exportWeights('model/');
    const pluginJson: Record<string, unknown> = {};
    for (const p of this.plugins) {
      const s = await p.exportState?.();
      if (!s) continue;
      pluginJson[p.name] = s.json;
      for (const t of s.tensors) tensors.push({ ...t, name: `${p.name}/${t.name}` });
    }
    const { replay, ...rest } = this.config.strategies;
    let storedReplay: Omit<NonNullable<typeof replay>, 'memory'> | undefined;
    if (replay) {
      const { memory: _memory, ...r } = replay;
      storedReplay = r;
    }
    const stored: StoredConfig = {
      ...this.config,
      strategies: { ...rest, ...(storedReplay ? { replay: storedReplay } : {}) },
    };
    return {
      format: 'retain-engine',
      version: 1,
      json: {
        config: stored as unknown as Record<string, unknown>,
        numOutputs: this.model.numOutputs,
        tasksSeen: this.seen,
        taskClasses: [...this.taskClasses.entries()],
        rng: this.rng.getState(),
        plugins: pluginJson,
      },
      tensors,
    };
  }

  /** Rebuilds a learner from `exportState()`; `memory` re-attaches the replay memory when replay is on. */
  static fromState(
    state: EngineState,
    attach: { memory?: ReplayMemory; featureExtractor?: FeatureExtractor } = {},
  ): Learner {
    if (state?.format !== 'retain-engine' || state.version !== 1) {
      throw new Error(
        `not a Retain engine state (format ${String(state?.format)}, version ${String(state?.version)})`,
      );
    }
    const json = state.json as {
      config: StoredConfig;
      tasksSeen: number;
      taskClasses: [number, number[]][];
      rng: number;
      plugins: Record<string, Record<string, unknown>>;
    };
    const cfg = json.config;
    if (cfg.strategies.replay && !attach.memory)
      throw new Error('this state uses replay: pass its memory to fromState');
    const { replay, ...rest } = cfg.strategies;
    const config: LearnerConfig = {
      ...cfg,
      strategies: { ...rest, ...(replay ? { replay: { ...replay, memory: attach.memory! } } : {}) },
    };
    const model = ContinualModel.fromWeights(config.model, state.tensors, 'model/');
    const learner = new Learner(config, { featureExtractor: attach.featureExtractor });
    learner.model.dispose();
    learner.model = model;
    learner.seen = json.tasksSeen;
    for (const [t, c] of json.taskClasses) learner.taskClasses.set(t, c);
    learner.rng.setState(json.rng);
    for (const p of learner.plugins) {
      const prefix = `${p.name}/`;
      const tensors = state.tensors
        .filter((t) => t.name.startsWith(prefix))
        .map((t) => ({ ...t, name: t.name.slice(prefix.length) }));
      p.importState?.({ json: json.plugins[p.name] ?? {}, tensors });
    }
    return learner;
  }

  /** Frees the model and every plugin's tensors. */
  dispose(): void {
    this.model.dispose();
    for (const p of this.plugins) p.dispose?.();
  }
}

/** Rows `idx` of a row-major host matrix of width d, as a tensor. */
function hostRows(x: Float32Array, idx: Int32Array, d: number): tf.Tensor2D {
  const out = new Float32Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) out.set(x.subarray(idx[i] * d, (idx[i] + 1) * d), i * d);
  return tf.tensor2d(out, [idx.length, d]);
}

/**
 * Lets queued tasks (a cancel message, UI events) run. A MessageChannel message is a task without the 4 ms
 * clamp that nested `setTimeout(0)` gets after five levels, which cost ~20 ms per round of ten progress events.
 */
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
