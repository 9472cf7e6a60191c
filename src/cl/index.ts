/** The continual-learning engine: model, hook-based learner, strategy plugins and export. */
export { Learner, type TaskReport, type Evaluation, type LearnerRuntime } from './learner';
export { ContinualModel, type DenseParams } from './model';
export { SeededRandom } from './rng';
export { EwcPlugin, LwfPlugin, ReplayPlugin, createStrategyPlugins, strategyRegistry, type PluginKey, type StrategyRegistry } from './strategies';
export { exportLayersModel, type LayersModelExport } from './export';
export { NonFiniteLossError, TrainingCancelledError, InvalidTaskError, InvalidConfigError } from './errors';
export { LIMITS, SCENARIOS } from './config';
export { columnMask, maskedCrossEntropy, weightedRowCrossEntropy } from './losses';
export type * from './config';
export type * from './plugin';
export type * from './types';
