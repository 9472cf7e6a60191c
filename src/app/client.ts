/**
 * `LearnerClient`: the main thread's handle on the learner worker. Every call is a message to the worker and a
 * promise of its answer; events (progress, backend changes, class lists, errors) arrive through `on()`.
 * The UI never touches tfjs: all tensors live in the worker, so the page stays responsive while learning.
 */
import { currentLanguage, t } from './i18n';
import {
  AppError,
  type AppEvent,
  type AppStatus,
  type BackendName,
  type ClassInfo,
  type FullRetrainReport,
  type ImageModelZip,
  type LearnSettings,
  type Method,
  type MetricsView,
  type PredictOptions,
  type Prediction,
  type RetrainComparison,
  type RoundReport,
  type SampleInfo,
  type StartOptions,
  type StorageInfo,
  type WorkerApi,
  type WorkerMessage,
} from './protocol';

export type {
  AdvancedSettings,
  AppEvent,
  AppStatus,
  BackendName,
  ClassInfo,
  ErrorCode,
  FullRetrainReport,
  ImageModelZip,
  LearnSettings,
  MetricsView,
  PredictOptions,
  Prediction,
  Preset,
  RetrainComparison,
  RoundReport,
  StrategyFigures,
  SampleInfo,
  StartOptions,
  StorageInfo,
} from './protocol';
export { AppError } from './protocol';

const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Reads `?backend=` from the page's URL (an unknown value is ignored). */
function backendFromUrl(): BackendName | undefined {
  if (typeof location === 'undefined') return undefined;
  const value = new URLSearchParams(location.search).get('backend');
  return BACKENDS.includes(value as BackendName) ? (value as BackendName) : undefined;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** The main thread's handle on the learner worker. */
export class LearnerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: AppEvent) => void>();
  private terminated = false;

  private constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (e: MessageEvent<WorkerMessage>) => this.receive(e.data));
    worker.addEventListener('error', (e: ErrorEvent) => {
      // An uncaught error in the worker (e.g. it failed to load): fail every waiting call with it.
      const error = new AppError('internal', e.message ? t('worker.crashed', { reason: e.message }) : t('worker.crashedNoReason'));
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.emit({ type: 'error', code: 'internal', message: error.message });
    });
  }

  /** Spawns the worker, picks the backend (URL ?backend= forces one), loads the backbone and the stored project. */
  static async start(opts: StartOptions = {}): Promise<LearnerClient> {
    const worker = new Worker(new URL('./worker/learner.worker.ts', import.meta.url), {
      type: 'module',
      name: 'retain-learner',
    });
    const client = new LearnerClient(worker);
    try {
      await client.call('init', [
        { language: currentLanguage(), ...opts, backend: opts.backend ?? backendFromUrl() },
      ]);
    } catch (error) {
      client.terminate();
      throw error;
    }
    return client;
  }

  /** Subscribes to worker events; returns an unsubscribe function. */
  on(cb: (e: AppEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Backend, adapter, classes, rounds and readiness. */
  status(): Promise<AppStatus> {
    return this.call('status', []);
  }

  /** Creates a class (the name rule of src/memory/class-rules.ts: trimmed, 1 to 60 characters, unique ignoring case). */
  addClass(name: string): Promise<ClassInfo> {
    return this.call('addClass', [name]);
  }

  /** Renames a class. */
  renameClass(id: string, name: string): Promise<void> {
    return this.call('renameClass', [id, name]);
  }

  /** Deletes a class and its samples (a learned class's head column stays but is no longer predicted). */
  deleteClass(id: string): Promise<void> {
    return this.call('deleteClass', [id]);
  }

  /** Embeds and stores one frame (the bitmap is transferred). About 10/s from hold-to-capture. */
  addSample(classId: string, frame: ImageBitmap, source: 'camera' | 'file'): Promise<SampleInfo> {
    return this.call('addSample', [classId, frame, source], [frame]);
  }

  /** A class's samples, thumbnails included (JPEG/WebP bytes), oldest first. */
  listSamples(classId: string): Promise<SampleInfo[]> {
    return this.call('listSamples', [classId]);
  }

  /** Deletes one sample. */
  deleteSample(id: string): Promise<void> {
    return this.call('deleteSample', [id]);
  }

  /** One learning round on the samples added since the last round; progress arrives as events. */
  learn(settings: LearnSettings): Promise<RoundReport> {
    return this.call('learn', [settings]);
  }

  /** Stops the running round; `learn()` then resolves with `cancelled: true` and the project is unchanged. */
  cancelLearn(): void {
    void this.call('cancelLearn', []).catch(() => undefined);
  }

  /** Class scores for one frame (the bitmap is transferred) and the "Not sure" answer (`options.notSureAccept`). */
  predict(frame: ImageBitmap, options?: PredictOptions): Promise<Prediction> {
    return this.call('predict', [frame, options], [frame]);
  }

  /** Accuracy matrix, per-class accuracy, forgetting, loss history. */
  metrics(): Promise<MetricsView> {
    return this.call('metrics', []);
  }

  /** Storage use and quota. */
  storage(): Promise<StorageInfo> {
    return this.call('storage', []);
  }

  /** The whole project (classes, samples, model state, metrics) as one file. */
  exportProject(): Promise<ArrayBuffer> {
    return this.call('exportProject', []);
  }

  /** Replaces the project by an exported one; rejects with a specific message and leaves the project unchanged. */
  importProject(file: ArrayBuffer): Promise<void> {
    return this.call('importProject', [file], [file]);
  }

  /** The trained classifier (backbone embedding -> class scores) as a tfjs layers model. */
  exportModel(): Promise<{ modelJson: string; weights: ArrayBuffer; classes: string[] }> {
    return this.call('exportModel', []);
  }

  /**
   * The complete image model as one zip (model.json + weights.bin + metadata.json): a 224x224 RGB picture scaled
   * as pixel / 127 - 1 in, the live classes' probabilities out; `tf.loadLayersModel` and `@teachablemachine/image` load it.
   */
  exportImageModel(): Promise<ImageModelZip> {
    return this.call('exportImageModel', []);
  }

  /** Deletes every class, sample and the model. */
  reset(): Promise<void> {
    return this.call('reset', []);
  }

  /** Test hook: makes the worker behave as if the GPU device was lost (falls back, reloads, emits 'backend'). */
  simulateDeviceLoss(): Promise<void> {
    return this.call('simulateDeviceLoss', []);
  }

  /** Benchmark baseline: a fresh classifier trained on every stored sample; the project is unchanged. */
  fullRetrain(settings: LearnSettings): Promise<FullRetrainReport> {
    return this.call('fullRetrain', [settings]);
  }

  /**
   * Trains a model from scratch on every stored picture and compares it with the incremental one (time, old- and
   * new-class accuracy, storage); progress as 'retrain-progress' events; the project is unchanged.
   */
  compareWithRetraining(settings: LearnSettings): Promise<RetrainComparison> {
    return this.call('compareWithRetraining', [settings]);
  }

  /** Stops the running comparison; `compareWithRetraining()` then rejects with "cancelled". */
  cancelCompare(): void {
    void this.call('cancelCompare', []).catch(() => undefined);
  }

  /** tfjs memory counters in the worker (leak checks). */
  memory(): Promise<{ numTensors: number; numBytes: number; numBytesInGPU?: number }> {
    return this.call('memory', []);
  }

  /** Stops the worker; every pending call rejects. */
  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.worker.terminate();
    const error = new AppError('internal', t('worker.stopped'));
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private call<M extends Method>(
    method: M,
    args: Parameters<WorkerApi[M]>,
    transfer: Transferable[] = [],
  ): Promise<ReturnType<WorkerApi[M]>> {
    if (this.terminated) return Promise.reject(new AppError('internal', t('worker.stopped')));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ kind: 'request', id, method, args }, transfer);
    });
  }

  private receive(message: WorkerMessage): void {
    if (message.kind === 'event') {
      this.emit(message.event);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new AppError(message.error.code, message.error.message));
  }

  private emit(event: AppEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('LearnerClient listener failed', error);
      }
    }
  }
}
