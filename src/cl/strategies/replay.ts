/** Experience replay (optionally with distillation of stored logits) as a strategy plugin. */
import * as tf from '@tensorflow/tfjs';
import type { MemorySample } from '../../memory/types';
import { distillationKL } from '../../ops';
import { LIMITS, type ReplayConfig } from '../config';
import { InvalidConfigError } from '../errors';
import { columnMask } from '../losses';
import type { BatchContext, BatchExtension, ExtraRows, OwnBatch, StrategyPlugin, TaskContext } from '../plugin';
import { DEVICE_MAX_VALUES } from '../types';
import { checkInteger, checkNumber } from '../validate';

/** Replayed samples as tensors: the rows to train on and their stored logits (first `logitColumns` columns). */
interface ReplayBatch extends Omit<ExtraRows, 'weight'> {
  logits?: tf.Tensor2D;
  logitColumns?: number;
}

/** Replay's own data for one batch: the replayed rows' weight and stored logits. */
interface ReplayBatchData {
  weight: number;
  logits?: tf.Tensor2D;
  logitColumns?: number;
}

/**
 * Experience replay as a plugin: each batch draws samples from a bounded memory of past tasks and mixes them
 * in, weighting `(1/t) L_new + (1 - 1/t) L_replay` in task t (van de Ven et al.) or a fixed ratio. With
 * `distillStored`, the logits stored with each sample are distilled as well (replay of stored outputs).
 */
export class ReplayPlugin implements StrategyPlugin<ReplayBatchData> {
  readonly name = 'replay';
  /** The memory uploaded for the task being learned (between beforeTask and afterTask). */
  private cache: {
    rowOf: Map<MemorySample, number>;
    x: tf.Tensor2D;
    y: tf.Tensor2D;
    mask: tf.Tensor2D | null;
    logits: tf.Tensor2D | null;
    logitColumns: number;
    outputs: number;
  } | null = null;

  /** Checks every setting (refused before any state exists). */
  constructor(readonly config: ReplayConfig) {
    const memory = config?.memory as Partial<ReplayConfig['memory']> | undefined;
    if (!memory || typeof memory.sample !== 'function' || typeof memory.add !== 'function' || typeof memory.all !== 'function') {
      throw new InvalidConfigError('replay needs a memory (a ReplayMemory: add, sample, all)');
    }
    checkInteger('replay batchSize', config.batchSize, 1, LIMITS.maxBatch);
    if (config.weighting !== 'inverse-task') checkNumber("replay weighting (a ratio, or 'inverse-task')", config.weighting, { min: 0, max: 1 });
    if (config.storePerClass !== undefined) checkInteger('replay storePerClass', config.storePerClass, 0, LIMITS.maxBatch);
    if (config.distillStored !== undefined) {
      checkNumber('replay distillStored.alpha', config.distillStored?.alpha, { min: 0 });
      checkNumber('replay distillStored.temperature', config.distillStored?.temperature, { above: 0 });
    }
  }

  private replayWeight(tasksSeen: number): number {
    return this.config.weighting === 'inverse-task' ? 1 - 1 / (tasksSeen + 1) : this.config.weighting;
  }

  /**
   * Uploads the memory once per task (it does not change until `afterTask`): each batch then gathers its rows on
   * the device instead of copying them from host memory and uploading them again.
   */
  beforeTask(ctx: TaskContext): void {
    this.dropCache();
    const members = this.config.memory.all();
    const d = ctx.model.config.inputDim;
    const C = ctx.model.numOutputs;
    if (members.length === 0 || members.length * d > DEVICE_MAX_VALUES) return;
    const logitColumns = this.config.distillStored ? storedLogitColumns(members, C) : 0;
    // Stored logits of different widths (a grown head between refreshes) keep the per-batch path, which uses a
    // batch's narrowest width.
    if (this.config.distillStored && members.some((s) => (s.logits?.length ?? 0) !== logitColumns)) return;
    const rowOf = new Map<MemorySample, number>(members.map((s, i) => [s, i]));
    const batch = uploadSamples(members, ctx, logitColumns);
    this.cache = {
      rowOf,
      x: batch.x,
      y: batch.y,
      mask: batch.mask ?? null,
      logits: batch.logits ?? null,
      logitColumns,
      outputs: C,
    };
  }

  /** Draws the batch's replayed samples: rows for the loop's cross-entropy, stored logits kept for `lossTerms`. */
  beforeBatch(ctx: BatchContext): BatchExtension<ReplayBatchData> | void {
    const memory = this.config.memory;
    if (memory.size() === 0) return;
    const samples = memory.sample(this.config.batchSize, ctx.rng);
    const weight = this.replayWeight(ctx.tasksSeen);
    const { logits, logitColumns, ...rows } = this.cachedBatch(samples, ctx.model.numOutputs) ?? this.hostBatch(ctx, samples);
    if (logits) ctx.owned.push(logits);
    ctx.newLossWeight *= 1 - weight;
    return { rows: { ...rows, weight }, data: { weight, ...(logits ? { logits, logitColumns } : {}) } };
  }

  /** The batch gathered from the task's upload, or null when a sample is not in it. */
  private cachedBatch(samples: readonly MemorySample[], C: number): ReplayBatch | null {
    const cache = this.cache;
    if (!cache || cache.outputs !== C) return null;
    const rows = new Int32Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      const r = cache.rowOf.get(samples[i]);
      if (r === undefined) return null;
      rows[i] = r;
    }
    return tf.tidy(() => {
      const idx = tf.tensor1d(rows, 'int32');
      return {
        x: tf.gather(cache.x, idx) as tf.Tensor2D,
        y: tf.gather(cache.y, idx) as tf.Tensor2D,
        ...(cache.mask ? { mask: tf.gather(cache.mask, idx) as tf.Tensor2D } : {}),
        ...(cache.logits ? { logits: tf.gather(cache.logits, idx) as tf.Tensor2D, logitColumns: cache.logitColumns } : {}),
      };
    });
  }

  /** The batch copied from host memory and uploaded. */
  private hostBatch(ctx: BatchContext, samples: readonly MemorySample[]): ReplayBatch {
    const logitColumns = this.config.distillStored ? storedLogitColumns(samples, ctx.model.numOutputs) : 0;
    return uploadSamples(samples, ctx, logitColumns);
  }

  /** Distillation of the replayed samples' stored logits (their cross-entropy is in the loop's own). */
  lossTerms(_ctx: BatchContext, _logits: tf.Tensor2D, own: OwnBatch<ReplayBatchData>): Record<string, tf.Scalar> {
    const ds = this.config.distillStored;
    const batch = own.data;
    if (!batch || !own.rowLogits || !ds || !batch.logits || !batch.logitColumns) return {};
    const kl = distillationKL(own.rowLogits, batch.logits, ds.temperature, batch.logitColumns);
    return { distillStored: tf.mul(kl, batch.weight * ds.alpha) as tf.Scalar };
  }

  /** Drops the task's upload of the memory (what `afterTask` offered to the memory stays: the memory is the caller's). */
  taskAborted(): void {
    this.dropCache();
  }

  /** Frees the task's upload of the memory. */
  dispose(): void {
    this.dropCache();
  }

  private dropCache(): void {
    if (!this.cache) return;
    tf.dispose([this.cache.x, this.cache.y, this.cache.mask ?? [], this.cache.logits ?? []]);
    this.cache = null;
  }

  /** Offers the task's samples to the memory (with the model's logits when distilling stored outputs). */
  async afterTask(ctx: TaskContext): Promise<void> {
    this.dropCache();
    const { task, model } = ctx;
    const d = model.config.inputDim;
    const n = task.y.length;
    // Offer at most `storePerClass` random samples per class; the memory's policy decides what it keeps.
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const list = byClass.get(task.y[i]) ?? [];
      list.push(i);
      byClass.set(task.y[i], list);
    }
    const chosen: number[] = [];
    for (const list of byClass.values()) {
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(ctx.rng() * (i + 1));
        [list[i], list[j]] = [list[j], list[i]];
      }
      chosen.push(...list.slice(0, this.config.storePerClass ?? list.length));
    }
    // Views into the task's inputs, not copies: the memory copies only the samples its policy keeps (a task of
    // 12,000 MNIST images would otherwise be copied whole before the policy discards most of it).
    const samples: MemorySample[] = chosen.map((i) => ({
      x: task.x.subarray(i * d, (i + 1) * d),
      label: task.y[i],
      task: task.task,
    }));
    await this.config.memory.add(samples, ctx.rng);
    if (this.config.distillStored) await this.refreshStoredLogits(ctx);
  }

  /**
   * Stores the current model's logits with every kept sample, so all stored outputs have the same width and
   * come from the model that last consolidated them.
   */
  private async refreshStoredLogits(ctx: TaskContext): Promise<void> {
    const memory = this.config.memory;
    const kept = memory.all();
    if (kept.length === 0) return;
    const d = ctx.model.config.inputDim;
    const C = ctx.model.numOutputs;
    const x = new Float32Array(kept.length * d);
    kept.forEach((s, i) => x.set(s.x, i * d));
    const logitsT = ctx.model.logitsOfRows(x, kept.length);
    const data = (await logitsT.data()) as Float32Array;
    logitsT.dispose();
    const logits = kept.map((_, i) => data.slice(i * C, (i + 1) * C));
    if (memory.updateLogits) {
      await memory.updateLogits(
        kept.map((s) => s.id!),
        logits,
      );
    } else {
      kept.forEach((s, i) => ((s as MemorySample).logits = logits[i]));
    }
  }
}

/**
 * Samples as tensors for the model's current head: inputs, one-hot targets, the Task-IL additive mask (each
 * sample's own task's classes) and the first `logitColumns` stored logits (none when 0).
 */
function uploadSamples(samples: readonly MemorySample[], ctx: TaskContext, logitColumns: number): ReplayBatch {
  const d = ctx.model.config.inputDim;
  const C = ctx.model.numOutputs;
  const b = samples.length;
  const x = new Float32Array(b * d);
  const labels = new Int32Array(b);
  samples.forEach((s, i) => {
    if (s.x.length !== d) throw new Error(`replay sample ${s.id ?? i} has ${s.x.length} inputs, the model takes ${d}`);
    x.set(s.x, i * d);
    labels[i] = s.label;
  });
  const mask = ctx.scenario === 'task-il' ? new Float32Array(b * C) : null;
  if (mask) samples.forEach((s, i) => mask.set(columnMask(ctx.taskClasses.get(s.task) ?? [s.label], C), i * C));
  const logits = logitColumns > 0 ? new Float32Array(b * logitColumns) : null;
  if (logits) samples.forEach((s, i) => logits.set(s.logits!.subarray(0, logitColumns), i * logitColumns));
  return tf.tidy(() => ({
    x: tf.tensor2d(x, [b, d]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), C).toFloat() as tf.Tensor2D,
    ...(mask ? { mask: tf.tensor2d(mask, [b, C]) } : {}),
    ...(logits ? { logits: tf.tensor2d(logits, [b, logitColumns]), logitColumns } : {}),
  }));
}

/** Columns of stored logits usable for a batch: the narrowest stored width (0 if any sample has none). */
function storedLogitColumns(samples: readonly MemorySample[], numOutputs: number): number {
  let w = numOutputs;
  for (const s of samples) {
    if (!s.logits) return 0;
    w = Math.min(w, s.logits.length);
  }
  return w;
}
