import * as tf from '@tensorflow/tfjs';
import type { TensorRecord } from '../../memory/types';
import { ewcPenalty, fisherAccumulate } from '../../ops';
import { columnMask } from '../losses';
import type { BatchContext, EwcConfig, StrategyPlugin, TaskContext } from '../types';
import { fromRecords, padTo, toRecords } from './tensors';

/**
 * Elastic Weight Consolidation (Kirkpatrick et al. 2017) as a plugin: at the end of each task it estimates the
 * diagonal Fisher information (mean squared gradient of the log-likelihood, one sample at a time) and then adds
 * `(lambda/2) sum F (theta - theta*)^2` to every later step.
 *
 * Separate mode keeps one (F_k, theta*_k) pair per past task; because the penalties are quadratics in theta, their
 * sum is folded exactly into one pair (sum F_k, sum F_k theta*_k / sum F_k) plus a constant, so a step costs one
 * fused pass however many tasks came before. Online mode (Schwarz et al. 2018) keeps one running Fisher
 * `F <- gamma F + F_t` anchored at the latest parameters.
 */
export class EwcPlugin implements StrategyPlugin {
  readonly name = 'ewc';
  /** Fisher per parameter tensor (sum over tasks in separate mode, the running one in online mode). */
  private fisher: tf.Tensor[] = [];
  /** Anchor per parameter tensor (the folded anchor in separate mode). */
  private anchor: tf.Tensor[] = [];
  /** Separate mode: sum_k sum F_k theta*_k^2, for the penalty's constant part. */
  private sumFTheta2 = 0;
  /** The penalty's constant (separate mode), so the reported value equals the sum of per-task penalties. */
  private offset = 0;
  private tasks = 0;

  constructor(readonly config: EwcConfig) {
    if (!(config.lambda >= 0)) throw new Error(`EWC lambda must be >= 0, got ${config.lambda}`);
    if (!(config.gamma >= 0 && config.gamma <= 1))
      throw new Error(`EWC gamma must be in [0, 1], got ${config.gamma}`);
    if (!Number.isInteger(config.fisherSamples) || config.fisherSamples < 1) {
      throw new Error(`EWC fisherSamples must be a positive integer, got ${config.fisherSamples}`);
    }
  }

  /** Number of tasks consolidated so far. */
  get consolidatedTasks(): number {
    return this.tasks;
  }

  /** The current Fisher tensors (for inspection and tests). */
  get fisherTensors(): readonly tf.Tensor[] {
    return this.fisher;
  }

  /** The current anchors (for inspection and tests). */
  get anchorTensors(): readonly tf.Tensor[] {
    return this.anchor;
  }

  /** Pads Fisher and anchors to the model's current shapes (a grown head gets F = 0 on its new columns). */
  private align(ctx: TaskContext): void {
    const vars = ctx.model.allVariables();
    if (this.fisher.length === 0) return;
    if (this.fisher.length !== vars.length)
      throw new Error('EWC state does not match the model: different layer count');
    const pad = (ts: tf.Tensor[]) =>
      ts.map((t, i) => {
        if (t.shape.join() === vars[i].shape.join()) return t;
        const p = padTo(t, vars[i].shape);
        t.dispose();
        return p;
      });
    this.fisher = pad(this.fisher);
    this.anchor = pad(this.anchor);
  }

  beforeTask(ctx: TaskContext): void {
    this.align(ctx);
  }

  lossTerms(ctx: BatchContext): Record<string, tf.Scalar> {
    if (this.tasks === 0 || this.config.lambda === 0) return {};
    // The trainable variables are a suffix of all variables (freezing keeps the last layers).
    const from = this.fisher.length - ctx.trainable.length;
    const penalty = ewcPenalty(
      ctx.trainable,
      this.anchor.slice(from),
      this.fisher.slice(from),
      this.config.lambda,
    );
    return { ewc: this.offset === 0 ? penalty : (tf.add(penalty, this.offset) as tf.Scalar) };
  }

  /** Estimates the Fisher of the task just learned and folds it into the running state. */
  async afterTask(ctx: TaskContext): Promise<void> {
    const { task, model } = ctx;
    const vars = model.allVariables();
    const d = model.config.inputDim;
    const n = task.y.length;
    const m = Math.min(this.config.fisherSamples, n);
    const mask =
      ctx.scenario === 'task-il'
        ? tf.tensor2d(columnMask(task.classes, model.numOutputs), [1, model.numOutputs])
        : undefined;
    const online = this.config.mode === 'online' && this.tasks > 0;
    // Online mode decays the old Fisher in the first accumulation step: F <- gamma F + g_1^2 / m.
    let fisher: tf.Tensor[] = online ? this.fisher.map((f) => f.clone()) : vars.map((v) => tf.zerosLike(v));
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(ctx.rng() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let s = 0; s < m; s++) {
      const i = order[s];
      const seed = Math.floor(ctx.rng() * 2 ** 31);
      const grads = tf.tidy(() => {
        const x = tf.tensor2d(task.x.subarray(i * d, (i + 1) * d), [1, d]);
        const masked = (z: tf.Tensor2D) => (mask ? (tf.add(z, mask) as tf.Tensor2D) : z);
        // True Fisher: the label is drawn from the model's own predictive distribution (outside the tape:
        // sampling has no gradient); empirical Fisher uses the data's label.
        const label =
          this.config.fisher === 'true'
            ? (tf.reshape(tf.multinomial(masked(model.logits(x)), 1, seed), [1]) as tf.Tensor1D)
            : tf.tensor1d([task.y[i]], 'int32');
        const target = tf.oneHot(label, model.numOutputs);
        const { value, grads: g } = tf.variableGrads(
          () => tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(masked(model.logits(x)))))) as tf.Scalar,
          vars,
        );
        value.dispose();
        return vars.map((v) => g[v.name]);
      });
      const next = fisherAccumulate(fisher, grads, s === 0 && online ? this.config.gamma : 1, 1 / m);
      tf.dispose([...fisher, ...grads]);
      fisher = next;
    }
    mask?.dispose();
    if (this.config.mode === 'online' || this.tasks === 0) {
      const theta = vars.map((v) => v.clone());
      if (this.config.mode === 'separate') {
        this.sumFTheta2 = await sumOf(
          fisher.map((f, k) => tf.tidy(() => tf.sum(tf.mul(f, tf.square(theta[k]))))),
        );
      }
      tf.dispose([...this.fisher, ...this.anchor]);
      this.fisher = fisher;
      this.anchor = theta;
    } else {
      // Separate mode: F' = F + F_t; anchor' = (F anchor + F_t theta_t) / F'; where F' = 0 the anchor is unused.
      const sumF = this.fisher.map((f, k) => tf.add(f, fisher[k]));
      const anchor = tf.tidy(() =>
        sumF.map((s, k) => {
          const num = tf.add(tf.mul(this.fisher[k], this.anchor[k]), tf.mul(fisher[k], vars[k]));
          return tf.where(tf.greater(s, 0), tf.divNoNan(num, s), vars[k]);
        }),
      );
      this.sumFTheta2 += await sumOf(
        fisher.map((f, k) => tf.tidy(() => tf.sum(tf.mul(f, tf.square(vars[k]))))),
      );
      tf.dispose([...this.fisher, ...this.anchor, ...fisher]);
      this.fisher = sumF;
      this.anchor = anchor;
    }
    this.tasks++;
    if (this.config.mode === 'separate') {
      // Constant part: lambda/2 * (sum F theta*^2 - sum F anchor^2), which the folded penalty leaves out.
      const folded = await sumOf(
        this.fisher.map((f, k) => tf.tidy(() => tf.sum(tf.mul(f, tf.square(this.anchor[k]))))),
      );
      this.offset = (this.config.lambda / 2) * Math.max(0, this.sumFTheta2 - folded);
    }
  }

  async exportState(): Promise<{ json: Record<string, unknown>; tensors: TensorRecord[] }> {
    return {
      json: { tasks: this.tasks, sumFTheta2: this.sumFTheta2, offset: this.offset, mode: this.config.mode },
      tensors: [...(await toRecords('fisher/', this.fisher)), ...(await toRecords('anchor/', this.anchor))],
    };
  }

  importState(state: { json: Record<string, unknown>; tensors: TensorRecord[] }): void {
    this.dispose();
    this.tasks = Number(state.json.tasks ?? 0);
    this.sumFTheta2 = Number(state.json.sumFTheta2 ?? 0);
    this.offset = Number(state.json.offset ?? 0);
    this.fisher = fromRecords('fisher/', state.tensors);
    this.anchor = fromRecords('anchor/', state.tensors);
    if (this.fisher.length !== this.anchor.length)
      throw new Error('EWC state: Fisher and anchors do not pair up');
    if (this.tasks > 0 && this.fisher.length === 0) throw new Error('EWC state: Fisher tensors are missing');
  }

  dispose(): void {
    tf.dispose([...this.fisher, ...this.anchor]);
    this.fisher = [];
    this.anchor = [];
  }
}

/** Sums scalar tensors on the host and disposes them. */
async function sumOf(scalars: tf.Tensor[]): Promise<number> {
  const values = await Promise.all(scalars.map((s) => s.data()));
  tf.dispose(scalars);
  return values.reduce((a, v) => a + v[0], 0);
}
