/**
 * The learner service: everything the worker answers, independent of the message plumbing. It owns the project
 * (through a `ProjectRepo`), the backbone and the continual learner (through `Engine`), and keeps the in-RAM view
 * consistent with what is stored: every change is written first and applied to RAM only once the write succeeded.
 */
import * as tf from '@tensorflow/tfjs';
import { InMemoryReplayMemory } from '../../memory/replay-memory';
import type { EngineState, MemorySample } from '../../memory/types';
import { averageAccuracy, forgetting } from '../../metrics';
import type { TaskData, TrainOptions } from '../../cl/types';
import {
  AppError,
  type AdvancedSettings,
  type AppEvent,
  type AppStatus,
  type ClassInfo,
  type LearnSettings,
  type MetricsView,
  type Prediction,
  type Preset,
  type RoundReport,
  type SampleInfo,
  type StorageInfo,
} from '../protocol';
import type { Backbone } from '../platform/backbone';
import type { BackendChoice } from '../platform/backend';
import { checkFrame, frameThumbnail, framePixels } from './frames';
import type { CommittedModel, ProjectMeta, ProjectRepo, ProjectSnapshot, RoundRecord, StoredClass, StoredSample } from './project';
import { resolveSettings } from './settings';

/** What the service needs of a continual learner (src/cl's `Learner`). */
export interface EngineModel {
  readonly numOutputs: number;
  learnTask(task: TaskData, options: TrainOptions): Promise<unknown>;
  predictProba(x: Float32Array, n: number): Promise<Float32Array>;
  exportState(): Promise<EngineState>;
  dispose(): void;
}

/** Builds learners; the composition root binds it to src/cl. */
export interface Engine {
  /** A new learner on `inputDim`-wide embeddings with the preset's strategies. */
  create(inputDim: number, settings: AdvancedSettings, preset: Preset, memory: InMemoryReplayMemory): EngineModel;
  /** A learner resumed from a committed state, with the strategies of `preset`. */
  restore(state: EngineState, settings: AdvancedSettings, preset: Preset, memory: InMemoryReplayMemory): EngineModel;
  /** True when the preset's strategies store samples in the replay memory themselves. */
  storesInMemory(preset: Preset): boolean;
  /** The classifier as a tfjs layers model. */
  exportModel(model: EngineModel): Promise<{ modelJson: object; weightData: ArrayBuffer }>;
}

/** The platform pieces the service runs on. */
export interface ServiceDeps {
  repo: ProjectRepo;
  backbone: Backbone;
  backend: BackendChoice;
  engine: Engine;
  emit: (event: AppEvent) => void;
}

const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#469990', '#9a6324', '#800000', '#000075'];
/** Every 5th captured sample of a class is held out for measuring accuracy. */
const HOLD_OUT_EVERY = 5;
const MAX_NAME = 60;

function newId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** Deterministic RNG for the replay memory's own bookkeeping (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Recognises a quota error from IndexedDB or the memory layer. */
export function isQuotaError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string } | null;
  return !!e && (e.name === 'QuotaExceededError' || e.code === 'storage-full' || /quota/i.test(e.message ?? ''));
}

/** Wraps storage failures as typed, user-readable errors. */
function storageError(error: unknown, what: string): Error {
  if (isQuotaError(error))
    return new AppError('storage-full', `Storage is full: could not ${what}. Delete samples or classes, or export and reset the project.`);
  if (error instanceof AppError) return error;
  return new AppError('internal', `Could not ${what}: ${(error as Error)?.message ?? String(error)}`);
}

/** The learner service. */
export class LearnerService {
  private repo: ProjectRepo;
  private backbone: Backbone;
  private backend: BackendChoice;
  private readonly engine: Engine;
  private readonly emit: (event: AppEvent) => void;

  private meta!: ProjectMeta;
  private classes = new Map<string, StoredClass>();
  private samples = new Map<string, StoredSample>();
  private rounds: RoundRecord[] = [];
  private committed: CommittedModel | null = null;
  private model: EngineModel | null = null;
  private memory: InMemoryReplayMemory | null = null;
  private modelPreset: Preset | null = null;
  private learning: AbortController | null = null;
  private lossHistory: number[] = [];
  /** Set while the backend is being replaced: calls wait for it. */
  private recovering: Promise<void> | null = null;

  constructor(deps: ServiceDeps) {
    this.repo = deps.repo;
    this.backbone = deps.backbone;
    this.backend = deps.backend;
    this.engine = deps.engine;
    this.emit = deps.emit;
  }

  /** Loads the stored project and restores the learner exactly as committed. */
  async open(): Promise<void> {
    this.applySnapshot(await this.repo.load());
  }

  private applySnapshot(snapshot: ProjectSnapshot): void {
    this.disposeModel();
    this.meta = snapshot.meta;
    this.classes = new Map(snapshot.classes.map((c) => [c.id, c]));
    this.samples = new Map(snapshot.samples.map((s) => [s.id, s]));
    this.rounds = snapshot.rounds;
    this.lossHistory = snapshot.rounds.flatMap((r) => r.losses);
    this.committed = snapshot.model;
    if (this.committed && this.meta.settings) this.restoreModel(this.meta.preset);
  }

  /** Rebuilds the learner and its memory from the last committed state (restart, cancel, device loss). */
  private restoreModel(preset: Preset): void {
    this.disposeModel();
    if (!this.committed || !this.meta.settings) return;
    const settings = this.meta.settings;
    const memory = new InMemoryReplayMemory({ policy: settings.bufferPolicy, capacity: settings.memoryBudget });
    if (this.committed.replay) memory.restore(this.committed.replay.samples, this.committed.replay.state);
    this.memory = memory;
    this.model = this.engine.restore(this.committed.engine, settings, preset, memory);
    this.modelPreset = preset;
  }

  private disposeModel(): void {
    this.model?.dispose();
    this.model = null;
    this.memory = null;
    this.modelPreset = null;
  }

  /** Frees everything (worker shutdown). */
  dispose(): void {
    this.learning?.abort();
    this.disposeModel();
    this.backbone.dispose();
    this.repo.close();
  }

  // ---------------------------------------------------------------- status and classes

  private classInfo(c: StoredClass): ClassInfo {
    let count = 0;
    for (const s of this.samples.values()) if (s.classId === c.id) count++;
    const learned = this.rounds.some((r) => r.newLabels.includes(c.label));
    return { id: c.id, name: c.name, colour: c.colour, sampleCount: count, learned };
  }

  private classList(): ClassInfo[] {
    return [...this.classes.values()].sort((a, b) => a.created - b.created).map((c) => this.classInfo(c));
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
      rounds: this.meta.rounds,
      preset: this.meta.preset,
    };
  }

  private checkName(name: unknown, exceptId?: string): string {
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

  private getClass(id: string): StoredClass {
    const c = this.classes.get(id);
    if (!c) throw new Error(`No class with id ${id} (it may have been deleted)`);
    return c;
  }

  /** Creates a class; its head column is reserved now and never reused. */
  async addClass(name: string): Promise<ClassInfo> {
    const clean = this.checkName(name);
    const label = this.meta.nextLabel;
    const c: StoredClass = {
      id: newId('class'),
      name: clean,
      colour: COLOURS[label % COLOURS.length],
      label,
      created: Date.now(),
      captured: 0,
    };
    const meta = { ...this.meta, nextLabel: label + 1 };
    try {
      await this.repo.putClass(c);
      await this.repo.putMeta(meta);
    } catch (error) {
      throw storageError(error, 'add the class');
    }
    this.classes.set(c.id, c);
    this.meta = meta;
    this.emitClasses();
    return this.classInfo(c);
  }

  /** Renames a class. */
  async renameClass(id: string, name: string): Promise<void> {
    const c = this.getClass(id);
    const updated = { ...c, name: this.checkName(name, id) };
    try {
      await this.repo.putClass(updated);
    } catch (error) {
      throw storageError(error, 'rename the class');
    }
    this.classes.set(id, updated);
    this.emitClasses();
  }

  /** Deletes a class and its samples; its column is no longer predicted. */
  async deleteClass(id: string): Promise<void> {
    this.getClass(id);
    if (this.learning) throw new Error('Wait for the learning round to finish (or cancel it) before deleting a class');
    try {
      await this.repo.deleteClass(id);
    } catch (error) {
      throw storageError(error, 'delete the class');
    }
    this.classes.delete(id);
    for (const [sid, s] of this.samples) if (s.classId === id) this.samples.delete(sid);
    this.emitClasses();
  }

  // ---------------------------------------------------------------- samples

  private sampleInfo(s: StoredSample): SampleInfo {
    return {
      id: s.id,
      classId: s.classId,
      thumbnail: s.thumbnail.slice(0),
      thumbnailType: s.thumbnailType,
      heldOut: s.heldOut,
      source: s.source,
      created: s.created,
    };
  }

  /** Embeds a frame with the backbone: the centre square at the backbone's input size. */
  private async embedFrame(frame: ImageBitmap): Promise<Float32Array> {
    const { rgba } = framePixels(frame, this.backbone.config.inputSize);
    return this.backbone.embedRgba([rgba]);
  }

  /** Embeds and stores one frame; every 5th sample of a class is held out for measuring accuracy. */
  async addSample(classId: string, frame: ImageBitmap, source: 'camera' | 'file'): Promise<SampleInfo> {
    try {
      const c = this.getClass(classId);
      if (source !== 'camera' && source !== 'file') throw new Error(`Unknown sample source "${source}"`);
      checkFrame(frame);
      await this.recovering;
      const [embedding, thumb] = await Promise.all([this.embedFrame(frame), frameThumbnail(frame)]);
      const current = this.getClass(classId); // may have been renamed meanwhile; deleted throws
      const heldOut = current.captured % HOLD_OUT_EVERY === HOLD_OUT_EVERY - 1;
      const sample: StoredSample = {
        id: newId('sample'),
        classId,
        label: c.label,
        embedding,
        thumbnail: thumb.bytes,
        thumbnailType: thumb.type,
        heldOut,
        source,
        created: Date.now(),
        round: null,
      };
      const updated = { ...current, captured: current.captured + 1 };
      try {
        await this.repo.addSample(sample, updated);
      } catch (error) {
        throw storageError(error, 'store the sample');
      }
      this.classes.set(classId, updated);
      this.samples.set(sample.id, sample);
      this.emitClasses();
      return this.sampleInfo(sample);
    } finally {
      if (frame instanceof ImageBitmap) frame.close();
    }
  }

  /** A class's samples, oldest first. */
  listSamples(classId: string): SampleInfo[] {
    this.getClass(classId);
    return [...this.samples.values()]
      .filter((s) => s.classId === classId)
      .sort((a, b) => a.created - b.created)
      .map((s) => this.sampleInfo(s));
  }

  /** Deletes one sample (the model keeps what it learned from it). */
  async deleteSample(id: string): Promise<void> {
    if (!this.samples.has(id)) throw new Error(`No sample with id ${id} (it may have been deleted)`);
    try {
      await this.repo.deleteSample(id);
    } catch (error) {
      throw storageError(error, 'delete the sample');
    }
    this.samples.delete(id);
    this.emitClasses();
  }

  // ---------------------------------------------------------------- learning

  /** Column -> class for the classes that still exist. */
  private columnClasses(): Map<number, StoredClass> {
    return new Map([...this.classes.values()].map((c) => [c.label, c]));
  }

  /** Argmax over the columns of existing classes, for n embeddings. */
  private async predictLabels(model: EngineModel, x: Float32Array, n: number): Promise<number[]> {
    if (n === 0) return [];
    const probs = await model.predictProba(x, n);
    const k = model.numOutputs;
    const live = this.columnClasses();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bestP = -Infinity;
      for (let j = 0; j < k; j++) {
        if (!live.has(j)) continue;
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
    const held = [...this.samples.values()].filter((s) => s.heldOut && trained.has(s.label) && s.label < model.numOutputs);
    const dim = this.backbone.featureDim;
    const x = new Float32Array(held.length * dim);
    held.forEach((s, i) => x.set(s.embedding, i * dim));
    const predicted = await this.predictLabels(model, x, held.length);
    const perClass = new Map<number, { correct: number; total: number }>();
    held.forEach((s, i) => {
      const e = perClass.get(s.label) ?? { correct: 0, total: 0 };
      e.total++;
      if (predicted[i] === s.label) e.correct++;
      perClass.set(s.label, e);
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
    const resolved = resolveSettings(settings);
    const pending = [...this.samples.values()].filter((s) => !s.heldOut && s.round === null);
    if (pending.length === 0) throw new Error('Nothing new to learn: add samples to a class first');
    const controller = new AbortController();
    this.learning = controller;
    const started = performance.now();
    try {
      return await this.runRound(settings.preset, resolved, pending, controller, started);
    } finally {
      this.learning = null;
    }
  }

  private async runRound(
    preset: Preset,
    requested: AdvancedSettings,
    pending: StoredSample[],
    controller: AbortController,
    started: number,
  ): Promise<RoundReport> {
    // The head's width and the memory are fixed by the first round; later rounds keep them.
    const settings: AdvancedSettings = this.meta.settings
      ? { ...requested, hidden: this.meta.settings.hidden, memoryBudget: this.meta.settings.memoryBudget, bufferPolicy: this.meta.settings.bufferPolicy }
      : requested;
    const roundIndex = this.meta.rounds;
    const dim = this.backbone.featureDim;

    if (!this.model || this.modelPreset !== preset || !this.memory) {
      if (this.committed) {
        this.meta = { ...this.meta, settings };
        this.restoreModel(preset);
      } else {
        this.disposeModel();
        this.memory = new InMemoryReplayMemory({ policy: settings.bufferPolicy, capacity: settings.memoryBudget });
        this.model = this.engine.create(dim, settings, preset, this.memory);
        this.modelPreset = preset;
      }
    }
    const model = this.model!;
    const memory = this.memory!;

    const x = new Float32Array(pending.length * dim);
    const y = new Int32Array(pending.length);
    pending.forEach((s, i) => {
      x.set(s.embedding, i * dim);
      y[i] = s.label;
    });
    const labels = [...new Set(pending.map((s) => s.label))].sort((a, b) => a - b);
    const learnedBefore = new Set(this.rounds.flatMap((r) => r.newLabels));
    const newLabels = labels.filter((l) => !learnedBefore.has(l));
    const stepsPerEpoch = Math.ceil(pending.length / settings.batchSize);
    const iterations = settings.epochs * stepsPerEpoch;
    const losses: number[] = [];
    let steps = 0;
    let finalLoss = NaN;

    try {
      await model.learnTask(
        { task: roundIndex, x, y, classes: labels },
        {
          iterations,
          signal: controller.signal,
          progressEvery: Math.max(1, Math.min(10, Math.floor(iterations / 20))),
          onProgress: (p) => {
            steps = p.step;
            finalLoss = p.losses.total ?? Object.values(p.losses).reduce((a, b) => a + b, 0);
            losses.push(finalLoss);
            this.emit({ type: 'progress', step: p.step, totalSteps: p.totalSteps, losses: p.losses });
          },
        },
      );
    } catch (error) {
      // Cancelled or failed mid-round: go back to the last committed model (or none), nothing is stored.
      const cancelled = controller.signal.aborted;
      if (controller.signal.reason instanceof AppError) throw controller.signal.reason; // device lost: switchBackend restores
      this.restoreOrDrop(preset);
      if (cancelled) {
        return { round: this.meta.rounds, seconds: (performance.now() - started) / 1000, steps, cancelled: true, finalLoss };
      }
      throw error instanceof AppError ? error : new AppError('internal', `Learning failed: ${(error as Error).message}`);
    }
    if (controller.signal.aborted) {
      if (controller.signal.reason instanceof AppError) throw controller.signal.reason;
      this.restoreOrDrop(preset);
      return { round: this.meta.rounds, seconds: (performance.now() - started) / 1000, steps, cancelled: true, finalLoss };
    }

    // Presets without replay still fill the memory, so a later replay round can rehearse these classes.
    if (!this.engine.storesInMemory(preset)) {
      const rng = seeded(0x5eed + roundIndex);
      await memory.add(pending.map((s): MemorySample => ({ x: s.embedding, label: s.label, task: roundIndex })), rng);
    }

    const roundsSoFar = [...this.rounds.map((r) => ({ newLabels: r.newLabels })), { newLabels }];
    const { row } = await this.evaluate(model, roundsSoFar);
    const names = newLabels.map((l) => [...this.classes.values()].find((c) => c.label === l)?.name ?? `class ${l}`);
    const seconds = (performance.now() - started) / 1000;
    const round: RoundRecord = {
      round: roundIndex,
      preset,
      newLabels,
      name: names.length ? names.join(', ') : `round ${roundIndex + 1} (more samples)`,
      accuracyRow: row,
      losses,
      seconds,
      steps: steps || iterations,
    };
    const engineState = await model.exportState();
    const committed: CommittedModel = {
      engine: engineState,
      replay: { samples: memory.all().map((s) => ({ ...s })), state: memory.exportState() },
    };
    const meta: ProjectMeta = { ...this.meta, rounds: roundIndex + 1, preset, settings };
    try {
      await this.repo.commitRound({ meta, model: committed, round, trainedSampleIds: pending.map((s) => s.id) });
    } catch (error) {
      this.restoreOrDrop(preset);
      throw storageError(error, 'save the learning round');
    }
    this.meta = meta;
    this.committed = committed;
    this.rounds.push(round);
    this.lossHistory.push(...losses);
    for (const s of pending) {
      const live = this.samples.get(s.id);
      if (live) live.round = roundIndex;
    }
    this.emitClasses();
    return { round: meta.rounds, seconds, steps: round.steps, cancelled: false, finalLoss };
  }

  /** After a failed or cancelled round: back to the committed model, or to no model at all. */
  private restoreOrDrop(preset: Preset): void {
    if (this.committed) this.restoreModel(preset);
    else this.disposeModel();
  }

  /** Stops the running round (no-op when none). */
  cancelLearn(): void {
    this.learning?.abort();
  }

  // ---------------------------------------------------------------- prediction and metrics

  /** Class scores for one frame over the learned classes that still exist. */
  async predict(frame: ImageBitmap): Promise<Prediction> {
    try {
      checkFrame(frame);
      await this.recovering;
      const t0 = performance.now();
      const model = this.model;
      if (!model) return { scores: [], top: null, ms: 0 };
      const embedding = await this.embedFrame(frame);
      const probs = await model.predictProba(embedding, 1);
      const learned = new Set(this.rounds.flatMap((r) => r.newLabels));
      const live = [...this.classes.values()].filter((c) => learned.has(c.label) && c.label < probs.length);
      const total = live.reduce((a, c) => a + probs[c.label], 0);
      const scores = live
        .map((c) => ({ classId: c.id, name: c.name, p: total > 0 ? probs[c.label] / total : 1 / live.length }))
        .sort((a, b) => b.p - a.p);
      return { scores, top: scores[0]?.classId ?? null, ms: performance.now() - t0 };
    } finally {
      if (frame instanceof ImageBitmap) frame.close();
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
    for (const s of this.samples.values()) if (s.heldOut) heldByLabel.set(s.label, (heldByLabel.get(s.label) ?? 0) + 1);
    let perClassAcc = new Map<number, { correct: number; total: number }>();
    if (this.model && n > 0) perClassAcc = (await this.evaluate(this.model, this.rounds)).perClass;
    const perClass = [...this.classes.values()]
      .sort((a, b) => a.created - b.created)
      .map((c) => {
        const e = perClassAcc.get(c.label);
        return { classId: c.id, name: c.name, accuracy: e && e.total > 0 ? e.correct / e.total : null, heldOut: heldByLabel.get(c.label) ?? 0 };
      });
    const hasValues = matrix.length > 0 && matrix[n - 1].some((v) => v !== null);
    let avg: number | null = null;
    let forget: number | null = null;
    if (hasValues) {
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
      lossHistory: [...this.lossHistory],
    };
  }

  /** Storage used by the origin and by this project. */
  async storage(): Promise<StorageInfo> {
    const estimate = (await navigator.storage?.estimate?.()) ?? {};
    const persisted = (await navigator.storage?.persisted?.()) ?? false;
    let bytes = 0;
    for (const s of this.samples.values()) bytes += s.embedding.byteLength + s.thumbnail.byteLength;
    const count = this.samples.size;
    return {
      usage: estimate.usage ?? 0,
      quota: estimate.quota ?? 0,
      persisted,
      samples: count,
      memoryBudget: this.meta.settings?.memoryBudget ?? resolveSettings({ preset: this.meta.preset }).memoryBudget,
      bytesPerSample: count ? Math.round(bytes / count) : this.backbone.featureDim * 4,
    };
  }

  // ---------------------------------------------------------------- export, reset, device loss

  /** The classifier as a tfjs layers model; class names by output column. */
  async exportModel(): Promise<{ modelJson: string; weights: ArrayBuffer; classes: string[] }> {
    if (!this.model) throw new Error('There is no model yet: teach at least one class first');
    const { modelJson, weightData } = await this.engine.exportModel(this.model);
    const byLabel = this.columnClasses();
    const classes = Array.from({ length: this.model.numOutputs }, (_, j) => byLabel.get(j)?.name ?? `(deleted class ${j})`);
    return { modelJson: JSON.stringify(modelJson), weights: weightData, classes };
  }

  /** The whole project, for export. */
  async snapshot(): Promise<ProjectSnapshot> {
    if (this.learning) throw new Error('Wait for the learning round to finish before exporting');
    return this.repo.load();
  }

  /** Replaces the project by an imported snapshot (already validated); the old one stays on any failure. */
  async replace(snapshot: ProjectSnapshot): Promise<void> {
    if (this.learning) throw new Error('Wait for the learning round to finish before importing');
    if (snapshot.model && snapshot.meta.settings) {
      // Prove the model restores before touching storage.
      const settings = snapshot.meta.settings;
      const memory = new InMemoryReplayMemory({ policy: settings.bufferPolicy, capacity: settings.memoryBudget });
      if (snapshot.model.replay) memory.restore(snapshot.model.replay.samples, snapshot.model.replay.state);
      this.engine.restore(snapshot.model.engine, settings, snapshot.meta.preset, memory).dispose();
    }
    try {
      await this.repo.replaceAll(snapshot);
    } catch (error) {
      throw storageError(error, 'import the project');
    }
    this.applySnapshot(snapshot);
    this.emitClasses();
  }

  /** Deletes every class, sample and the model. */
  async reset(): Promise<void> {
    this.learning?.abort();
    try {
      await this.repo.clear();
    } catch (error) {
      throw storageError(error, 'reset the project');
    }
    this.applySnapshot(await this.repo.load());
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
  async switchBackend(replace: () => Promise<{ backend: BackendChoice; backbone: Backbone }>): Promise<void> {
    if (this.recovering) return this.recovering;
    this.learning?.abort(
      new AppError('device-lost', 'The GPU stopped working during learning. The app switched backend; the round was not saved: start it again.'),
    );
    this.recovering = (async () => {
      const preset = this.modelPreset ?? this.meta.preset;
      this.disposeModel();
      try {
        this.backbone.dispose();
      } catch {
        // The old backend's buffers may already be gone with the device.
      }
      const next = await replace();
      this.backend = next.backend;
      this.backbone = next.backbone;
      if (this.committed) this.restoreModel(preset);
    })();
    try {
      await this.recovering;
    } finally {
      this.recovering = null;
    }
    this.emit({ type: 'backend', backend: this.backend.backend, note: this.backend.note });
  }
}
