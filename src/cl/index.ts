/** The continual-learning engine: model, hook-based learner, strategy plugins and export. */
export { Learner, type TaskReport, type Evaluation } from './learner';
export { ContinualModel, type DenseParams } from './model';
export { SeededRandom } from './rng';
export { EwcPlugin, LwfPlugin, ReplayPlugin, createStrategyPlugins } from './strategies';
export { exportLayersModel, type LayersModelExport } from './export';
export { NonFiniteLossError, TrainingCancelledError, InvalidTaskError } from './errors';
export { columnMask, maskedCrossEntropy, weightedRowCrossEntropy } from './losses';
export type * from './types';
