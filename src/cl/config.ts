/** What a learner is configured with: model shape, strategies, optimiser, and the limits every setting must meet. */
import type { ReplayMemory } from '../memory/types';

/** The three continual-learning scenarios of van de Ven et al. */
export type Scenario = 'class-il' | 'task-il' | 'domain-il';

/** Every scenario name, for validation. */
export const SCENARIOS: readonly Scenario[] = ['class-il', 'task-il', 'domain-il'];

/** Which parameters train: everything, only the head, or the last N dense layers (head included). */
export type FreezeSpec = { train: 'all' } | { train: 'head' } | { train: 'last'; layers: number };

/** Shape of the model: an optional frozen feature extractor, an MLP body, a linear head. */
export interface ModelConfig {
  /** Width of the input vector (after the feature extractor, if any). */
  inputDim: number;
  /** Hidden layer widths of the ReLU MLP body; [] means a linear classifier on the input. */
  hidden: number[];
  scenario: Scenario;
  /**
   * Outputs the head starts with. Class-IL and Task-IL grow it as classes arrive (0 is fine);
   * Domain-IL keeps it fixed (the classes per task).
   */
  outputs: number;
  /** Seed of the weight initialisation. */
  seed: number;
}

/** EWC settings. */
export interface EwcConfig {
  lambda: number;
  /** `separate`: one anchor and Fisher per past task; `online`: one running Fisher decayed by gamma. */
  mode: 'separate' | 'online';
  /** Decay of the running Fisher in online mode (1 = no decay). */
  gamma: number;
  /** `true`: labels sampled from the model's own predictions; `empirical`: the data's labels. */
  fisher: 'true' | 'empirical';
  /** Samples the Fisher is averaged over, at the end of each task. */
  fisherSamples: number;
}

/** LwF settings. */
export interface LwfConfig {
  /** Weight of the distillation term. */
  alpha: number;
  temperature: number;
  /**
   * `fixed` (default): loss = CE + alpha * KL. `inverse-task`: in the t-th task, loss = (1/t) CE + (1 - 1/t)
   * alpha * KL, as van de Ven et al. weight LwF, so the old tasks together keep the weight of their share.
   */
  weighting?: 'fixed' | 'inverse-task';
}

/** Experience-replay settings. */
export interface ReplayConfig {
  memory: ReplayMemory;
  /** Replayed samples per batch. */
  batchSize: number;
  /** `inverse-task`: (1/t) L_new + (1-1/t) L_replay (van de Ven); a number r: (1-r) L_new + r L_replay. */
  weighting: 'inverse-task' | number;
  /** Samples offered to the memory per class at the end of a task (all of the task's data when absent). */
  storePerClass?: number;
  /** Distil the logits stored with replayed samples (replay + distillation of stored outputs). */
  distillStored?: { alpha: number; temperature: number };
}

/** The strategies of one run, any combination. Fine-tuning is what remains when none is set. */
export interface StrategyConfig {
  freeze?: FreezeSpec;
  ewc?: EwcConfig;
  lwf?: LwfConfig;
  replay?: ReplayConfig;
}

/** Optimiser and batching of a learner. */
export interface LearnerConfig {
  model: ModelConfig;
  strategies: StrategyConfig;
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  batchSize: number;
  /** Seed of batching, replay draws and Fisher sampling. */
  seed: number;
}

/**
 * Limits every engine argument is checked against before anything changes. A head of more outputs, a wider input
 * or more steps than this is a mistake (a class id of 1e5 once built a 100,001-output head), not a request.
 */
export const LIMITS = {
  /** Outputs of the head, so class ids are integers in [0, maxOutputs). */
  maxOutputs: 10_000,
  /** Width of an input row or a hidden layer. */
  maxWidth: 65_536,
  /** Hidden layers of the body. */
  maxHiddenLayers: 16,
  /** Optimizer steps of one task. */
  maxIterations: 1_000_000,
  /** Samples in one batch (new or replayed), and samples the Fisher is averaged over. */
  maxBatch: 1_000_000,
} as const;
