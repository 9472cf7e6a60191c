/** Elastic Weight Consolidation (separate and online) as a strategy plugin. */
import * as tf from '@tensorflow/tfjs';
import { ewcPenalty } from '../../ops';
import { LIMITS, type EwcConfig } from '../config';
import { columnMask } from '../losses';
import type { BatchContext, PluginState, StrategyPlugin, TaskContext } from '../plugin';
import { checkInteger, checkNumber, checkOneOf } from '../validate';
import { batchedDiagonalFisher } from './fisher';
import { fromRecords, padTo, toRecords } from './tensors';

/** EWC's state: Fisher and anchor per parameter tensor, and the separate mode's constant. */
interface EwcState {
  /** Fisher per parameter tensor (sum over tasks in separate mode, the running one in online mode). */
  fisher: tf.Tensor[];
  /** Anchor per parameter tensor (the folded anchor in separate mode). */
  anchor: tf.Tensor[];
  /** Separate mode: sum_k sum F_k theta*_k^2, for the penalty's constant part. */
  sumFTheta2: number;
  /** The penalty's constant (separate mode), so the reported value equals the sum of per-task penalties. */
  offset: number;
  /** Tasks consolidated. */
  tasks: number;
}

const emptyState = (): EwcState => ({ fisher: [], anchor: [], sumFTheta2: 0, offset: 0, tasks: 0 });

/** Frees a state's tensors except those in `keep`. */
function disposeState(state: EwcState, keep: readonly tf.Tensor[] = []): void {
  const kept = new Set(keep);
  tf.dispose([...new Set([...state.fisher, ...state.anchor])].filter((t) => !kept.has(t)));
}

/**
 * Elastic Weight Consolidation (Kirkpatrick et al. 2017) as a plugin: at the end of each task it estimates the
 * diagonal Fisher information (mean squared gradient of the log-likelihood, from one batched backward pass) and
 * then adds `(lambda/2) sum F (theta - theta*)^2` to every later step.
 *
 * Separate mode keeps one (F_k, theta*_k) pair per past task; because the penalties are quadratics in theta, their
 * sum is folded exactly into one pair (sum F_k, sum F_k theta*_k / sum F_k) plus a constant, so a step costs one
 * fused pass however many tasks came before. Online mode (Schwarz et al. 2018) keeps one running Fisher
 * `F <- gamma F + F_t` anchored at the latest parameters.
 */
export class EwcPlugin implements StrategyPlugin {
  readonly name = 'ewc';
  /** The state in use: during a task, padded to the grown head. */
  private state: EwcState = emptyState();
  /** During a task: the state from before `beforeTask` padded it, restored if the task is aborted. */
  private previous: EwcState | null = null;
  /** The state with the task just learned folded in, made current when the task commits. */
  private staged: EwcState | null = null;

  /** Checks every setting (refused before any state exists). */
  constructor(readonly config: EwcConfig) {
    checkNumber('EWC lambda', config?.lambda, { min: 0 });
    checkOneOf('EWC mode', config.mode, ['separate', 'online'] as const);
    checkNumber('EWC gamma', config.gamma, { min: 0, max: 1 });
    checkOneOf('EWC fisher', config.fisher, ['true', 'empirical'] as const);
    checkInteger('EWC fisherSamples', config.fisherSamples, 1, LIMITS.maxBatch);
  }

  /** Number of tasks consolidated so far. */
  get consolidatedTasks(): number {
    return this.state.tasks;
  }

  /** The current Fisher tensors (for inspection and tests). */
  get fisherTensors(): readonly tf.Tensor[] {
    return this.state.fisher;
  }

  /** The current anchors (for inspection and tests). */
  get anchorTensors(): readonly tf.Tensor[] {
    return this.state.anchor;
  }

  /**
   * Pads Fisher and anchors to the model's current shapes (a grown head gets F = 0 on its new columns), keeping
   * the unpadded state to restore if the task is aborted.
   */
  beforeTask(ctx: TaskContext): void {
    this.taskAborted();
    const vars = ctx.model.allVariables();
    const { fisher, anchor } = this.state;
    if (fisher.length === 0) return;
    if (fisher.length !== vars.length) throw new Error('EWC state does not match the model: different layer count');
    const pad = (ts: tf.Tensor[]) => ts.map((t, i) => (t.shape.join() === vars[i].shape.join() ? t : padTo(t, vars[i].shape)));
    this.previous = this.state;
    this.state = { ...this.state, fisher: pad(fisher), anchor: pad(anchor) };
  }

  /** `(lambda/2) sum F (theta - anchor)^2` over the trainable parameters, plus the separate mode's constant. */
  lossTerms(ctx: BatchContext): Record<string, tf.Scalar> {
    const { tasks, fisher, anchor, offset } = this.state;
    if (tasks === 0 || this.config.lambda === 0) return {};
    // The trainable variables are a suffix of all variables (freezing keeps the last layers).
    const from = fisher.length - ctx.trainable.length;
    const penalty = ewcPenalty(ctx.trainable, anchor.slice(from), fisher.slice(from), this.config.lambda);
    return { ewc: offset === 0 ? penalty : (tf.add(penalty, offset) as tf.Scalar) };
  }

  /** Estimates the Fisher of the task just learned and folds it into a new state, kept aside until the commit. */
  async afterTask(ctx: TaskContext): Promise<void> {
    const vars = ctx.model.allVariables();
    const current = this.state;
    const { mode, gamma, lambda } = this.config;
    const online = mode === 'online' && current.tasks > 0;
    const taskFisher = await diagonalFisher(ctx, {
      samples: this.config.fisherSamples,
      labels: this.config.fisher,
      previous: online ? current.fisher : null,
      gamma,
    });
    const next: EwcState = { ...emptyState(), tasks: current.tasks + 1, sumFTheta2: current.sumFTheta2, offset: current.offset };
    try {
      if (mode === 'online' || current.tasks === 0) {
        next.fisher = taskFisher;
        next.anchor = vars.map((v) => v.clone());
        if (mode === 'separate') {
          next.sumFTheta2 = await sumOf(taskFisher.map((f, k) => tf.tidy(() => tf.sum(tf.mul(f, tf.square(next.anchor[k]))))));
        }
      } else {
        // Separate mode: F' = F + F_t; anchor' = (F anchor + F_t theta_t) / F'; where F' = 0 the anchor is unused.
        next.fisher = current.fisher.map((f, k) => tf.add(f, taskFisher[k]));
        next.anchor = tf.tidy(() =>
          next.fisher.map((sum, k) => {
            const num = tf.add(tf.mul(current.fisher[k], current.anchor[k]), tf.mul(taskFisher[k], vars[k]));
            return tf.where(tf.greater(sum, 0), tf.divNoNan(num, sum), vars[k]);
          }),
        );
        next.sumFTheta2 += await sumOf(taskFisher.map((f, k) => tf.tidy(() => tf.sum(tf.mul(f, tf.square(vars[k]))))));
        tf.dispose(taskFisher);
      }
      if (mode === 'separate') {
        // Constant part: lambda/2 * (sum F theta*^2 - sum F anchor^2), which the folded penalty leaves out.
        const folded = await sumOf(next.fisher.map((f, k) => tf.tidy(() => tf.sum(tf.mul(f, tf.square(next.anchor[k]))))));
        next.offset = (lambda / 2) * Math.max(0, next.sumFTheta2 - folded);
      }
    } catch (err) {
      tf.dispose(taskFisher);
      disposeState(next);
      throw err;
    }
    this.staged = next;
  }

  /** The staged Fisher and anchors become the state; the old and padded ones are freed. */
  taskCommitted(): void {
    if (!this.staged) return;
    disposeState(this.state);
    if (this.previous) disposeState(this.previous);
    this.state = this.staged;
    this.previous = null;
    this.staged = null;
  }

  /** Drops the task's Fisher and the padded copies: the state is again the one from before the task. */
  taskAborted(): void {
    if (this.staged) disposeState(this.staged);
    this.staged = null;
    if (!this.previous) return;
    disposeState(this.state, [...this.previous.fisher, ...this.previous.anchor]);
    this.state = this.previous;
    this.previous = null;
  }

  /** Fisher, anchors and the separate mode's constants for a checkpoint. */
  async exportState(): Promise<PluginState> {
    const { tasks, sumFTheta2, offset, fisher, anchor } = this.state;
    return {
      json: { tasks, sumFTheta2, offset, mode: this.config.mode },
      tensors: [...(await toRecords('fisher/', fisher)), ...(await toRecords('anchor/', anchor))],
    };
  }

  /** Restores `exportState()`'s output; a state whose tensors do not pair up is refused, holding no tensor. */
  importState(state: PluginState): void {
    this.dispose();
    const tasks = Number(state.json.tasks ?? 0);
    const sumFTheta2 = Number(state.json.sumFTheta2 ?? 0);
    const offset = Number(state.json.offset ?? 0);
    if (!Number.isInteger(tasks) || tasks < 0) throw new Error(`EWC state: bad task count ${String(state.json.tasks)}`);
    if (!Number.isFinite(sumFTheta2) || !Number.isFinite(offset)) throw new Error('EWC state: the penalty constants are not finite');
    const fisher = fromRecords('fisher/', state.tensors);
    const anchor = fromRecords('anchor/', state.tensors);
    const loaded: EwcState = { fisher, anchor, sumFTheta2, offset, tasks };
    const problem =
      fisher.length !== anchor.length
        ? 'Fisher and anchors do not pair up'
        : fisher.some((f, k) => f.shape.join() !== anchor[k].shape.join())
          ? 'Fisher and anchor shapes differ'
          : tasks > 0 && fisher.length === 0
            ? 'Fisher tensors are missing'
            : null;
    if (problem) {
      disposeState(loaded);
      throw new Error(`EWC state: ${problem}`);
    }
    this.state = loaded;
  }

  /** Frees every tensor the plugin holds. */
  dispose(): void {
    this.taskAborted();
    disposeState(this.state);
    this.state = emptyState();
  }
}

/**
 * The diagonal Fisher information of the task just learned: the mean over `samples` of its rows (drawn with
 * `ctx.rng`) of the squared gradient of the log-likelihood, added to `previous` decayed by `gamma` (online mode:
 * F <- gamma F + F_t) or to zeros. One batched forward and backward pass (`batchedDiagonalFisher`: per-layer
 * (X o X)^T (D o D)) instead of one batch-1 backward pass per sample; equal to that loop within float32 rounding.
 * Returns new tensors shaped like `model.allVariables()`.
 */
async function diagonalFisher(
  ctx: TaskContext,
  options: { samples: number; labels: EwcConfig['fisher']; previous: readonly tf.Tensor[] | null; gamma: number },
): Promise<tf.Tensor[]> {
  const { task, model } = ctx;
  const d = model.config.inputDim;
  const n = task.y.length;
  const m = Math.min(options.samples, n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(ctx.rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const picked = order.slice(0, m);
  const rows = new Float32Array(m * d);
  picked.forEach((i, s) => rows.set(task.x.subarray(i * d, (i + 1) * d), s * d));
  const seed = Math.floor(ctx.rng() * 2 ** 31);
  const x = tf.tensor2d(rows, [m, d]);
  const mask =
    ctx.scenario === 'task-il'
      ? tf.tensor2d(columnMask(task.classes, model.numOutputs), [1, model.numOutputs])
      : undefined;
  try {
    const target = tf.tidy(() => {
      // True Fisher: each row's label is drawn from the model's own predictive distribution (no gradient flows
      // through sampling); empirical Fisher uses the data's labels.
      const labels =
        options.labels === 'true'
          ? tf.reshape(tf.multinomial(mask ? (tf.add(model.logits(x), mask) as tf.Tensor2D) : model.logits(x), 1, seed), [m])
          : tf.tensor1d(picked.map((i) => task.y[i]), 'int32');
      return tf.oneHot(labels as tf.Tensor1D, model.numOutputs) as tf.Tensor2D;
    });
    try {
      return batchedDiagonalFisher(model, x, target, { mask, previous: options.previous, gamma: options.gamma });
    } finally {
      target.dispose();
    }
  } finally {
    x.dispose();
    mask?.dispose();
  }
}

/** Sums scalar tensors on the host and disposes them. */
async function sumOf(scalars: tf.Tensor[]): Promise<number> {
  const values = await Promise.all(scalars.map((s) => s.data()));
  tf.dispose(scalars);
  return values.reduce((a, v) => a + v[0], 0);
}
