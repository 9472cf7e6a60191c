/**
 * One optimiser step of the learner's loop: gathers the batch, runs every plugin's batch hooks, and trains the
 * new rows and the rows plugins added (replay) in one forward pass and one row-weighted cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { maskedCrossEntropy, weightedRowCrossEntropy } from './losses';
import type { ContinualModel } from './model';
import type { BatchContext, BatchExtension, ExtraRows, OwnBatch, StrategyPlugin, TaskContext } from './plugin';

/** One batch of the task for `trainStep`. */
export interface StepBatch {
  /** The task's inputs, on the backend or (a large task) in host memory. */
  xAll: tf.Tensor2D | Float32Array;
  yAll: tf.Tensor1D;
  /** Rows of the task in this batch. */
  idx: Int32Array;
  /** Additive column mask of the new rows (Task-IL). */
  mask: tf.Tensor1D | undefined;
  activeColumns: number[] | null;
}

/** Rows added by one plugin, with where they sit in the joint batch. */
interface Part {
  plugin: number;
  name: string;
  rows: ExtraRows;
  offset: number;
}

/** One optimiser step; returns the loss terms (kept) when `report` is set. */
export function trainStep(
  model: ContinualModel,
  plugins: readonly StrategyPlugin[],
  optimizer: tf.Optimizer,
  taskCtx: TaskContext,
  batch: StepBatch,
  report: boolean,
): Record<string, tf.Scalar> | null {
  const { xAll, yAll, idx, mask } = batch;
  const C = model.numOutputs;
  const { x, y } = tf.tidy(() => {
    const idxT = tf.tensor1d(idx, 'int32');
    return {
      x: xAll instanceof Float32Array ? hostRows(xAll, idx, model.config.inputDim) : (tf.gather(xAll, idxT) as tf.Tensor2D),
      y: tf.oneHot(tf.gather(yAll, idxT) as tf.Tensor1D, C).toFloat() as tf.Tensor2D,
    };
  });
  const ctx: BatchContext = { ...taskCtx, x, y, activeColumns: batch.activeColumns, newLossWeight: 1, rows: idx, owned: [] };
  const extensions: (BatchExtension<unknown> | undefined)[] = [];
  let kept: Record<string, tf.Scalar> | null = null;
  try {
    for (const p of plugins) extensions.push(p.beforeBatch?.(ctx) ?? undefined);
    const nNew = ctx.x.shape[0];
    const parts: Part[] = [];
    let offset = nNew;
    extensions.forEach((ext, i) => {
      if (!ext?.rows) return;
      parts.push({ plugin: i, name: plugins[i].name, rows: ext.rows, offset });
      offset += ext.rows.x.shape[0];
    });
    // New and added rows go through the model in ONE forward pass with ONE cross-entropy whose rows carry their
    // part's weight: a small head's step costs mostly per-op dispatch, and this cuts an app round's step from
    // ~160 tfjs ops to ~120 (tf.profile, WASM).
    const joint = parts.length > 0 ? jointBatch(ctx, parts, mask) : null;
    const own: OwnBatch<unknown>[] = extensions.map((ext) => ({ data: ext?.data }));
    const { value, grads } = tf.variableGrads(() => {
      let logits: tf.Tensor2D;
      let rowCe: tf.Tensor1D | null = null;
      const terms: Record<string, tf.Scalar> = {};
      if (joint) {
        const all = model.logits(joint.x);
        logits = tf.slice(all, [0, 0], [nNew, -1]) as tf.Tensor2D;
        for (const part of parts) {
          own[part.plugin].rowLogits = tf.slice(all, [part.offset, 0], [part.rows.x.shape[0], -1]) as tf.Tensor2D;
        }
        rowCe = weightedRowCrossEntropy(all, joint.y, joint.rowWeights, joint.mask);
        terms.ce = tf.sum(rowCe) as tf.Scalar;
      } else {
        logits = model.logits(ctx.x);
        terms.ce = tf.mul(maskedCrossEntropy(logits, ctx.y, mask), ctx.newLossWeight) as tf.Scalar;
      }
      plugins.forEach((p, i) => Object.assign(terms, p.lossTerms?.(ctx, logits, own[i])));
      const total = tf.addN(Object.values(terms)) as tf.Scalar;
      if (report) {
        const shown = { ...terms };
        if (rowCe) {
          // The loss curve keeps the new rows' and each part's cross-entropy apart (report steps only; neither
          // part is on the gradient's path).
          const ce = rowCe;
          shown.ce = tf.sum(tf.slice(ce, 0, nNew)) as tf.Scalar;
          for (const part of parts) shown[part.name] = tf.sum(tf.slice(ce, part.offset, part.rows.x.shape[0])) as tf.Scalar;
        }
        kept = Object.fromEntries(Object.entries(shown).map(([k, v]) => [k, tf.keep(v)]));
      }
      return total;
    }, taskCtx.trainable);
    if (kept) (kept as Record<string, tf.Scalar>).total = value;
    else value.dispose();
    plugins.forEach((p, i) => p.afterBackward?.(ctx, grads, own[i]));
    optimizer.applyGradients(grads);
    tf.dispose(grads);
    plugins.forEach((p, i) => p.afterBatch?.(ctx, own[i]));
    return kept;
  } finally {
    tf.dispose([ctx.x, ctx.y, ...ctx.owned]);
    for (const ext of extensions) if (ext?.rows) tf.dispose([ext.rows.x, ext.rows.y, ext.rows.mask ?? []]);
  }
}

/**
 * The new rows and every part's rows as one batch: inputs, targets, per-row weights (a part's weight over its
 * row count, so each part keeps its mean) and the additive mask (Task-IL), all owned by `ctx`.
 */
function jointBatch(
  ctx: BatchContext,
  parts: readonly Part[],
  mask: tf.Tensor1D | undefined,
): { x: tf.Tensor2D; y: tf.Tensor2D; rowWeights: tf.Tensor1D; mask?: tf.Tensor2D } {
  const nNew = ctx.x.shape[0];
  const C = ctx.y.shape[1];
  const total = parts.reduce((a, p) => a + p.rows.x.shape[0], nNew);
  const weights = new Float32Array(total);
  weights.fill(ctx.newLossWeight / nNew, 0, nNew);
  for (const p of parts) weights.fill(p.rows.weight / p.rows.x.shape[0], p.offset, p.offset + p.rows.x.shape[0]);
  const joint = tf.tidy(() => ({
    x: tf.concat([ctx.x, ...parts.map((p) => p.rows.x)]) as tf.Tensor2D,
    y: tf.concat([ctx.y, ...parts.map((p) => p.rows.y)]) as tf.Tensor2D,
    rowWeights: tf.tensor1d(weights),
    ...(mask || parts.some((p) => p.rows.mask)
      ? {
          mask: tf.concat([
            mask ? tf.tile(tf.reshape(mask, [1, C]), [nNew, 1]) : tf.zeros([nNew, C]),
            ...parts.map((p) => p.rows.mask ?? tf.zeros([p.rows.x.shape[0], C])),
          ]) as tf.Tensor2D,
        }
      : {}),
  }));
  ctx.owned.push(joint.x, joint.y, joint.rowWeights, ...(joint.mask ? [joint.mask] : []));
  return joint;
}

/** Rows `idx` of a row-major host matrix of width d, as a tensor. */
function hostRows(x: Float32Array, idx: Int32Array, d: number): tf.Tensor2D {
  const out = new Float32Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) out.set(x.subarray(idx[i] * d, (idx[i] + 1) * d), i * d);
  return tf.tensor2d(out, [idx.length, d]);
}
