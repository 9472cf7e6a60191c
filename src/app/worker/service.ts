/**
 * The learner service: everything the worker answers, independent of the message plumbing. It owns the project
 * (src/memory's `ProjectStore` on IndexedDB), the backbone and the continual learner (through `Engine`), and keeps
 * its in-RAM view consistent with what is stored: every change is written first and mirrored in RAM only once
 * the write succeeded. Rounds (round.ts), evaluation (evaluation.ts), the checkpoint's JSON (checkpoint-format.ts)
 * and the project view with its class and hold-out rules (project-view.ts) live beside it.
 */
import { t } from '../i18n';
import { checkClassCount } from '../../memory/class-rules';
import { exportProject } from '../../memory/project-file';
import type { IdbReplayMemory } from '../../memory/store/idb-replay-memory';
import type { ProjectStore } from '../../memory/store/project-store';
import type { ClassRecord } from '../../memory/store/schema';
import {
  AppError,
  type AdvancedSettings,
  type AppEvent,
  type AppStatus,
  type ClassInfo,
  type FullRetrainReport,
  type ImageModelZip,
  type LearnSettings,
  type MetricsView,
  type PredictOptions,
  type Prediction,
  type RetrainComparison,
  type RoundReport,
  type SampleInfo,
  type StorageInfo,
} from '../protocol';
import type { BackendChoice } from '../platform/backend';
import { captureFrame, embedFrame, sampleInfo, type CaptureContext } from './capture';
import type { Engine, FeatureExtractor, ServiceDeps, StoreDeleter, StoreOpener } from './engine-contract';
import { metricsView, predictionScores } from './evaluation';
import { canvasFrameReader, type FrameReader } from './frames';
import { fullRetrain } from './full-retrain';
import { deleteUnlearning } from './exact-unlearn';
import { compareWithRetraining } from './compare';
import { LiveModel, tensorMemory } from './live-model';
import { OpenSetCache } from './open-set';
import { softmaxRowsInPlace } from './softmax';
import { exportClassifier, projectImageModel } from './model-export';
import { openProject, restoreCommitted } from './project-open';
import type { ProjectView } from './project-view';
import { roundRequest, runRound, type RoundContext } from './round';
import { stageImport, withImportLock } from './staged-import';
import { storageError } from './storage-errors';
import { storageInfo } from './storage-info';
import { TabSync } from './tab-sync';

/** The learner service. */
export class LearnerService {
  private store!: ProjectStore;
  private memory!: IdbReplayMemory;
  private view!: ProjectView;
  private backbone: FeatureExtractor;
  private backend: BackendChoice;
  private readonly engine: Engine;
  private readonly live: LiveModel;
  /** The "Not sure" test of the live model, calibrated on the held-out pictures. */
  private readonly openSet = new OpenSetCache();
  private readonly emit: (event: AppEvent) => void;
  private readonly openStore: StoreOpener;
  private readonly deleteStore: StoreDeleter;
  private readonly frames: FrameReader;

  private learning: AbortController | null = null;
  /** The running "Compare with retraining" (learning waits for it). */
  private comparing: AbortController | null = null;
  /** Set while the backend is being replaced: calls wait for it. */
  private recovering: Promise<void> | null = null;
  /** The running round (reset waits for it to unwind). */
  private round: Promise<unknown> | null = null;
  /** Captures are processed one at a time, in order, so the every-5th hold-out count is exact. */
  private captureQueue: Promise<unknown> = Promise.resolve();
  /** Re-reads the project when another tab changes it (tab-sync.ts). */
  private readonly tabSync = new TabSync({ busy: () => this.learning !== null, reload: () => this.reloadForOtherTab(), emit: (e) => this.emit(e) });

  constructor(deps: ServiceDeps) {
    this.openStore = deps.openStore;
    this.deleteStore = deps.deleteStore;
    this.backbone = deps.backbone;
    this.backend = deps.backend;
    this.engine = deps.engine;
    this.live = new LiveModel(deps.engine);
    this.emit = deps.emit;
    this.frames = deps.frames ?? canvasFrameReader;
  }

  /** Opens the project and restores the learner exactly as last committed. */
  async open(): Promise<void> {
    this.store = await this.openStore().catch((error: unknown) => {
      throw storageError(error, 'open');
    });
    this.tabSync.watch(this.store);
    // project-open.ts: the same code opens an imported project in staging before it is made current.
    ({ view: this.view, memory: this.memory } = await openProject(this.store, this.live));
  }

  /** Rebuilds the learner from the last committed state with its own settings (nothing before the first round). */
  private restoreModel(): void {
    restoreCommitted(this.view, this.memory, this.live);
  }

  /** Frees everything (worker shutdown). */
  dispose(): void {
    this.tabSync.dispose();
    this.learning?.abort();
    this.live.dispose();
    this.backbone.dispose();
    this.store?.close();
  }


  private emitClasses(): void {
    this.emit({ type: 'classes', classes: this.view.classList() });
  }

  /** Backend, adapter, classes, rounds, preset. */
  status(): AppStatus {
    return {
      backend: this.backend.backend,
      backendNote: this.backend.note,
      adapter: this.backend.adapter,
      ready: this.recovering === null,
      classes: this.view.classList(),
      rounds: this.view.rounds.length,
      preset: this.view.committed.preset,
    };
  }

  /** Creates a class; its id is its head column, never reused. */
  async addClass(name: string): Promise<ClassInfo> {
    const clean = this.view.checkName(name);
    checkClassCount(this.view.classes.size);
    let c: ClassRecord;
    try {
      c = await this.store.addClass({ name: clean });
    } catch (error) {
      throw storageError(error, 'addClass');
    }
    this.view.classes.set(c.id, c);
    this.emitClasses();
    return this.view.classInfo(c);
  }

  /** Renames a class. */
  async renameClass(id: string, name: string): Promise<void> {
    const c = this.view.getClass(id);
    const clean = this.view.checkName(name, c.id);
    try {
      this.view.classes.set(c.id, await this.store.renameClass(c.id, clean));
    } catch (error) {
      throw storageError(error, 'renameClass');
    }
    this.emitClasses();
  }

  /** Deletes a class, its samples and its replay-memory members; its column is no longer predicted. */
  async deleteClass(id: string): Promise<void> {
    const c = this.view.getClass(id);
    if (this.learning) throw new Error(t('worker.waitDeleteClass'));
    try {
      // Exact unlearns the class's pictures in the deletion's own transaction (exact-unlearn.ts).
      const ctx = { view: this.view, store: this.store, live: this.live, memory: this.memory, dim: this.backbone.featureDim };
      if (!(await deleteUnlearning(ctx, { classId: c.id }))) await this.store.deleteClass(c.id);
    } catch (error) {
      throw storageError(error, 'deleteClass');
    }
    this.view.removeClass(c.id);
    this.emitClasses();
  }


  /** What a capture works on (capture.ts). */
  private captureContext(): CaptureContext {
    return { view: this.view, store: this.store, backbone: this.backbone, frames: this.frames };
  }

  /** Embeds and stores one frame; every 5th sample of a class is held out for measuring accuracy. */
  addSample(classId: string, frame: ImageBitmap, source: 'camera' | 'file'): Promise<SampleInfo> {
    const next = this.captureQueue.then(() => this.addSampleNow(classId, frame, source));
    this.captureQueue = next.catch(() => undefined);
    return next;
  }

  private async addSampleNow(classId: string, frame: ImageBitmap, source: 'camera' | 'file'): Promise<SampleInfo> {
    try {
      const c = this.view.getClass(classId);
      if (source !== 'camera' && source !== 'file') throw new Error(`Unknown sample source "${String(source)}"`);
      this.frames.check(frame);
      await this.recovering;
      const info = await captureFrame(this.captureContext(), c, frame, source);
      this.emitClasses();
      return info;
    } finally {
      this.frames.release(frame);
    }
  }

  /** A class's samples with thumbnails, oldest first. */
  async listSamples(classId: string): Promise<SampleInfo[]> {
    const c = this.view.getClass(classId);
    return (await this.store.listSamples(c.id)).map(sampleInfo);
  }

  /** Deletes one sample (the model keeps what it learned from it). */
  async deleteSample(id: string): Promise<void> {
    if (!this.view.samples.has(id)) throw new Error(t('worker.noSample', { id }));
    if (this.learning) throw new Error(t('worker.waitDeleteSample'));
    try {
      const ctx = { view: this.view, store: this.store, live: this.live, memory: this.memory, dim: this.backbone.featureDim };
      if (!(await deleteUnlearning(ctx, { sampleId: id }))) await this.store.deleteSample(id);
    } catch (error) {
      throw storageError(error, 'deleteSample');
    }
    this.view.samples.delete(id);
    this.emitClasses();
  }


  /** What a round works on (round.ts). */
  private roundContext(): RoundContext {
    return {
      view: this.view,
      store: this.store,
      live: this.live,
      dim: this.backbone.featureDim,
      emit: this.emit,
      memoryFor: async (settings: AdvancedSettings) => {
        if (!this.view.committed.settings && (this.memory.policy !== settings.bufferPolicy || this.memory.capacity !== settings.memoryBudget)) {
          // First round: open the memory with the chosen budget and policy.
          this.memory = await this.store.openReplayMemory({ policy: settings.bufferPolicy, capacity: settings.memoryBudget, writeMode: 'deferred' });
        }
        return this.memory;
      },
    };
  }

  /** One learning round on the samples added since the last round. */
  async learn(settings: LearnSettings): Promise<RoundReport> {
    if (this.learning) throw new Error(t('worker.roundRunning'));
    if (this.comparing) throw new Error(t('worker.compareBusy'));
    await this.recovering;
    const { requested, pending } = roundRequest(this.view, settings);
    const controller = new AbortController();
    this.learning = controller;
    const started = performance.now();
    const round = runRound(this.roundContext(), settings.preset, requested, pending, controller, started);
    this.round = round;
    try {
      return await round;
    } catch (error) {
      // Another tab committed first: nothing was written here; show its work (the message says so).
      if (error instanceof AppError && error.code === 'project-changed') {
        this.learning = null;
        await this.reloadForOtherTab();
      }
      throw error;
    } finally {
      this.learning = null;
      this.round = null;
    }
  }

  /** The non-continual baseline (full-retrain.ts): nothing is stored; the live model is untouched. */
  async fullRetrain(settings: LearnSettings): Promise<FullRetrainReport> {
    if (this.learning) throw new Error(t('worker.roundRunningNow'));
    return fullRetrain(this.engine, this.view, this.backbone.featureDim, settings);
  }

  /** "Compare with retraining" (compare.ts): a full retrain beside the live model; nothing is stored. */
  async compareWithRetraining(settings: LearnSettings): Promise<RetrainComparison> {
    if (this.learning || this.comparing) throw new Error(t('worker.compareBusy'));
    const model = this.live.model;
    if (!model) throw new Error(t('compare.needRound'));
    const controller = (this.comparing = new AbortController());
    const onProgress = (step: number, totalSteps: number) => this.emit({ type: 'retrain-progress', step, totalSteps });
    try {
      const ctx = { engine: this.engine, view: this.view, model, dim: this.backbone.featureDim, bytesPerPicture: (await this.storage()).bytesPerSample };
      return await compareWithRetraining(ctx, settings, { signal: controller.signal, onProgress });
    } finally {
      this.comparing = null;
    }
  }

  /** Stops the running comparison (no-op when none). */
  cancelCompare(): void {
    this.comparing?.abort();
  }

  /** Stops the running round (no-op when none). */
  cancelLearn(): void {
    this.learning?.abort();
  }


  /** Class scores for one frame over the learned classes that still exist, and "Not sure" (open-set.ts). */
  async predict(frame: ImageBitmap, options: PredictOptions = {}): Promise<Prediction> {
    try {
      this.frames.check(frame);
      await this.recovering;
      const t0 = performance.now();
      const model = this.live.model;
      if (!model || this.view.rounds.length === 0) return { scores: [], top: null, ms: 0 };
      const embedding = await embedFrame(this.captureContext(), frame);
      // One head pass a frame: the logits serve "Not sure" (energy) and, through a softmax, the class scores.
      const logits = await model.predictLogits(embedding, 1);
      const scores = predictionScores(softmaxRowsInPlace(Float32Array.from(logits), 1, model.numOutputs), this.view);
      const top = scores[0]?.classId ?? null;
      const answer = await this.openSet.answer(model, this.view, embedding, logits, top, options.notSureAccept);
      return { scores, top, ms: performance.now() - t0, ...answer };
    } finally {
      this.frames.release(frame);
    }
  }

  /** Accuracy matrix across rounds, per-class accuracy now, forgetting, loss history. */
  async metrics(): Promise<MetricsView> {
    return metricsView(this.live.model, this.view, this.backbone.featureDim);
  }

  /** Storage used by the origin and by this project. */
  async storage(): Promise<StorageInfo> {
    return storageInfo(this.store, this.view, this.memory, this.live.model, this.backbone.featureDim);
  }


  /** The classifier as a tfjs layers model; class names by output column. */
  async exportModel(): Promise<{ modelJson: string; weights: ArrayBuffer; classes: string[] }> {
    return exportClassifier(this.engine, this.live.model, this.view);
  }

  /** The complete image model (model-export.ts) with Teachable Machine's metadata, as one zip. */
  async exportImageModel(): Promise<ImageModelZip> {
    const model = this.live.model;
    if (!model || this.view.rounds.length === 0) throw new Error(t('worker.noModel'));
    return projectImageModel(this.engine, model, this.view, this.backbone);
  }

  /** The whole project as one Retain project file (src/memory's format: checksummed sections). */
  async exportProject(): Promise<ArrayBuffer> {
    if (this.learning) throw new Error(t('worker.waitExport'));
    const bytes = await exportProject(this.store);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /**
   * Replaces the project by an exported one, staged (staged-import.ts): the file is decoded and checked in full,
   * written to a staging database, opened there as at start and used once; only then is it copied into the
   * current project in one transaction. On any refusal or failure the current project is unchanged.
   */
  async importProject(file: ArrayBuffer): Promise<void> {
    if (this.learning) throw new Error(t('worker.waitImport'));
    if (!(file instanceof ArrayBuffer)) throw new AppError('import-refused', 'The project file must be given as bytes (ArrayBuffer)');
    const dbName = this.store.name;
    await withImportLock(dbName, async () => {
      const opened = await stageImport({ dbName, engine: this.engine, featureDim: this.backbone.featureDim }, file);
      this.live.dispose();
      try {
        await this.store.replaceAll(opened);
      } catch (error) {
        // The transaction was aborted: the old project is intact; restore the live model from it.
        await this.reloadFromStore();
        throw storageError(error, 'import');
      }
      await this.reloadFromStore();
    });
  }

  /** Re-reads everything from the store (after an import). */
  private async reloadFromStore(): Promise<void> {
    this.store.close();
    await this.open();
    this.emitClasses();
  }

  /** Re-reads the project after another tab changed it; calls wait for it as for a backend switch. */
  private async reloadForOtherTab(): Promise<void> {
    await this.recovering;
    const reload = this.captureQueue.then(() => this.reloadFromStore());
    this.recovering = reload;
    try {
      await reload;
    } finally {
      if (this.recovering === reload) this.recovering = null;
    }
  }

  /** Deletes every class, sample and the model. */
  async reset(): Promise<void> {
    this.learning?.abort();
    await this.round?.catch(() => undefined);
    await this.captureQueue;
    this.live.dispose();
    this.store.close();
    try {
      await this.deleteStore();
    } catch (error) {
      throw storageError(error, 'reset');
    } finally {
      await this.open();
    }
    this.emitClasses();
  }

  /** tfjs memory counters (leak checks). */
  memoryInfo(): { numTensors: number; numBytes: number; numBytesInGPU?: number } {
    return tensorMemory();
  }

  /**
   * Moves to another backend after the GPU device was lost: any running round fails with 'device-lost'
   * (nothing stored), the backbone is reloaded and the learner restored from the last committed state.
   */
  async switchBackend(replace: () => Promise<{ backend: BackendChoice; backbone: FeatureExtractor }>): Promise<void> {
    if (this.recovering) return this.recovering;
    this.learning?.abort(
      new AppError('device-lost', t('worker.deviceLost')),
    );
    this.recovering = (async () => {
      this.live.dispose();
      try {
        this.backbone.dispose();
      } catch {
        // The old backend's buffers may already be gone with the device.
      }
      const next = await replace();
      this.backend = next.backend;
      this.backbone = next.backbone;
      await this.memory.reload();
      this.restoreModel();
    })();
    try {
      await this.recovering;
    } finally {
      this.recovering = null;
    }
    this.emit({ type: 'backend', backend: this.backend.backend, note: this.backend.note });
  }
}
