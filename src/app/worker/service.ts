/**
 * The learner service: everything the worker answers, independent of the message plumbing. It owns the project
 * (src/memory's `ProjectStore` on IndexedDB), the backbone and the continual learner (through `Engine`), and keeps
 * its in-RAM view consistent with what is stored: every change is written first and mirrored in RAM only once
 * the write succeeded. A learning round is committed in one transaction (model + replay memory + metrics).
 */
import * as tf from '@tensorflow/tfjs';
import type { IdbReplayMemory } from '../../memory/idb-replay-memory';
import { ImportError } from '../../memory/errors';
import { decodeProject, encodeProject } from '../../memory/project-file';
import { InMemoryReplayMemory } from '../../memory/replay-memory';
import type { ProjectStore } from '../../memory/project-store';
import type { ClassRecord, SampleRecord } from '../../memory/schema';
import type { EngineState, MemorySample } from '../../memory/types';
import { averageAccuracy, forgetting } from '../../metrics';
import { SeededRandom } from '../../cl/rng';
import {
  AppError,
  type AdvancedSettings,
  type AppEvent,
  type AppStatus,
  type ClassInfo,
  type FullRetrainReport,
  type LearnSettings,
  type MetricsView,
  type Prediction,
  type Preset,
  type RoundReport,
  type SampleInfo,
  type StorageInfo,
} from '../protocol';
import type { Engine, EngineModel, FeatureExtractor, RoundTuning } from './engine-contract';
import type { BackendChoice } from '../platform/backend';
import { canvasFrameReader, type FrameReader } from './frames';
import { PRESET_DEFAULTS, resolveSettings } from './settings';

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

/** What one committed round measured (kept, cumulatively, in each checkpoint's metrics). */
export interface RoundRecord {
  round: number;
  preset: Preset;
  /** Labels (class ids) introduced in this round: the round's "task" in the accuracy matrix. */
  newLabels: number[];
  /** Training samples per label this round (for the every-5th hold-out count). */
  trainedPerLabel: Record<string, number>;
  /** Names of the new classes when the round ran. */
  name: string;
  /** Accuracy on each round's new classes (0..round), on held-out samples; null where none. */
  accuracyRow: (number | null)[];
  /** Total loss at each progress event. */
  losses: number[];
  seconds: number;
  steps: number;
}

/** The JSON the app keeps in each checkpoint. */
interface CheckpointMetrics {
  format: 'retain-app-metrics';
  rounds: RoundRecord[];
}
interface CheckpointStrategy {
  preset: Preset;
  settings: AdvancedSettings;
}

/** Every 5th captured sample of a class is held out for measuring accuracy. */
const HOLD_OUT_EVERY = 5;
const MAX_NAME = 60;

/** Recognises a quota error from IndexedDB or the memory layer. */
export function isQuotaError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string } | null;
  return !!e && (e.name === 'QuotaExceededError' || e.name === 'StorageFullError' || e.code === 'storage-full' || /quota/i.test(e.message ?? ''));
}

/** Wraps storage failures as typed, user-readable errors. */
function storageError(error: unknown, what: string): Error {
  if (isQuotaError(error))
    return new AppError('storage-full', `Storage is full: could not ${what}. Delete samples or classes, or export and reset the project.`);
  if (error instanceof AppError) return error;
  return new AppError('internal', `Could not ${what}: ${(error as Error)?.message ?? String(error)}`);
}

/** Parses a class id from the UI (the store's integer id as a string). */
function classKey(id: unknown): number {
  const n = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`No class with id ${String(id)}`);
  return n;
}

/** The learner service. */
export class LearnerService {
  private store!: ProjectStore;
  private memory!: IdbReplayMemory;
  private backbone: FeatureExtractor;
  private readonly frames: FrameReader;
  private backend: BackendChoice;
  private readonly engine: Engine;
  private readonly emit: (event: AppEvent) => void;
  private readonly openStore: StoreOpener;
  private readonly deleteStore: StoreDeleter;

  private classes = new Map<number, ClassRecord>();
  /** Stored samples without thumbnails (embeddings for rounds and evaluation). */
  private samples = new Map<string, SampleRecord>();
  private rounds: RoundRecord[] = [];
  private committedEngine: EngineState | null = null;
  /** Settings of the committed model (the hidden width and the memory are fixed by the first round). */
  private settings: AdvancedSettings | null = null;
  private preset: Preset = 'balanced';
  private model: EngineModel | null = null;
  private modelKey: string | null = null;
  private learning: AbortController | null = null;
  /** Set while the backend is being replaced: calls wait for it. */
  private recovering: Promise<void> | null = null;
  /** The running round (reset waits for it to unwind). */
  private round: Promise<unknown> | null = null;
  /** Captures are processed one at a time, in order, so the every-5th hold-out count is exact. */
  private captureQueue: Promise<unknown> = Promise.resolve();

  constructor(deps: ServiceDeps) {
    this.openStore = deps.openStore;
    this.deleteStore = deps.deleteStore;
    this.backbone = deps.backbone;
    this.backend = deps.backend;
    this.engine = deps.engine;
    this.emit = deps.emit;
    this.frames = deps.frames ?? canvasFrameReader;
  }

  /** Opens the project and restores the learner exactly as last committed. */
  async open(): Promise<void> {
    this.store = await this.openStore();
    const latest = await this.store.loadLatest();
    const strategy = latest.checkpoint?.strategy as CheckpointStrategy | null | undefined;
    const metrics = latest.checkpoint?.metrics as CheckpointMetrics | null | undefined;
    this.settings = strategy?.settings ?? null;
    this.preset = strategy?.preset ?? 'balanced';
    this.rounds = metrics?.format === 'retain-app-metrics' ? metrics.rounds : [];
    this.committedEngine = latest.checkpoint?.engineState ?? null;
    this.classes = new Map(latest.classes.map((c) => [c.id, c]));
    this.samples = new Map();
    for (const c of latest.classes) {
      for (const s of await this.store.listSamples(c.id, { withThumbnails: false })) {
        const { thumbnail: _thumbnail, ...row } = s;
        this.samples.set(s.id, row);
      }
    }
    const memSettings = this.settings ?? PRESET_DEFAULTS.balanced;
    this.memory = await this.store.openReplayMemory({
      policy: memSettings.bufferPolicy,
      capacity: memSettings.memoryBudget,
      writeMode: 'deferred',
    });
    if (this.committedEngine && this.settings) this.restoreModel(this.preset, this.settings);
  }

  /** Rebuilds the learner from the last committed state (restart, cancel, device loss, preset change). */
  private restoreModel(preset: Preset, settings: AdvancedSettings, tuning: RoundTuning = {}): void {
    this.disposeModel();
    if (!this.committedEngine) return;
    this.model = this.engine.restore(this.committedEngine, settings, preset, this.memory, tuning);
    this.modelKey = modelKey(preset, settings, tuning);
  }

  private disposeModel(): void {
    this.model?.dispose();
    this.model = null;
    this.modelKey = null;
  }

  /** Frees everything (worker shutdown). */
  dispose(): void {
    this.learning?.abort();
    this.disposeModel();
    this.backbone.dispose();
    this.store?.close();
  }

  // ---------------------------------------------------------------- status and classes

  private learnedLabels(): Set<number> {
    return new Set(this.rounds.flatMap((r) => r.newLabels));
  }

  private classInfo(c: ClassRecord, learned = this.learnedLabels()): ClassInfo {
    let count = 0;
    for (const s of this.samples.values()) if (s.classId === c.id) count++;
    return { id: String(c.id), name: c.name, colour: c.colour, sampleCount: count, learned: learned.has(c.id) };
  }

  private classList(): ClassInfo[] {
    const learned = this.learnedLabels();
    return [...this.classes.values()].sort((a, b) => a.id - b.id).map((c) => this.classInfo(c, learned));
  }

  private emitClasses(): void {
    this.emit({ type: 'classes', classes: this.classList() });
  }

  /** Backend, adapter, classes, rounds, preset. */
  status(): AppStatus {
    return {
      backend: this.backend.backend,
      backendNote: this.backend.note,
      adapter: this.backend.adapter,
      ready: this.recovering === null,
      classes: this.classList(),
      rounds: this.rounds.length,
      preset: this.preset,
    };
  }

  private checkName(name: unknown, exceptId?: number): string {
    if (typeof name !== 'string') throw new Error('A class name must be text');
    const trimmed = name.trim();
    if (!trimmed) throw new Error('A class name cannot be empty');
    if (trimmed.length > MAX_NAME) throw new Error(`A class name can have at most ${MAX_NAME} characters`);
    for (const c of this.classes.values()) {
      if (c.id !== exceptId && c.name.toLocaleLowerCase() === trimmed.toLocaleLowerCase())
        throw new Error(`There is already a class named "${c.name}"`);
    }
    return trimmed;
  }

  private getClass(id: string): ClassRecord {
    const c = this.classes.get(classKey(id));
    if (!c) throw new Error(`No class with id ${id} (it may have been deleted)`);
    return c;
  }

  /** Creates a class; its id is its head column, never reused. */
  async addClass(name: string): Promise<ClassInfo> {
    const clean = this.checkName(name);
    let c: ClassRecord;
    try {
      c = await this.store.addClass({ name: clean });
    } catch (error) {
      throw storageError(error, 'add the class');
    }
    this.classes.set(c.id, c);
    this.emitClasses();
    return this.classInfo(c);
  }

  /** Renames a class. */
  async renameClass(id: string, name: string): Promise<void> {
    const c = this.getClass(id);
    const clean = this.checkName(name, c.id);
    try {
      this.classes.set(c.id, await this.store.renameClass(c.id, clean));
    } catch (error) {
      throw storageError(error, 'rename the class');
    }
    this.emitClasses();
  }

  /** Deletes a class, its samples and its replay-memory members; its column is no longer predicted. */
  async deleteClass(id: string): Promise<void> {
    const c = this.getClass(id);
    if (this.learning) throw new Error('Wait for the learning round to finish (or cancel it) before deleting a class');
    try {
      await this.store.deleteClass(c.id);
    } catch (error) {
      throw storageError(error, 'delete the class');
    }
    this.classes.delete(c.id);
    for (const [sid, s] of this.samples) if (s.classId === c.id) this.samples.delete(sid);
    this.emitClasses();
  }

  // ---------------------------------------------------------------- samples

  /** Embeds a frame with the backbone: the centre square at the backbone's input size. */
  private async embedFrame(frame: ImageBitmap): Promise<Float32Array> {
    return this.backbone.embedRgba([this.frames.pixels(frame, this.backbone.config.inputSize)]);
  }

  /** Samples of a class captured so far: trained in past rounds, pending and held out. */
  private capturedCount(label: number): number {
    let n = 0;
    for (const r of this.rounds) n += r.trainedPerLabel[String(label)] ?? 0;
    for (const s of this.samples.values()) if (s.classId === label && (s.heldOut || s.replay === 0)) n++;
    return n;
  }

  /** Embeds and stores one frame; every 5th sample of a class is held out for measuring accuracy. */
  addSample(classId: string, frame: ImageBitmap, source: 'camera' | 'file'): Promise<SampleInfo> {
    const next = this.captureQueue.then(() => this.addSampleNow(classId, frame, source));
    this.captureQueue = next.catch(() => undefined);
    return next;
  }

  private async addSampleNow(classId: string, frame: ImageBitmap, source: 'camera' | 'file'): Promise<SampleInfo> {
    try {
      const c = this.getClass(classId);
      if (source !== 'camera' && source !== 'file') throw new Error(`Unknown sample source "${String(source)}"`);
      this.frames.check(frame);
      await this.recovering;
      const [embedding, thumb] = await Promise.all([this.embedFrame(frame), this.frames.thumbnail(frame)]);
      if (!this.classes.has(c.id)) throw new Error('The class was deleted while the frame was being processed');
      const heldOut = this.capturedCount(c.id) % HOLD_OUT_EVERY === HOLD_OUT_EVERY - 1;
      let row: SampleRecord;
      try {
        [row] = await this.store.addSamples([
          { classId: c.id, embedding, thumbnail: thumb.bytes, thumbnailType: thumb.type, source, heldOut },
        ]);
      } catch (error) {
        throw storageError(error, 'store the sample');
      }
      this.samples.set(row.id, row);
      const updated = await this.store.getClass(c.id);
      if (updated) this.classes.set(c.id, updated);
      if (this.samples.size === 1) void this.store.requestPersistence();
      this.emitClasses();
      return {
        id: row.id,
        classId: String(c.id),
        thumbnail: thumb.bytes.slice(0),
        thumbnailType: thumb.type,
        heldOut,
        source,
        created: row.created,
      };
    } finally {
      this.frames.release(frame);
    }
  }

  /** A class's samples with thumbnails, oldest first. */
  async listSamples(classId: string): Promise<SampleInfo[]> {
    const c = this.getClass(classId);
    const rows = await this.store.listSamples(c.id);
    return rows.map((s) => ({
      id: s.id,
      classId: String(s.classId),
      thumbnail: s.thumbnail?.bytes ?? new ArrayBuffer(0),
      thumbnailType: s.thumbnail?.type ?? '',
      heldOut: s.heldOut,
      source: s.source,
      created: s.created,
    }));
  }

  /** Deletes one sample (the model keeps what it learned from it). */
  async deleteSample(id: string): Promise<void> {
    if (!this.samples.has(id)) throw new Error(`No sample with id ${id} (it may have been deleted)`);
    if (this.learning) throw new Error('Wait for the learning round to finish (or cancel it) before deleting samples');
    try {
      await this.store.deleteSample(id);
    } catch (error) {
      throw storageError(error, 'delete the sample');
    }
    this.samples.delete(id);
    this.emitClasses();
  }

  // ---------------------------------------------------------------- learning

  /** Argmax over the columns of existing classes, for n embeddings. */
  private async predictLabels(model: EngineModel, x: Float32Array, n: number): Promise<number[]> {
    if (n === 0) return [];
    const probs = await model.predictProba(x, n);
    const k = model.numOutputs;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bestP = -Infinity;
      for (let j = 0; j < k; j++) {
        if (!this.classes.has(j)) continue;
        const p = probs[i * k + j];
        if (p > bestP) {
          bestP = p;
          best = j;
        }
      }
      out.push(best);
    }
    return out;
  }

  /** Accuracy on each round's new classes and per class, on the held-out samples. */
  private async evaluate(
    model: EngineModel,
    rounds: readonly { newLabels: number[] }[],
  ): Promise<{ row: (number | null)[]; perClass: Map<number, { correct: number; total: number }> }> {
    const trained = new Set(rounds.flatMap((r) => r.newLabels));
    const held = [...this.samples.values()].filter((s) => s.heldOut && trained.has(s.classId) && s.classId < model.numOutputs);
    const dim = this.backbone.featureDim;
    const x = new Float32Array(held.length * dim);
    held.forEach((s, i) => x.set(s.embedding, i * dim));
    const predicted = await this.predictLabels(model, x, held.length);
    const perClass = new Map<number, { correct: number; total: number }>();
    held.forEach((s, i) => {
      const e = perClass.get(s.classId) ?? { correct: 0, total: 0 };
      e.total++;
      if (predicted[i] === s.classId) e.correct++;
      perClass.set(s.classId, e);
    });
    const row = rounds.map((r) => {
      let correct = 0;
      let total = 0;
      for (const label of r.newLabels) {
        const e = perClass.get(label);
        if (e) {
          correct += e.correct;
          total += e.total;
        }
      }
      return total === 0 ? null : correct / total;
    });
    return { row, perClass };
  }

  /** One learning round on the samples added since the last round. */
  async learn(settings: LearnSettings): Promise<RoundReport> {
    if (this.learning) throw new Error('A learning round is already running');
    await this.recovering;
    const requested = resolveSettings(settings);
    const pending = [...this.samples.values()].filter((s) => !s.heldOut && s.replay === 0 && this.classes.has(s.classId));
    if (pending.length === 0) throw new Error('Nothing new to learn: add samples to a class first');
    if (this.rounds.length === 0 && new Set(pending.map((s) => s.classId)).size < 2)
      throw new Error('Teach at least two classes before the first round: the model learns to tell classes apart');
    const controller = new AbortController();
    this.learning = controller;
    const started = performance.now();
    const round = this.runRound(settings.preset, requested, pending, controller, started);
    this.round = round;
    try {
      return await round;
    } finally {
      this.learning = null;
      this.round = null;
    }
  }

  private async runRound(
    preset: Preset,
    requested: AdvancedSettings,
    pending: SampleRecord[],
    controller: AbortController,
    started: number,
  ): Promise<RoundReport> {
    // The head's width and the memory are fixed by the first round; later rounds keep them.
    const settings: AdvancedSettings = this.settings
      ? { ...requested, hidden: this.settings.hidden, memoryBudget: this.settings.memoryBudget, bufferPolicy: this.settings.bufferPolicy }
      : requested;
    const roundIndex = this.rounds.length;
    const dim = this.backbone.featureDim;

    if (!this.settings && (this.memory.policy !== settings.bufferPolicy || this.memory.capacity !== settings.memoryBudget)) {
      // First round: open the memory with the chosen budget and policy.
      this.memory = await this.store.openReplayMemory({ policy: settings.bufferPolicy, capacity: settings.memoryBudget, writeMode: 'deferred' });
    }
    const labels = [...new Set(pending.map((s) => s.classId))].sort((a, b) => a - b);
    const learnedBefore = this.learnedLabels();
    const newLabels = labels.filter((l) => !learnedBefore.has(l));
    const oldLive = [...learnedBefore].filter((l) => this.classes.has(l)).length;
    const tuning: RoundTuning = oldLive > 0 ? { replayWeight: Math.sqrt(oldLive) / (Math.sqrt(oldLive) + Math.sqrt(Math.max(1, newLabels.length))) } : {};
    if (!this.model || this.modelKey !== modelKey(preset, settings, tuning)) {
      if (this.committedEngine) this.restoreModel(preset, settings, tuning);
      else {
        this.disposeModel();
        this.model = this.engine.create(dim, settings, preset, this.memory, tuning);
        this.modelKey = modelKey(preset, settings, tuning);
      }
    }
    const model = this.model!;

    const tPrepared = performance.now();
    const x = new Float32Array(pending.length * dim);
    const y = new Int32Array(pending.length);
    const trainedPerLabel: Record<string, number> = {};
    pending.forEach((s, i) => {
      x.set(s.embedding, i * dim);
      y[i] = s.classId;
      trainedPerLabel[String(s.classId)] = (trainedPerLabel[String(s.classId)] ?? 0) + 1;
    });
    // The first round trains a fresh head; a later one starts from the trained head and needs fewer passes.
    const epochs = this.committedEngine ? settings.laterEpochs : settings.epochs;
    const iterations = epochs * Math.ceil(pending.length / settings.batchSize);
    const losses: number[] = [];
    let steps = 0;
    let finalLoss = NaN;
    const cancelled = (): RoundReport => ({
      round: this.rounds.length,
      seconds: (performance.now() - started) / 1000,
      steps,
      cancelled: true,
      finalLoss,
    });

    try {
      await model.learnTask(
        { task: roundIndex, x, y, classes: labels },
        {
          iterations,
          signal: controller.signal,
          // About ten progress events per round: each one reads the losses back (a GPU sync) and yields so a cancel
          // message can arrive.
          progressEvery: Math.max(1, Math.ceil(iterations / 10)),
          onProgress: (p) => {
            steps = p.step;
            finalLoss = p.losses.total ?? Object.values(p.losses).reduce((a, b) => a + b, 0);
            losses.push(finalLoss);
            this.emit({ type: 'progress', step: p.step, totalSteps: p.totalSteps, losses: p.losses });
          },
        },
      );
      if (controller.signal.aborted) throw new Error('cancelled');
      // Keep this round's samples in the replay memory under their own ids (their thumbnails stay), with the
      // trained model's logits for distillation of stored outputs. The policy decides what stays.
      const logits = await model.predictLogits(x, pending.length);
      const k = model.numOutputs;
      const offered: MemorySample[] = pending.map((s, i) => ({
        id: s.id,
        x: s.embedding,
        label: s.classId,
        task: roundIndex,
        logits: logits.slice(i * k, (i + 1) * k),
      }));
      await this.memory.add(offered, new SeededRandom(0x5eed + roundIndex).next);
    } catch (error) {
      // Cancelled or failed mid-round: back to the last committed model and memory; nothing is stored.
      if (controller.signal.reason instanceof AppError) throw controller.signal.reason; // device lost: switchBackend restores
      await this.rollback(preset, settings);
      if (controller.signal.aborted) return cancelled();
      throw error instanceof AppError ? error : new AppError('internal', `Learning failed: ${(error as Error).message}`);
    }

    const tTrained = performance.now();
    const roundsSoFar = [...this.rounds.map((r) => ({ newLabels: r.newLabels })), { newLabels }];
    const { row } = await this.evaluate(model, roundsSoFar);
    const names = newLabels.map((l) => this.classes.get(l)?.name ?? `class ${l}`);
    const seconds = (performance.now() - started) / 1000;
    const round: RoundRecord = {
      round: roundIndex,
      preset,
      newLabels,
      trainedPerLabel,
      name: names.length ? names.join(', ') : `round ${roundIndex + 1} (more samples)`,
      accuracyRow: row,
      losses,
      seconds,
      steps: steps || iterations,
    };
    const tEvaluated = performance.now();
    const engineState = await model.exportState();
    const tExported = performance.now();
    const rounds = [...this.rounds, round];
    try {
      await this.store.commitRound({
        engineState,
        classToOutput: Object.fromEntries([...this.classes.keys()].map((id) => [String(id), id])),
        strategy: { preset, settings } satisfies CheckpointStrategy as unknown as Record<string, unknown>,
        metrics: { format: 'retain-app-metrics', rounds } satisfies CheckpointMetrics,
        bufferChanges: this.memory,
        classes: labels.filter((l) => this.classes.has(l)).map((id) => ({ id })),
        trainedSampleIds: pending.map((s) => s.id),
      });
    } catch (error) {
      await this.rollback(preset, settings);
      throw storageError(error, 'save the learning round');
    }
    const tStored = performance.now();
    this.committedEngine = engineState;
    this.settings = settings;
    this.preset = preset;
    this.rounds = rounds;
    // Mirror the commit: trained samples the memory kept become members, the others are gone (they live on in
    // the weights).
    for (const s of pending) {
      const live = this.samples.get(s.id);
      if (!live) continue;
      if (this.memory.has(s.id)) this.samples.set(s.id, { ...live, replay: 1 });
      else this.samples.delete(s.id);
    }
    for (const [id, s] of this.samples) if (s.replay === 1 && !this.memory.has(id)) this.samples.delete(id);
    for (const c of await this.store.listClasses()) this.classes.set(c.id, c);
    this.emitClasses();
    const tCommitted = performance.now();
    const timings = {
      prepare: (tPrepared - started) / 1000,
      train: (tTrained - tPrepared) / 1000,
      evaluate: (tEvaluated - tTrained) / 1000,
      commit: (tCommitted - tEvaluated) / 1000,
      exportState: (tExported - tEvaluated) / 1000,
      store: (tStored - tExported) / 1000,
    };
    return { round: rounds.length, seconds: (tCommitted - started) / 1000, steps: round.steps, cancelled: false, finalLoss, timings };
  }

  /** After a failed or cancelled round: the memory and the model as last committed (or no model). */
  private async rollback(preset: Preset, settings: AdvancedSettings): Promise<void> {
    await this.memory.reload();
    if (this.committedEngine) this.restoreModel(preset, settings);
    else this.disposeModel();
  }

  /**
   * The non-continual baseline: a fresh classifier trained on every stored training sample with the same
   * optimiser settings, evaluated on the held-out samples. Nothing is stored; the live model is untouched.
   */
  async fullRetrain(settings: LearnSettings): Promise<FullRetrainReport> {
    if (this.learning) throw new Error('A learning round is running');
    const resolved = resolveSettings(settings);
    const train = [...this.samples.values()].filter((s) => !s.heldOut && this.classes.has(s.classId));
    if (new Set(train.map((s) => s.classId)).size < 2) throw new Error('A full retrain needs samples of at least two classes');
    const dim = this.backbone.featureDim;
    const started = performance.now();
    const x = new Float32Array(train.length * dim);
    const y = new Int32Array(train.length);
    train.forEach((s, i) => {
      x.set(s.embedding, i * dim);
      y[i] = s.classId;
    });
    const labels = [...new Set(train.map((s) => s.classId))].sort((a, b) => a - b);
    const scratch = new InMemoryReplayMemory({ policy: 'reservoir', capacity: 1 });
    const model = this.engine.create(dim, resolved, 'fast', scratch);
    const iterations = resolved.epochs * Math.ceil(train.length / resolved.batchSize);
    try {
      await model.learnTask({ task: 0, x, y, classes: labels }, { iterations, progressEvery: Math.max(10, iterations) });
      const seconds = (performance.now() - started) / 1000;
      const { perClass } = await this.evaluate(model, [{ newLabels: labels }]);
      return {
        seconds,
        steps: iterations,
        samples: train.length,
        perClass: [...perClass].map(([id, e]) => ({ classId: String(id), correct: e.correct, total: e.total })),
      };
    } finally {
      model.dispose();
    }
  }

  /** Stops the running round (no-op when none). */
  cancelLearn(): void {
    this.learning?.abort();
  }

  // ---------------------------------------------------------------- prediction and metrics

  /** Class scores for one frame over the learned classes that still exist. */
  async predict(frame: ImageBitmap): Promise<Prediction> {
    try {
      this.frames.check(frame);
      await this.recovering;
      const t0 = performance.now();
      const model = this.model;
      if (!model || this.rounds.length === 0) return { scores: [], top: null, ms: 0 };
      const embedding = await this.embedFrame(frame);
      const probs = await model.predictProba(embedding, 1);
      const learned = this.learnedLabels();
      const live = [...this.classes.values()].filter((c) => learned.has(c.id) && c.id < probs.length);
      const total = live.reduce((a, c) => a + probs[c.id], 0);
      const scores = live
        .map((c) => ({ classId: String(c.id), name: c.name, p: total > 0 ? probs[c.id] / total : 1 / live.length }))
        .sort((a, b) => b.p - a.p);
      return { scores, top: scores[0]?.classId ?? null, ms: performance.now() - t0 };
    } finally {
      this.frames.release(frame);
    }
  }

  /** Accuracy matrix across rounds, per-class accuracy now, forgetting, loss history. */
  async metrics(): Promise<MetricsView> {
    const n = this.rounds.length;
    const matrix: (number | null)[][] = this.rounds.map((r) => {
      const row: (number | null)[] = new Array(n).fill(null);
      r.accuracyRow.forEach((v, j) => (row[j] = v));
      return row;
    });
    const heldByLabel = new Map<number, number>();
    for (const s of this.samples.values()) if (s.heldOut) heldByLabel.set(s.classId, (heldByLabel.get(s.classId) ?? 0) + 1);
    let perClassAcc = new Map<number, { correct: number; total: number }>();
    if (this.model && n > 0) perClassAcc = (await this.evaluate(this.model, this.rounds)).perClass;
    const perClass = [...this.classes.values()]
      .sort((a, b) => a.id - b.id)
      .map((c) => {
        const e = perClassAcc.get(c.id);
        return { classId: String(c.id), name: c.name, accuracy: e && e.total > 0 ? e.correct / e.total : null, heldOut: heldByLabel.get(c.id) ?? 0 };
      });
    let avg: number | null = null;
    let forget: number | null = null;
    if (n > 0 && matrix[n - 1].some((v) => v !== null)) {
      const value = averageAccuracy(matrix);
      avg = Number.isFinite(value) ? value : null;
      if (n > 1) {
        const f = forgetting(matrix);
        forget = Number.isFinite(f) ? f : null;
      }
    }
    return {
      rounds: n,
      taskNames: this.rounds.map((r) => r.name),
      accuracyMatrix: matrix,
      perClass,
      averageAccuracy: avg,
      forgetting: forget,
      lossHistory: this.rounds.flatMap((r) => r.losses),
    };
  }

  /** Storage used by the origin and by this project. */
  async storage(): Promise<StorageInfo> {
    const report = await this.store.storageEstimate();
    const dim = this.backbone.featureDim;
    return {
      usage: report.usage ?? 0,
      quota: report.quota ?? 0,
      persisted: report.persisted ?? false,
      samples: this.samples.size,
      memoryBudget: this.memory.capacity,
      // Embedding + stored logits + a ~96 px thumbnail (~3 KB) + row overhead.
      bytesPerSample: dim * 4 + Math.max(1, this.model?.numOutputs ?? 1) * 4 + 3500,
    };
  }

  // ---------------------------------------------------------------- export, reset, device loss

  /** The classifier as a tfjs layers model; class names by output column. */
  async exportModel(): Promise<{ modelJson: string; weights: ArrayBuffer; classes: string[] }> {
    if (!this.model || this.rounds.length === 0) throw new Error('There is no model yet: teach at least one class first');
    const { modelJson, weightData } = await this.engine.exportModel(this.model);
    const classes = Array.from({ length: this.model.numOutputs }, (_, j) => this.classes.get(j)?.name ?? `(deleted class ${j})`);
    return { modelJson: JSON.stringify(modelJson), weights: weightData, classes };
  }

  /** The whole project as one Retain project file (src/memory's format: checksummed sections). */
  async exportProject(): Promise<ArrayBuffer> {
    if (this.learning) throw new Error('Wait for the learning round to finish before exporting');
    const bytes = encodeProject(await this.store.readAll());
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /**
   * Replaces the project by an exported one. The file is decoded and checked (format, checksums, and that its
   * model restores on this backbone) before anything is written; on any refusal the current project is unchanged.
   */
  async importProject(file: ArrayBuffer): Promise<void> {
    if (this.learning) throw new Error('Wait for the learning round to finish before importing');
    if (!(file instanceof ArrayBuffer)) throw new AppError('import-refused', 'The project file must be given as bytes (ArrayBuffer)');
    let rows: ReturnType<typeof decodeProject>;
    try {
      rows = decodeProject(file);
    } catch (error) {
      if (error instanceof ImportError) throw new AppError('import-refused', `This file cannot be imported: ${error.message}`);
      throw new AppError('import-refused', `This file cannot be imported: ${(error as Error).message}`);
    }
    const dim = this.backbone.featureDim;
    for (const s of rows.samples) {
      if (s.embedding.length !== dim)
        throw new AppError('import-refused', `This project was made with another image model (features of width ${s.embedding.length}, this app uses ${dim})`);
    }
    const latest = [...rows.checkpoints].sort((a, b) => b.round - a.round)[0];
    if (latest) {
      const strategy = latest.strategy as CheckpointStrategy | null;
      if (!strategy?.settings || !strategy.preset)
        throw new AppError('import-refused', 'This project file has a model without its learning settings: it was not made by this app');
      // Prove the model restores before touching storage.
      const scratch = new InMemoryReplayMemory({ policy: strategy.settings.bufferPolicy, capacity: strategy.settings.memoryBudget });
      try {
        this.engine.restore(latest.engineState, strategy.settings, strategy.preset, scratch).dispose();
      } catch (error) {
        throw new AppError('import-refused', `The model in this file cannot be restored: ${(error as Error).message}`);
      }
    }
    this.disposeModel();
    try {
      await this.store.replaceAll(rows);
    } catch (error) {
      // The transaction was aborted: the old project is intact; restore the live model from it.
      await this.reloadFromStore();
      throw storageError(error, 'import the project');
    }
    await this.reloadFromStore();
  }

  /** Re-reads everything from the store (after an import). */
  private async reloadFromStore(): Promise<void> {
    this.store.close();
    await this.open();
    this.emitClasses();
  }

  /** Deletes every class, sample and the model. */
  async reset(): Promise<void> {
    this.learning?.abort();
    await this.round?.catch(() => undefined);
    await this.captureQueue;
    this.disposeModel();
    this.store.close();
    try {
      await this.deleteStore();
    } catch (error) {
      throw storageError(error, 'reset the project');
    } finally {
      await this.open();
    }
    this.emitClasses();
  }

  /** tfjs memory counters (leak checks). */
  memoryInfo(): { numTensors: number; numBytes: number; numBytesInGPU?: number } {
    const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    return { numTensors: m.numTensors, numBytes: m.numBytes, numBytesInGPU: m.numBytesInGPU };
  }

  /**
   * Moves to another backend after the GPU device was lost: any running round fails with 'device-lost'
   * (nothing stored), the backbone is reloaded and the learner restored from the last committed state.
   */
  async switchBackend(replace: () => Promise<{ backend: BackendChoice; backbone: FeatureExtractor }>): Promise<void> {
    if (this.recovering) return this.recovering;
    this.learning?.abort(
      new AppError('device-lost', 'The GPU stopped working during learning. The app switched backend; the round was not saved: start it again.'),
    );
    this.recovering = (async () => {
      this.disposeModel();
      try {
        this.backbone.dispose();
      } catch {
        // The old backend's buffers may already be gone with the device.
      }
      const next = await replace();
      this.backend = next.backend;
      this.backbone = next.backbone;
      await this.memory.reload();
      if (this.committedEngine && this.settings) this.restoreModel(this.preset, this.settings);
    })();
    try {
      await this.recovering;
    } finally {
      this.recovering = null;
    }
    this.emit({ type: 'backend', backend: this.backend.backend, note: this.backend.note });
  }
}

/** What decides whether the live learner can be reused for a round (else it is rebuilt from the checkpoint). */
function modelKey(preset: Preset, s: AdvancedSettings, tuning: RoundTuning): string {
  const { epochs: _epochs, laterEpochs: _laterEpochs, ...rest } = s;
  return `${preset}:${JSON.stringify(rest)}:${JSON.stringify(tuning)}`;
}
