/** What a learner is given and reports: a task's data, training options and progress, a frozen feature extractor. */
import type * as tf from '@tensorflow/tfjs';

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
  /**
   * Awaited once the task's data are taken in and before the model is solved from them (the analytic learner:
   * after its statistics, before its Cholesky solves); gradient learners ignore it.
   */
  beforeSolve?: () => Promise<void>;
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
