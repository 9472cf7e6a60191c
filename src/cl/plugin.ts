/**
 * The strategy-plugin contract of the training loop: the hooks, what each hook sees, and how a plugin adds rows
 * and its own data to a batch without the loop knowing which strategy it is.
 */
import type * as tf from '@tensorflow/tfjs';
import type { TensorRecord } from '../memory/types';
import type { Scenario } from './config';
import type { ContinualModel } from './model';
import type { TaskData } from './types';

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
  /** Weight of the new rows' mean cross-entropy: 1, then each plugin's `beforeBatch` may scale it, in plugin order. */
  newLossWeight: number;
  /** Rows of `task.x` in this batch, in batch order (`x` holds their inputs). */
  rows: Int32Array;
  /** Tensors a plugin made for this batch in `beforeBatch` (outside the gradient tape); the loop disposes them. */
  owned: tf.Tensor[];
}

/**
 * Rows a plugin adds to a batch (replay's samples from memory). The loop runs them through the model with the
 * new rows in one forward pass and one cross-entropy, these rows weighted by `weight` (their mean).
 */
export interface ExtraRows {
  x: tf.Tensor2D;
  /** One-hot targets over the head's current outputs. */
  y: tf.Tensor2D;
  /** Weight of these rows' mean cross-entropy. */
  weight: number;
  /** Additive per-row logit mask (Task-IL: each row's own task's classes). */
  mask?: tf.Tensor2D;
}

/**
 * What a plugin adds to one batch in `beforeBatch`: rows to train on, and its own data for the batch (typed by
 * the plugin), handed back to its later hooks. The loop disposes the rows' tensors; tensors in `data` go in
 * `ctx.owned`.
 */
export interface BatchExtension<B> {
  rows?: ExtraRows;
  data?: B;
}

/** A plugin's own part of a batch, as its later hooks get it back. */
export interface OwnBatch<B> {
  /** What its `beforeBatch` returned as `data`. */
  data?: B;
  /** The model's logits on the rows it added (inside the gradient tape in `lossTerms`). */
  rowLogits?: tf.Tensor2D;
}

/** A plugin's state as a checkpoint holds it. */
export interface PluginState {
  json: Record<string, unknown>;
  tensors: TensorRecord[];
}

/**
 * A strategy as a plugin on the training loop's hooks (every hook optional), in this order per task:
 * `beforeTask`, then per batch `beforeBatch`, `lossTerms`, `afterBackward`, `afterBatch`; then `afterTask` for
 * every plugin and, once all succeeded, `taskCommitted`. When anything fails or the task is cancelled, every
 * plugin gets `taskAborted` instead of `taskCommitted` and must be left as it was before `beforeTask`.
 * `B` is the plugin's own per-batch data.
 */
export interface StrategyPlugin<B = unknown> {
  /** Unique among a learner's plugins: names its checkpoint state and the loss term of the rows it adds. */
  readonly name: string;
  beforeTask?(ctx: TaskContext): void | Promise<void>;
  /** Called before each batch (outside the gradient tape); may add rows and scale `ctx.newLossWeight`. */
  beforeBatch?(ctx: BatchContext): BatchExtension<B> | void;
  /**
   * Extra loss terms, evaluated inside the gradient tape. `logits` are the model's outputs on `ctx.x`; the
   * cross-entropy of the new rows and of every plugin's added rows is the loop's own.
   */
  lossTerms?(ctx: BatchContext, logits: tf.Tensor2D, own: OwnBatch<B>): Record<string, tf.Scalar>;
  /** Called with the gradients before the optimizer applies them. */
  afterBackward?(ctx: BatchContext, grads: Record<string, tf.Tensor>, own: OwnBatch<B>): void;
  afterBatch?(ctx: BatchContext, own: OwnBatch<B>): void;
  /** The task's contribution to the plugin's state (EWC's Fisher, LwF's teacher), kept aside until committed. */
  afterTask?(ctx: TaskContext): void | Promise<void>;
  /** Every plugin's `afterTask` succeeded: make what this one kept aside its state. Must not fail. */
  taskCommitted?(): void;
  /** The task failed or was cancelled: drop what this task made and keep the state from before `beforeTask`. */
  taskAborted?(): void;
  /** The plugin's state for a checkpoint (EWC anchors and Fisher, the LwF teacher...). */
  exportState?(): Promise<PluginState>;
  /** Restores what `exportState` returned; on error the plugin is left empty, holding no tensor. */
  importState?(state: PluginState): void;
  dispose?(): void;
}
