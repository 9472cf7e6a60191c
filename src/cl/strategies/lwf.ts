/** Learning without Forgetting as a strategy plugin: distillation from a frozen copy of the previous model. */
import * as tf from '@tensorflow/tfjs';
import { distillationKL } from '../../ops';
import type { LwfConfig } from '../config';
import { ContinualModel } from '../model';
import type { BatchContext, BatchExtension, OwnBatch, PluginState, StrategyPlugin, TaskContext } from '../plugin';
import { checkNumber, checkOneOf } from '../validate';

/**
 * Learning without Forgetting (Li & Hoiem 2016) as a plugin: a frozen copy of the model taken at the end of the
 * previous task is the teacher; each batch adds `alpha * T^2 * KL(teacher/T || student/T)` on the teacher's
 * outputs (the old classes; a grown head's new columns are left free).
 */
export class LwfPlugin implements StrategyPlugin<tf.Tensor2D> {
  readonly name = 'lwf';
  private teacher: ContinualModel | null = null;
  /** The next teacher, taken by `afterTask` and made the teacher when the task commits. */
  private nextTeacher: ContinualModel | null = null;
  /** The teacher's logits for every row of the task being learned (between beforeTask and afterTask). */
  private taskTeacherLogits: tf.Tensor2D | null = null;

  /** Checks every setting (refused before any state exists). */
  constructor(readonly config: LwfConfig) {
    checkNumber('LwF temperature', config?.temperature, { above: 0 });
    checkNumber('LwF alpha', config.alpha, { min: 0 });
    if (config.weighting !== undefined) checkOneOf('LwF weighting', config.weighting, ['fixed', 'inverse-task'] as const);
  }

  /** The frozen teacher, if a task has been learned. */
  get teacherModel(): ContinualModel | null {
    return this.teacher;
  }

  /**
   * The frozen teacher's logits for every row of the task, computed once: a batch then gathers its rows instead
   * of running the teacher again (and outside the gradient tape, which would copy its inputs for backprop).
   */
  beforeTask(ctx: TaskContext): void {
    this.dropTaskLogits();
    if (this.active()) this.taskTeacherLogits = this.teacher!.logitsOfRows(ctx.task.x, ctx.task.y.length);
  }

  /**
   * In the t-th task (t = tasks seen + 1) with `inverse-task` weighting, the new data's loss keeps 1/t. The
   * batch's own data is the teacher's logits for its rows.
   */
  beforeBatch(ctx: BatchContext): BatchExtension<tf.Tensor2D> | void {
    if (!this.active()) return;
    if (this.config.weighting === 'inverse-task') ctx.newLossWeight *= 1 / (ctx.tasksSeen + 1);
    if (!this.taskTeacherLogits) return;
    const all = this.taskTeacherLogits;
    const teacherLogits = tf.tidy(() => tf.gather(all, tf.tensor1d(ctx.rows, 'int32')) as tf.Tensor2D);
    ctx.owned.push(teacherLogits);
    return { data: teacherLogits };
  }

  /** `alpha T^2 KL` between the teacher's and the model's outputs on the new rows (the teacher's columns). */
  lossTerms(ctx: BatchContext, logits: tf.Tensor2D, own: OwnBatch<tf.Tensor2D>): Record<string, tf.Scalar> {
    if (!this.active()) return {};
    const teacherLogits = own.data ?? this.teacher!.logits(ctx.x);
    const kl = distillationKL(logits, teacherLogits, this.config.temperature, this.teacher!.numOutputs);
    const weight = this.config.weighting === 'inverse-task' ? (1 - 1 / (ctx.tasksSeen + 1)) * this.config.alpha : this.config.alpha;
    return { lwf: tf.mul(kl, weight) as tf.Scalar };
  }

  private active(): boolean {
    return !!this.teacher && this.config.alpha !== 0 && this.teacher.numOutputs > 0;
  }

  /** Drops the task's teacher logits and the teacher `afterTask` took: the old teacher stays. */
  taskAborted(): void {
    this.dropTaskLogits();
    this.nextTeacher?.dispose();
    this.nextTeacher = null;
  }

  private dropTaskLogits(): void {
    this.taskTeacherLogits?.dispose();
    this.taskTeacherLogits = null;
  }

  /** Takes a frozen copy of the model just trained: the teacher from the next task on, once this one commits. */
  afterTask(ctx: TaskContext): void {
    this.dropTaskLogits();
    this.nextTeacher?.dispose();
    this.nextTeacher = ctx.model.clone(false);
  }

  /** The teacher taken at the end of the task replaces the old one. */
  taskCommitted(): void {
    if (!this.nextTeacher) return;
    this.teacher?.dispose();
    this.teacher = this.nextTeacher;
    this.nextTeacher = null;
  }

  /** The teacher's weights for a checkpoint. */
  async exportState(): Promise<PluginState> {
    if (!this.teacher) return { json: { hasTeacher: false }, tensors: [] };
    return {
      json: { hasTeacher: true, outputs: this.teacher.numOutputs },
      tensors: await this.teacher.exportWeights('teacher/'),
    };
  }

  /** Restores the teacher from `exportState()`'s output (its architecture read from the records when not given). */
  importState(state: PluginState, modelConfig?: ContinualModel['config']): void {
    this.dispose();
    if (!state.json.hasTeacher) return;
    const first = state.tensors.find((t) => t.name === 'teacher/L0/kernel');
    if (!first) throw new Error('LwF state: the teacher weights are missing');
    const layers = state.tensors.filter((t) => t.name.endsWith('/kernel')).length;
    const cfg = modelConfig ?? {
      inputDim: first.shape[0],
      hidden: state.tensors
        .filter((t) => t.name.endsWith('/kernel'))
        .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
        .slice(0, layers - 1)
        .map((t) => t.shape[1]),
      scenario: 'class-il' as const,
      outputs: Number(state.json.outputs ?? 0),
      seed: 0,
    };
    const head = state.tensors.find((t) => t.name === `teacher/L${cfg.hidden.length}/kernel`);
    if (head?.shape[1] !== Number(state.json.outputs)) {
      throw new Error(`LwF state: the teacher's head has ${String(head?.shape[1])} outputs, its record says ${String(state.json.outputs)}`);
    }
    this.teacher = ContinualModel.fromWeights(cfg, state.tensors, 'teacher/', false);
  }

  /** Frees the teacher and the task's teacher logits. */
  dispose(): void {
    this.taskAborted();
    this.teacher?.dispose();
    this.teacher = null;
  }
}
