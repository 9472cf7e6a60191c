/** The continual learner: a model, an optimiser and strategy plugins on a seeded, hook-based training loop. */
import * as tf from '@tensorflow/tfjs';
import type { EngineState, ReplayMemory, TensorRecord } from '../memory/types';
import type { LearnerConfig } from './config';
import { InvalidConfigError, NonFiniteLossError, TrainingCancelledError } from './errors';
import { columnMask, maskedArgMax } from './losses';
import { ContinualModel } from './model';
import type { StrategyPlugin, TaskContext } from './plugin';
import { SeededRandom } from './rng';
import { trainStep } from './step';
import { createStrategyPlugins } from './strategies';
import { DEVICE_MAX_VALUES, type FeatureExtractor, type TaskData, type TrainOptions } from './types';
import { trainingSteps, validateLearnerConfig, validateTask } from './validate';

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

/** What a learner is given besides its config. */
export interface LearnerRuntime {
  /** A frozen feature extractor run in front of the model. */
  featureExtractor?: FeatureExtractor;
  /**
   * The strategy plugins, in hook order, instead of the ones `config.strategies` names (`createStrategyPlugins`):
   * how a strategy of one's own joins the built-in ones. Names must be unique.
   */
  plugins?: StrategyPlugin[];
}

/**
 * A continual learner: a model, an optimiser and strategy plugins on a hook-based training loop
 * (before/after task, before/after batch, loss terms, after backward), seeded so a run can be repeated.
 */
export class Learner {
  readonly config: LearnerConfig;
  readonly plugins: readonly StrategyPlugin[];
  private model: ContinualModel;
  private readonly rng: SeededRandom;
  private readonly taskClasses = new Map<number, number[]>();
  private seen = 0;
  private readonly extractor: FeatureExtractor | undefined;

  /**
   * Creates a learner with a freshly initialised model, optionally behind a frozen feature extractor. Every
   * setting is checked first: a refused config allocates nothing.
   */
  constructor(config: LearnerConfig, runtime: LearnerRuntime = {}) {
    validateLearnerConfig(config);
    const fx = runtime.featureExtractor;
    if (fx && fx.outputDim !== config.model.inputDim) {
      throw new InvalidConfigError(
        `the feature extractor gives ${fx.outputDim} features but the model takes ${config.model.inputDim}`,
      );
    }
    // Plugins check their settings when made and hold no tensor until a task starts: made before the model.
    const plugins = runtime.plugins ?? createStrategyPlugins(config.strategies);
    const names = plugins.map((p) => p.name);
    const repeated = names.find((n, i) => names.indexOf(n) !== i);
    if (repeated !== undefined) throw new InvalidConfigError(`two strategy plugins are named '${repeated}'`);
    this.plugins = [...plugins];
    this.extractor = fx;
    this.config = config;
    this.rng = new SeededRandom(config.seed);
    this.model = new ContinualModel(config.model);
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

  /** Columns the loss may use for a task: its own classes in Task-IL, every output otherwise. */
  private activeColumns(classes: readonly number[]): number[] | null {
    return this.config.model.scenario === 'task-il' ? [...classes] : null;
  }

  /**
   * Trains on one task, running every plugin's hooks. The task and options are checked before anything changes;
   * on error or cancellation the model, the task history, the RNG and every plugin are rolled back.
   */
  async learnTask(rawTask: TaskData, options: TrainOptions = {}): Promise<TaskReport> {
    const n = validateTask(rawTask, {
      inputDim: this.inputDim,
      scenario: this.config.model.scenario,
      numOutputs: this.model.numOutputs,
    });
    const bs = this.config.batchSize;
    const totalSteps = trainingSteps(options, n, bs);
    const progressEvery = options.progressEvery ?? 10;
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
      const activeColumns = this.activeColumns(task.classes);
      const mask = activeColumns ? tf.tensor1d(columnMask(activeColumns, this.model.numOutputs)) : undefined;
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
          const batch = { xAll: xAll ?? task.x, yAll, idx, mask, activeColumns };
          const losses = trainStep(this.model, this.plugins, optimizer, ctx, batch, report);
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
      for (const p of this.plugins) p.taskCommitted?.();
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
    attach: { memory?: ReplayMemory } & LearnerRuntime = {},
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
    if (!cfg || typeof cfg !== 'object' || !cfg.strategies) throw new Error('engine state: the config is missing');
    if (!Number.isInteger(json.tasksSeen) || json.tasksSeen < 0) throw new Error(`engine state: bad task count ${String(json.tasksSeen)}`);
    if (!Array.isArray(json.taskClasses)) throw new Error('engine state: the task history is missing');
    if (!Number.isInteger(json.rng)) throw new Error(`engine state: bad RNG state ${String(json.rng)}`);
    if (cfg.strategies.replay && !attach.memory)
      throw new Error('this state uses replay: pass its memory to fromState');
    const { replay, ...rest } = cfg.strategies;
    const config: LearnerConfig = {
      ...cfg,
      strategies: { ...rest, ...(replay ? { replay: { ...replay, memory: attach.memory! } } : {}) },
    };
    const learner = new Learner(config, attach);
    try {
      const model = ContinualModel.fromWeights(config.model, state.tensors, 'model/');
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
        p.importState?.({ json: json.plugins?.[p.name] ?? {}, tensors });
      }
    } catch (err) {
      learner.dispose();
      throw err;
    }
    return learner;
  }

  /** Frees the model and every plugin's tensors. */
  dispose(): void {
    this.model.dispose();
    for (const p of this.plugins) p.dispose?.();
  }
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
