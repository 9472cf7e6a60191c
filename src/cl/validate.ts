/**
 * Checks of every engine argument (learner config, training options, task data) against `LIMITS`, run before
 * anything is allocated or changed, so a refusal leaves the learner and the tensor count as they were.
 */
import { LIMITS, SCENARIOS, type FreezeSpec, type LearnerConfig, type ModelConfig } from './config';
import { InvalidConfigError, InvalidTaskError } from './errors';
import type { TaskData, TrainOptions } from './types';

/** Refuses anything but an integer in [min, max]. */
export function checkInteger(what: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidConfigError(`${what} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Refuses anything but a finite number within the bounds (`above`: strictly greater than). */
export function checkNumber(what: string, value: unknown, bounds: { min?: number; above?: number; max?: number } = {}): void {
  const { min, above, max } = bounds;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (min === undefined || value >= min) &&
    (above === undefined || value > above) &&
    (max === undefined || value <= max);
  if (ok) return;
  const range = [
    min !== undefined ? `>= ${min}` : '',
    above !== undefined ? `> ${above}` : '',
    max !== undefined ? `<= ${max}` : '',
  ].filter(Boolean);
  throw new InvalidConfigError(`${what} must be a finite number${range.length ? ` ${range.join(' and ')}` : ''}, got ${String(value)}`);
}

/** Refuses a name that is not one of `names`. */
export function checkOneOf<T extends string>(what: string, value: unknown, names: readonly T[]): asserts value is T {
  if (!names.includes(value as T)) {
    throw new InvalidConfigError(`${what} must be one of ${names.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
}

/** The model's shape: widths and head size within `LIMITS`, a known scenario, a finite seed. */
export function validateModelConfig(model: ModelConfig): void {
  if (!model || typeof model !== 'object') throw new InvalidConfigError('the model config is missing');
  checkInteger('ModelConfig.inputDim', model.inputDim, 1, LIMITS.maxWidth);
  if (!Array.isArray(model.hidden) || model.hidden.length > LIMITS.maxHiddenLayers) {
    throw new InvalidConfigError(`ModelConfig.hidden must be a list of at most ${LIMITS.maxHiddenLayers} widths`);
  }
  model.hidden.forEach((h, i) => checkInteger(`ModelConfig.hidden[${i}]`, h, 1, LIMITS.maxWidth));
  checkOneOf('ModelConfig.scenario', model.scenario, SCENARIOS);
  checkInteger('ModelConfig.outputs', model.outputs, 0, LIMITS.maxOutputs);
  checkNumber('ModelConfig.seed', model.seed);
}

/** Which parameters train: 'all', 'head' or the last N >= 1 layers. */
export function validateFreeze(freeze: FreezeSpec | undefined): void {
  if (freeze === undefined) return;
  checkOneOf('freeze.train', freeze?.train, ['all', 'head', 'last'] as const);
  if (freeze.train === 'last') checkInteger('freeze.layers', freeze.layers, 1, LIMITS.maxHiddenLayers + 1);
}

/** The learner's own settings (each strategy plugin checks its own settings when it is made). */
export function validateLearnerConfig(config: LearnerConfig): void {
  if (!config || typeof config !== 'object') throw new InvalidConfigError('the learner config is missing');
  validateModelConfig(config.model);
  if (!config.strategies || typeof config.strategies !== 'object') throw new InvalidConfigError('LearnerConfig.strategies is missing');
  validateFreeze(config.strategies.freeze);
  checkOneOf('optimizer', config.optimizer, ['adam', 'sgd'] as const);
  checkNumber('learningRate', config.learningRate, { above: 0 });
  checkInteger('batchSize', config.batchSize, 1, LIMITS.maxBatch);
  checkNumber('seed', config.seed);
}

/** Checks the options of one `learnTask` call and returns its number of optimizer steps. */
export function trainingSteps(options: TrainOptions, samples: number, batchSize: number): number {
  if (!options || typeof options !== 'object') throw new InvalidConfigError('training options must be an object');
  if (options.progressEvery !== undefined) checkInteger('progressEvery', options.progressEvery, 1, LIMITS.maxIterations);
  if (options.iterations !== undefined) {
    checkInteger('iterations', options.iterations, 1, LIMITS.maxIterations);
    return options.iterations;
  }
  if (options.epochs !== undefined) checkNumber('epochs', options.epochs, { above: 0 });
  const steps = Math.ceil(((options.epochs ?? 1) * samples) / batchSize);
  if (steps > LIMITS.maxIterations) {
    throw new InvalidConfigError(`${options.epochs} epochs of ${samples} samples are ${steps} steps, more than ${LIMITS.maxIterations}`);
  }
  return steps;
}

/**
 * Checks a task against the model: sizes, finite inputs, class ids integers below `LIMITS.maxOutputs` (and below
 * the fixed head in Domain-IL), every label among the task's classes. Returns the number of samples.
 */
export function validateTask(task: TaskData, model: { inputDim: number; scenario: ModelConfig['scenario']; numOutputs: number }): number {
  if (!task || typeof task !== 'object') throw new InvalidTaskError('the task is missing');
  if (!Number.isInteger(task.task) || task.task < 0) throw new InvalidTaskError(`task index ${String(task.task)} is not an integer >= 0`);
  if (!(task.x instanceof Float32Array) || !(task.y instanceof Int32Array) || !Array.isArray(task.classes)) {
    throw new InvalidTaskError(`task ${task.task}: x must be a Float32Array, y an Int32Array and classes an array`);
  }
  const d = model.inputDim;
  const n = task.y.length;
  if (task.x.length !== n * d) {
    throw new InvalidTaskError(`task ${task.task}: x has ${task.x.length} values, expected ${n} x ${d}`);
  }
  if (n === 0) throw new InvalidTaskError(`task ${task.task} has no samples`);
  for (let i = 0; i < task.x.length; i++) {
    if (!Number.isFinite(task.x[i])) throw new InvalidTaskError(`task ${task.task}: input value ${i} is ${task.x[i]}`);
  }
  const classes = new Set(task.classes);
  if (classes.size === 0) throw new InvalidTaskError(`task ${task.task} declares no classes`);
  for (const c of task.classes) {
    if (!Number.isInteger(c) || c < 0) throw new InvalidTaskError(`task ${task.task}: class ${c} is not an index`);
    if (c >= LIMITS.maxOutputs) {
      throw new InvalidTaskError(`task ${task.task}: class ${c} is beyond the model's limit of ${LIMITS.maxOutputs} outputs`);
    }
  }
  for (let i = 0; i < n; i++) {
    if (!classes.has(task.y[i])) {
      throw new InvalidTaskError(`task ${task.task}: label ${task.y[i]} (sample ${i}) is not among its classes [${task.classes}]`);
    }
  }
  const maxClass = Math.max(...task.classes);
  if (model.scenario === 'domain-il' && maxClass >= model.numOutputs) {
    throw new InvalidTaskError(`domain-IL task ${task.task}: class ${maxClass} but the head has ${model.numOutputs} outputs`);
  }
  return n;
}
