/**
 * The contract between the main thread (`LearnerClient`) and the learner worker: the public types of the app's
 * API and the messages that carry calls, results and events. No runtime dependencies: both sides import it.
 */

/** A tfjs backend the app can run on. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
/** The learning presets the UI offers ('exact': the closed-form learner on sufficient statistics, src/cl/analytic). */
export type Preset = 'fast' | 'balanced' | 'max-retention' | 'exact';

/** The Exact preset's shrinkage: chosen each round on held-out pictures ('auto'), or one fixed value (times trace / M). */
export type ExactShrinkage = 'auto' | '0.0001' | '0.001' | '0.01' | '0.1' | '1';

/** Settings of one learning round. */
export interface LearnSettings {
  preset: Preset;
  /** Overrides of the preset's values. */
  advanced?: Partial<AdvancedSettings>;
}

/** Every tunable of a learning round (the preset supplies the defaults). */
export interface AdvancedSettings {
  /** Passes over the new samples in the first round (a fresh head). */
  epochs: number;
  /** Passes over the new samples in a later round, which starts from the trained head and converges sooner. */
  laterEpochs: number;
  learningRate: number;
  batchSize: number;
  /** Width of the optional hidden layer of the head; 0 = linear head. Fixed at the first round. */
  hidden: number;
  ewcLambda: number;
  ewcMode: 'separate' | 'online';
  ewcGamma: number;
  lwfAlpha: number;
  lwfTemperature: number;
  /** Replayed samples per batch. */
  replayPerBatch: number;
  /** Samples the replay memory keeps. */
  memoryBudget: number;
  bufferPolicy: 'reservoir' | 'class-balanced' | 'herding';
  /** Exact preset: width of the fixed random projection of the embedding; 0 = the embedding itself. Fixed by the first Exact round. */
  exactProjection: number;
  /** Exact preset: the ridge shrinkage. */
  exactShrinkage: ExactShrinkage;
  /**
   * "Not sure": the share of held-out pictures of taught classes the open-set test accepts (its threshold is
   * calibrated on them); farther pictures answer "Not sure" with the nearest class. 1: never "Not sure".
   */
  notSureAccept: number;
}

/** A class the user teaches. */
export interface ClassInfo {
  id: string;
  name: string;
  /** CSS colour for the class's chips and bars. */
  colour: string;
  sampleCount: number;
  /** True once a completed round has trained on this class. */
  learned: boolean;
  /** Training pictures added since the last round that trained on them (held-out ones aside): what Learn would learn. */
  pending: number;
  /**
   * How much the class's stored pictures differ in feature space (worker/variety.ts: 0 = identical, ~0.1 = varied);
   * absent with fewer than 5 pictures. The UI asks for more variety below its threshold.
   */
  variety?: number;
}

/** One captured or imported example (the embedding stays in the worker). */
export interface SampleInfo {
  id: string;
  classId: string;
  /** Small JPEG/WebP image of the frame. */
  thumbnail: ArrayBuffer;
  /** MIME type of `thumbnail`. */
  thumbnailType: string;
  /** Held out of training, used to measure per-class accuracy (every 5th captured sample of a class). */
  heldOut: boolean;
  source: string;
  /** Epoch milliseconds. */
  created: number;
}

/** Class scores for one frame. */
export interface Prediction {
  /** One entry per learned class, highest first. */
  scores: { classId: string; name: string; p: number }[];
  /** Id of the best class, or null when nothing was learned yet. */
  top: string | null;
  /** Worker-side milliseconds from frame to scores (embedding + head). */
  ms: number;
  /** The open-set answer: too far from `top`'s stored pictures in feature space ("Not sure"; `top` is the nearest class). */
  notSure?: boolean;
  /** The open-set score (worker/open-set.ts: feature distance plus head energy, standardised; higher: less familiar) and its threshold. */
  openSet?: {
    score: number;
    threshold: number;
    calibrationPictures: number;
    /** Every open-set score with its own calibrated threshold (bench:app compares them). */
    variants?: Record<string, { score: number; threshold: number }>;
  };
}

/** Options of one prediction. */
export interface PredictOptions {
  /** The "Not sure" setting to use (default: the settings table's). */
  notSureAccept?: number;
}

/** What one learning round did. */
export interface RoundReport {
  /** Index of the round (1-based count of committed rounds after this one); unchanged when cancelled. */
  round: number;
  seconds: number;
  steps: number;
  cancelled: boolean;
  finalLoss: number;
  /** Where the round's time went, in seconds (absent for cancelled rounds). */
  /** Seconds per phase; `commit` = `exportState` + `store` (the IndexedDB transaction) + refreshing the class list. */
  timings?: { prepare: number; train: number; evaluate: number; commit: number; exportState: number; store: number };
}

/** Accuracy across rounds and per class, on held-out samples. */
export interface MetricsView {
  rounds: number;
  /** Name of each round's "task": the current names of the classes it introduced that still exist. */
  taskNames: string[];
  /** How many of each round's classes were deleted since (their accuracy stays in the history). */
  taskDeleted: number[];
  /** R[i][j] = accuracy on round j's classes after round i (null where there is no held-out sample). */
  accuracyMatrix: (number | null)[][];
  perClass: { classId: string; name: string; accuracy: number | null; heldOut: number }[];
  averageAccuracy: number | null;
  forgetting: number | null;
  /** Total loss of every progress event of every round, in order. */
  lossHistory: number[];
}

/** Storage use of the project. */
export interface StorageInfo {
  usage: number;
  quota: number;
  persisted: boolean;
  samples: number;
  memoryBudget: number;
  bytesPerSample: number;
  /** Bytes of the Exact preset's sufficient statistics in the checkpoint (0 with the other presets). */
  statisticsBytes: number;
}

/** State of the app. */
export interface AppStatus {
  backend: string;
  /** Why this backend (probe results, fallback reason). */
  backendNote: string;
  /** GPU adapter description when WebGPU was considered. */
  adapter: string | null;
  ready: boolean;
  classes: ClassInfo[];
  rounds: number;
  preset: Preset;
}

/** Machine-readable kind of an error. */
export type ErrorCode = 'storage-full' | 'device-lost' | 'import-refused' | 'project-changed' | 'internal';

/** Why the worker re-read the project: another tab edited it, committed a round (or imported), reset it, or upgraded it (this tab must reload). */
export type ProjectReloadCause = 'other-tab-edit' | 'other-tab-round' | 'other-tab-reset' | 'other-tab-upgrade';

/** Events the worker pushes to the UI. */
export type AppEvent =
  | { type: 'progress'; step: number; totalSteps: number; losses: Record<string, number> }
  | { type: 'retrain-progress'; step: number; totalSteps: number }
  | { type: 'backend'; backend: string; note: string }
  | { type: 'classes'; classes: ClassInfo[] }
  | { type: 'error'; code: ErrorCode; message: string }
  | { type: 'project-reloaded'; cause: ProjectReloadCause };

/** What a from-scratch retrain on all stored samples took and achieved (benchmark baseline). */
export interface FullRetrainReport {
  seconds: number;
  steps: number;
  samples: number;
  /** Held-out accuracy per class of the retrained model. */
  perClass: { classId: string; correct: number; total: number }[];
}

/** The exported image model: one zip with model.json, weights.bin and Teachable Machine's metadata.json. */
export interface ImageModelZip {
  zip: ArrayBuffer;
  /** Class names by output column. */
  labels: string[];
  /** Edge of the square RGB input, in pixels. */
  inputSize: number;
}

/** One column of "Compare with retraining". */
export interface StrategyFigures {
  /** Seconds to learn: the last round (incremental) or training a fresh model on everything stored (retrain). */
  seconds: number;
  /** Held-out accuracy on the classes learned before the last round (null: none, or no held-out picture). */
  oldAccuracy: number | null;
  /** Held-out accuracy on the classes the last round introduced. */
  newAccuracy: number | null;
  /** Pictures the approach must keep: the replay memory (incremental) or every training picture (retrain). */
  storedPictures: number;
  /** `storedPictures` in bytes (embedding, stored outputs and thumbnail each). */
  storageBytes: number;
  /** Pictures this training run went through. */
  trainedOn: number;
}

/** The user's incremental model beside a model retrained from scratch on every stored picture. */
export interface RetrainComparison {
  incremental: StrategyFigures;
  retrain: StrategyFigures;
  /** Names of the classes learned before the last round, and of those it introduced. */
  oldClasses: string[];
  newClasses: string[];
  /** The preset of the last round. */
  preset: Preset;
  /** Held-out pictures both models were measured on. */
  heldOut: number;
}

/** Options of `LearnerClient.start`. */
export interface StartOptions {
  /** Forces a backend (else the worker picks one; the page's `?backend=` also forces it). */
  backend?: BackendName;
  /** Name of the project database (tests and benchmarks use their own). Default 'retain'. */
  project?: string;
  /** Language of the worker's messages to the person (the page's; a language switch reloads the page). */
  language?: 'en' | 'zh-CN';
}

/** The calls the worker answers: method name -> (arguments) => result. */
export interface WorkerApi {
  init(opts: StartOptions): AppStatus;
  status(): AppStatus;
  addClass(name: string): ClassInfo;
  renameClass(id: string, name: string): void;
  deleteClass(id: string): void;
  addSample(classId: string, frame: ImageBitmap, source: 'camera' | 'file'): SampleInfo;
  listSamples(classId: string): SampleInfo[];
  deleteSample(id: string): void;
  learn(settings: LearnSettings): RoundReport;
  cancelLearn(): void;
  predict(frame: ImageBitmap, options?: PredictOptions): Prediction;
  metrics(): MetricsView;
  storage(): StorageInfo;
  exportProject(): ArrayBuffer;
  importProject(file: ArrayBuffer): void;
  exportModel(): { modelJson: string; weights: ArrayBuffer; classes: string[] };
  /** The complete image model (picture in, probabilities out) with Teachable Machine's metadata, zipped. */
  exportImageModel(): ImageModelZip;
  reset(): void;
  /** Test hook: simulates a lost GPU device (the same recovery path as a real `device.lost`). */
  simulateDeviceLoss(): void;
  /**
   * Benchmark baseline: trains a fresh classifier on every stored training sample (what a non-continual app does
   * on each change) on the same backend; the project is not changed.
   */
  fullRetrain(settings: LearnSettings): FullRetrainReport;
  /** Runs the full retrain (cancellable; 'retrain-progress' events) and compares it with the incremental model. */
  compareWithRetraining(settings: LearnSettings): RetrainComparison;
  /** Stops the running comparison (it then rejects with "cancelled"). */
  cancelCompare(): void;
  /** Diagnostics: tfjs memory counters in the worker. */
  memory(): { numTensors: number; numBytes: number; numBytesInGPU?: number };
}

/** Name of a worker call. */
export type Method = keyof WorkerApi;

/** Main thread -> worker: one call. */
export interface RequestMessage<M extends Method = Method> {
  kind: 'request';
  id: number;
  method: M;
  args: Parameters<WorkerApi[M]>;
}

/** Worker -> main thread: the outcome of one call. */
export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: { message: string; code: ErrorCode } };

/** Worker -> main thread: an event. */
export interface EventMessage {
  kind: 'event';
  event: AppEvent;
}

/** Any message the worker posts. */
export type WorkerMessage = ResponseMessage | EventMessage;

/** An error with a code that survives the trip across the worker boundary. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}
