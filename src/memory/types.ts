/**
 * The replay-memory contract shared by the engine (src/cl) and the stores (in-memory and IndexedDB).
 * No tfjs here: samples are plain typed arrays so the memory can live in IndexedDB and in workers.
 */

/** One stored training example: an input vector (an embedding, or raw pixels in the benchmarks) and its label. */
export interface MemorySample {
  /** Stable id (assigned by the memory when absent). */
  id?: string;
  /** The model's input: for the app, the backbone's 1280-d embedding; for MNIST, 784 pixels in [0, 1]. */
  x: Float32Array;
  /** Global class index (the head's output column). */
  label: number;
  /** The task / learning round the sample arrived in. */
  task: number;
  /** The model's logits for `x` when it was stored (for replay with distillation of stored outputs). */
  logits?: Float32Array;
}

/** Names of the buffer policies: which samples a full memory keeps. */
export type BufferPolicyName = 'reservoir' | 'class-balanced' | 'herding';

/** A deterministic source of uniform numbers in [0, 1) (the engine passes its seeded generator). */
export type Random = () => number;

/** A bounded memory of past samples that replay draws from. */
export interface ReplayMemory {
  /** The policy that decides what a full memory keeps. */
  readonly policy: BufferPolicyName;
  /** Maximum number of samples kept. */
  readonly capacity: number;
  /** Offers samples to the memory; the policy decides which are kept and which are evicted. */
  add(samples: MemorySample[], rng: Random): Promise<void>;
  /** Draws `n` samples uniformly (with replacement when n > size), optionally only from the given classes. */
  sample(n: number, rng: Random, classes?: readonly number[]): MemorySample[];
  /** Number of samples kept now. */
  size(): number;
  /** The distinct labels present, ascending. */
  classes(): number[];
  /** Every kept sample (for evaluation, herding, export). */
  all(): readonly MemorySample[];
  /** Replaces the stored logits of samples (after a round, for distillation of stored outputs). */
  updateLogits?(ids: readonly string[], logits: readonly Float32Array[]): Promise<void>;
  /** Drops everything. */
  clear(): Promise<void>;
}

/** One named tensor as plain data (how weights, optimizer slots, Fisher and anchors are stored and exported). */
export interface TensorRecord {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/**
 * Everything the engine needs to resume exactly where it stopped: model weights and head size, optimizer
 * slots, each strategy's state (EWC anchors and Fisher, the LwF teacher's weights), the RNG state.
 * `json` is JSON-serialisable; `tensors` carries the numbers. Produced by `Learner.exportState()`.
 */
export interface EngineState {
  format: 'retain-engine';
  version: 1;
  json: Record<string, unknown>;
  tensors: TensorRecord[];
}
