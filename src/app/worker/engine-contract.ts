/** What the learner service needs of its engines: the continual learner (src/cl) and the image backbone. */
import type { TaskData, TrainOptions } from '../../cl/types';
import type { EngineState, ReplayMemory } from '../../memory/types';
import type { AdvancedSettings, Preset } from '../protocol';

/** Per-round tuning the service derives from the project (not a user setting). */
export interface RoundTuning {
  /**
   * Weight r of the replay loss, (1 - r) L_new + r L_replay. The app uses the share of already-learned classes
   * among all classes, so every class weighs the same in the loss whatever the round (a new class alone must
   * not outweigh nine old ones). Absent: the preset's 'inverse-task' weighting.
   */
  replayWeight?: number;
}

/** What the service needs of a continual learner (src/cl's `Learner`). */
export interface EngineModel {
  readonly numOutputs: number;
  learnTask(task: TaskData, options: TrainOptions): Promise<unknown>;
  predictProba(x: Float32Array, n: number): Promise<Float32Array>;
  predictLogits(x: Float32Array, n: number): Promise<Float32Array>;
  exportState(): Promise<EngineState>;
  dispose(): void;
}

/** Builds learners; the composition root binds it to src/cl. */
export interface Engine {
  /** A new learner on `inputDim`-wide embeddings with the preset's strategies. */
  create(inputDim: number, settings: AdvancedSettings, preset: Preset, memory: ReplayMemory, tuning?: RoundTuning): EngineModel;
  /** A learner resumed from a committed state, with the strategies of `preset`. */
  restore(state: EngineState, settings: AdvancedSettings, preset: Preset, memory: ReplayMemory, tuning?: RoundTuning): EngineModel;
  /** The classifier as a tfjs layers model. */
  exportModel(model: EngineModel): Promise<{ modelJson: object; weightData: ArrayBuffer }>;
}

/** What the service needs of the frozen image backbone (src/app/platform's `Backbone`). */
export interface FeatureExtractor {
  /** Edge of the square RGBA frames `embedRgba` takes. */
  readonly config: { readonly inputSize: number };
  /** Width of one embedding. */
  readonly featureDim: number;
  /** Embeddings of RGBA frames (inputSize x inputSize each), row-major n x featureDim. */
  embedRgba(frames: readonly Uint8ClampedArray[]): Promise<Float32Array>;
  /** Frees the weights. */
  dispose(): void;
}
