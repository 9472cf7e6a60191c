import * as tf from '@tensorflow/tfjs';
import type { TensorRecord } from '../../memory/types';
import { distillationKL } from '../../ops';
import { ContinualModel } from '../model';
import type { BatchContext, LwfConfig, StrategyPlugin, TaskContext } from '../types';

/**
 * Learning without Forgetting (Li & Hoiem 2016) as a plugin: a frozen copy of the model taken at the end of the
 * previous task is the teacher; each batch adds `alpha * T^2 * KL(teacher/T || student/T)` on the teacher's
 * outputs (the old classes; a grown head's new columns are left free).
 */
export class LwfPlugin implements StrategyPlugin {
  readonly name = 'lwf';
  private teacher: ContinualModel | null = null;
  /** The teacher's logits for every row of the task being learned (between beforeTask and afterTask). */
  private taskTeacherLogits: tf.Tensor2D | null = null;

  constructor(readonly config: LwfConfig) {
    if (!(config.temperature > 0)) throw new Error(`LwF temperature must be > 0, got ${config.temperature}`);
    if (!(config.alpha >= 0)) throw new Error(`LwF alpha must be >= 0, got ${config.alpha}`);
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

  /** In the t-th task (t = tasks seen + 1) with `inverse-task` weighting, the new data's loss keeps 1/t. */
  beforeBatch(ctx: BatchContext): void {
    if (!this.active()) return;
    if (this.config.weighting === 'inverse-task') ctx.newLossWeight *= 1 / (ctx.tasksSeen + 1);
    if (this.taskTeacherLogits) {
      const all = this.taskTeacherLogits;
      ctx.teacherLogits = tf.tidy(() => tf.gather(all, tf.tensor1d(ctx.rows, 'int32')) as tf.Tensor2D);
      ctx.owned.push(ctx.teacherLogits);
    }
  }

  lossTerms(ctx: BatchContext, logits: tf.Tensor2D): Record<string, tf.Scalar> {
    if (!this.active()) return {};
    const teacherLogits = ctx.teacherLogits ?? this.teacher!.logits(ctx.x);
    const kl = distillationKL(logits, teacherLogits, this.config.temperature, this.teacher!.numOutputs);
    const weight = this.config.weighting === 'inverse-task' ? (1 - 1 / (ctx.tasksSeen + 1)) * this.config.alpha : this.config.alpha;
    return { lwf: tf.mul(kl, weight) as tf.Scalar };
  }

  private active(): boolean {
    return !!this.teacher && this.config.alpha !== 0 && this.teacher.numOutputs > 0;
  }

  taskAborted(): void {
    this.dropTaskLogits();
  }

  private dropTaskLogits(): void {
    this.taskTeacherLogits?.dispose();
    this.taskTeacherLogits = null;
  }

  afterTask(ctx: TaskContext): void {
    this.dropTaskLogits();
    this.teacher?.dispose();
    this.teacher = ctx.model.clone(false);
  }

  async exportState(): Promise<{ json: Record<string, unknown>; tensors: TensorRecord[] }> {
    if (!this.teacher) return { json: { hasTeacher: false }, tensors: [] };
    return {
      json: { hasTeacher: true, outputs: this.teacher.numOutputs },
      tensors: await this.teacher.exportWeights('teacher/'),
    };
  }

  importState(
    state: { json: Record<string, unknown>; tensors: TensorRecord[] },
    modelConfig?: ContinualModel['config'],
  ): void {
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
    this.teacher = ContinualModel.fromWeights(cfg, state.tensors, 'teacher/', false);
  }

  dispose(): void {
    this.dropTaskLogits();
    this.teacher?.dispose();
    this.teacher = null;
  }
}
