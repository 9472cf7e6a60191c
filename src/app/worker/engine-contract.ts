/** What the learner service needs of its engines: the continual learner (src/cl) and the image backbone. */
import type { LayersModel } from '@tensorflow/tfjs';
import type { TaskData, TrainOptions } from '../../cl/types';
import type { EngineState, ReplayMemory } from '../../memory/types';
import type { ProjectStore } from '../../memory/store/project-store';
import type { AdvancedSettings, AppEvent, Preset } from '../protocol';
import type { BackendChoice } from '../platform/backend';
import type { FrameReader } from './frames';

/** Per-round tuning the service derives from the project (not a user setting). */
export interface RoundTuning {
  /**
   * Weight r of the replay loss, (1 - r) L_new + r L_replay. The app uses the share of already-learned classes
   * among all classes, so every class weighs the same in the loss whatever the round (a new class alone must
   * not outweigh nine old ones). Absent: the preset's 'inverse-task' weighting.
   */
  replayWeight?: number;
}

/** One dense layer of a classifier head: y = activation(x kernel + bias). */
export interface DenseLayerWeights {
  /** Row-major [inputDim, units]. */
  kernel: Float32Array;
  bias: Float32Array;
  inputDim: number;
  units: number;
  /** 'linear' on the last layer: the exported model puts the softmax on top. */
  activation: 'relu' | 'linear';
}

/**
 * A head as plain dense layers from embedding to logits (one column per output). Engines whose head is not a
 * dense stack (e.g. a closed-form learner on a feature map) give the dense layer(s) that compute the same logits.
 */
export interface DenseHead {
  layers: DenseLayerWeights[];
}

/** What the service needs of a continual learner (src/cl's `Learner`). */
export interface EngineModel {
  readonly numOutputs: number;
  /**
   * The head as dense layers giving the same logits as `predictLogits` (model export). Optional: src/cl's
   * `Learner` is read by `Engine.denseHead`; an engine whose head is not a dense stack must provide it.
   */
  denseHead?(): Promise<DenseHead>;
  learnTask(task: TaskData, options: TrainOptions): Promise<unknown>;
  predictProba(x: Float32Array, n: number): Promise<Float32Array>;
  /**
   * Optional: `predictProba` of stored pictures' embeddings (arrays that never change), for a model that keeps
   * per-picture work between calls (Exact projects each held-out picture once, not after every round).
   */
  predictProbaOfRows?(rows: readonly Float32Array[]): Promise<Float32Array>;
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
  /** The model's head as dense layers (`model.denseHead()` when it has one): the exported image model's top. */
  denseHead(model: EngineModel): Promise<DenseHead>;
}

/** What the service needs of the frozen image backbone (src/app/platform's `Backbone`). */
export interface FeatureExtractor {
  /** Edge of the square RGBA frames `embedRgba` takes; pixel p in [0, 255] is fed as p * scale + offset. */
  readonly config: { readonly inputSize: number; readonly normalisation?: { readonly scale: number; readonly offset: number } };
  /** Width of one embedding. */
  readonly featureDim: number;
  /** Embeddings of RGBA frames (inputSize x inputSize each), row-major n x featureDim. */
  embedRgba(frames: readonly Uint8ClampedArray[]): Promise<Float32Array>;
  /**
   * The tfjs layers model from a normalised [n, inputSize, inputSize, 3] batch to the embedding (model export);
   * absent on extractors that are not a tfjs layers model (tests).
   */
  readonly featureModel?: LayersModel;
  /** Frees the weights. */
  dispose(): void;
}

/** Opens (or re-creates) the project's store. */
export type StoreOpener = () => Promise<ProjectStore>;
/** Deletes the project's database. */
export type StoreDeleter = () => Promise<void>;

/** The platform pieces the service runs on. */
export interface ServiceDeps {
  openStore: StoreOpener;
  deleteStore: StoreDeleter;
  backbone: FeatureExtractor;
  backend: BackendChoice;
  engine: Engine;
  emit: (event: AppEvent) => void;
  /** How frames are read (default: OffscreenCanvas, the worker's). */
  frames?: FrameReader;
}
