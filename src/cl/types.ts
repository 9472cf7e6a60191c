import type * as tf from '@tensorflow/tfjs';
import type { ReplayMemory, TensorRecord } from '../memory/types';
import type { ContinualModel } from './model';

/** The three continual-learning scenarios of van de Ven et al. */
export type Scenario = 'class-il' | 'task-il' | 'domain-il';

/** Which parameters train: everything, only the head, or the last N dense layers (head included). */
export type FreezeSpec = { train: 'all' } | { train: 'head' } | { train: 'last'; layers: number };

/** Shape of the model: an optional frozen feature extractor, an MLP body, a linear head. */
export interface ModelConfig {
  /** Width of the input vector (after the feature extractor, if any). */
  inputDim: number;
  /** Hidden layer widths of the ReLU MLP body; [] means a linear classifier on the input. */
  hidden: number[];
  scenario: Scenario;
  /**
   * Outputs the head starts with. Class-IL and Task-IL grow it as classes arrive (0 is fine);
   * Domain-IL keeps it fixed (the classes per task).
   */
  outputs: number;
  /** Seed of the weight initialisation. */
  seed: number;
}

/** One task / learning round: its samples and the classes it introduces. */
export interface TaskData {
  /** Task index, 0-based, in arrival order. */
  task: number;
  /** Row-major inputs, n x inputDim. */
  x: Float32Array;
  /** Labels: global class indices (class-IL, task-IL) or within-task labels (domain-IL). */
  y: Int32Array;
  /** The classes this task's outputs cover (global indices; for domain-IL, 0..outputs-1). */
  classes: number[];
}

/** Progress of a training run, emitted every `progressEvery` steps and at the end. */
export interface TrainProgress {
  task: number;
  step: number;
  totalSteps: number;
  /** Each loss term by name (`ce`, `replay`, `ewc`, `lwf`, `distillStored`, `total`). */
  losses: Record<string, number>;
}

/** Options of one `learnTask` call. */
export interface TrainOptions {
  /** Optimizer steps for this task (wins over `epochs`). */
  iterations?: number;
  /** Passes over the task's data when `iterations` is absent. */
  epochs?: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Read losses back every this many steps (readbacks stall the GPU). Default 10. */
  progressEvery?: number;
}

/** EWC settings. */
export interface EwcConfig {
  lambda: number;
  /** `separate`: one anchor and Fisher per past task; `online`: one running Fisher decayed by gamma. */
  mode: 'separate' | 'online';
  /** Decay of the running Fisher in online mode (1 = no decay). */
  gamma: number;
  /** `true`: labels sampled from the model's own predictions; `empirical`: the data's labels. */
  fisher: 'true' | 'empirical';
  /** Samples the Fisher is averaged over, at the end of each task. */
  fisherSamples: number;
}

/** LwF settings. */
export interface LwfConfig {
  /** Weight of the distillation term. */
  alpha: number;
  temperature: number;
  /**
   * `fixed` (default): loss = CE + alpha * KL. `inverse-task`: in the t-th task, loss = (1/t) CE + (1 - 1/t)
   * alpha * KL, as van de Ven et al. weight LwF, so the old tasks together keep the weight of their share.
   */
  weighting?: 'fixed' | 'inverse-task';
}

/** Experience-replay settings. */
export interface ReplayConfig {
  memory: ReplayMemory;
  /** Replayed samples per batch. */
  batchSize: number;
  /** `inverse-task`: (1/t) L_new + (1-1/t) L_replay (van de Ven); a number r: (1-r) L_new + r L_replay. */
  weighting: 'inverse-task' | number;
  /** Samples offered to the memory per class at the end of a task (all of the task's data when absent). */
  storePerClass?: number;
  /** Distil the logits stored with replayed samples (replay + distillation of stored outputs). */
  distillStored?: { alpha: number; temperature: number };
}

/** The strategies of one run, any combination. Fine-tuning is what remains when none is set. */
export interface StrategyConfig {
  freeze?: FreezeSpec;
  ewc?: EwcConfig;
  lwf?: LwfConfig;
  replay?: ReplayConfig;
}

/** Optimiser and batching of a learner. */
export interface LearnerConfig {
  model: ModelConfig;
  strategies: StrategyConfig;
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  batchSize: number;
  /** Seed of batching, replay draws and Fisher sampling. */
  seed: number;
}

/** What a strategy plugin sees for one task. */
export interface TaskContext {
  task: TaskData;
  /** The model being trained (its head has already grown for this task's classes). */
  model: ContinualModel;
  scenario: Scenario;
  /** The parameters that train (after the freeze specification). */
  trainable: tf.Variable[];
  /** Classes of every task seen so far, this one included (Task-IL masks to them). */
  taskClasses: ReadonlyMap<number, readonly number[]>;
  /** How many tasks were learned before this one (0 for the first). */
  tasksSeen: number;
  /** Uniform random numbers in [0, 1), seeded. */
  rng: () => number;
}

/** What a strategy plugin sees for one batch. Tensors are owned by the loop and disposed after the step. */
export interface BatchContext extends TaskContext {
  x: tf.Tensor2D;
  /** One-hot targets over the head's current outputs. */
  y: tf.Tensor2D;
  /** Columns of the head the loss may use (Task-IL masks the others). */
  activeColumns: number[] | null;
  /**
   * Set by replay in `beforeBatch`: samples drawn from memory. The loop runs them through the model with `x` in
   * one forward pass and one cross-entropy, the replayed rows weighted by `weight` (their mean) and the new rows
   * by `newLossWeight`.
   */
  replay?: {
    x: tf.Tensor2D;
    y: tf.Tensor2D;
    /** Weight of the replayed rows' mean cross-entropy. */
    weight: number;
    /** Stored logits of the replayed samples (their first `logitColumns` columns). */
    logits?: tf.Tensor2D;
    logitColumns?: number;
    /** Additive per-sample logit mask (Task-IL: each sample's own task's classes). */
    mask?: tf.Tensor2D;
  };
  /** Weight of the new-data cross-entropy (replay lowers it). */
  newLossWeight: number;
  /** Rows of `task.x` in this batch, in batch order (`x` holds their inputs). */
  rows: Int32Array;
  /** Tensors a plugin made for this batch in `beforeBatch` (outside the gradient tape); the loop disposes them. */
  owned: tf.Tensor[];
  /** Set by LwF in `beforeBatch`: the frozen teacher's logits for `x`. */
  teacherLogits?: tf.Tensor2D;
}

/** A strategy as a plugin on the training loop's hooks. Every hook is optional. */
export interface StrategyPlugin {
  readonly name: string;
  beforeTask?(ctx: TaskContext): void | Promise<void>;
  /** Called before each batch; may add replayed samples to the context. */
  beforeBatch?(ctx: BatchContext): void;
  /**
   * Extra loss terms, evaluated inside the gradient tape. `logits` are the model's outputs on `ctx.x`;
   * `replayLogits` on `ctx.replay.x` when there is replay. The cross-entropy of both is the loop's own.
   */
  lossTerms?(ctx: BatchContext, logits: tf.Tensor2D, replayLogits?: tf.Tensor2D): Record<string, tf.Scalar>;
  /** Called with the gradients before the optimizer applies them. */
  afterBackward?(ctx: BatchContext, grads: Record<string, tf.Tensor>): void;
  afterBatch?(ctx: BatchContext): void;
  afterTask?(ctx: TaskContext): void | Promise<void>;
  /** Called instead of `afterTask` when the task fails or is cancelled: drop what `beforeTask` made. */
  taskAborted?(): void;
  /** The plugin's state for a checkpoint (EWC anchors and Fisher, the LwF teacher...). */
  exportState?(): Promise<{ json: Record<string, unknown>; tensors: TensorRecord[] }>;
  importState?(state: { json: Record<string, unknown>; tensors: TensorRecord[] }): void;
  dispose?(): void;
}

/**
 * A frozen feature extractor run in front of the trainable model (e.g. a pretrained CNN cut at its global
 * pooling). Frozen, so each input's features are computed once per task and replay stores features.
 */
export interface FeatureExtractor {
  /** Width of a raw input row. */
  readonly inputDim: number;
  /** Width of a feature row (the model's `inputDim`). */
  readonly outputDim: number;
  /** Features for a batch of raw rows [B, inputDim] -> [B, outputDim]. */
  apply(x: tf.Tensor2D): tf.Tensor2D;
}

/**
 * Most input values a task (or a replay memory) keeps whole on the backend (64 MiB of float32); larger ones are
 * batched from host memory.
 */
export const DEVICE_MAX_VALUES = 16 * 1024 * 1024;
