/**
 * The project as the worker keeps it: classes, samples (embedding + thumbnail), the model's committed state and
 * the per-round metrics, behind `ProjectRepo` so the storage (IndexedDB through src/memory's ProjectStore, or RAM)
 * is swappable. No tfjs here.
 */
import type { EngineState, MemorySample } from '../../memory/types';
import type { ReplayMemoryState } from '../../memory/replay-memory';
import type { AdvancedSettings, Preset } from '../protocol';

/** A class the user teaches, with the head column (label) it owns for good. */
export interface StoredClass {
  id: string;
  name: string;
  colour: string;
  /** Global class index = column of the classifier head. Never reused, even after the class is deleted. */
  label: number;
  created: number;
  /** Samples captured so far (drives the every-5th hold-out), never decremented. */
  captured: number;
}

/** One sample: the backbone's embedding (what the head trains on) and a thumbnail (what the user sees). */
export interface StoredSample {
  id: string;
  classId: string;
  label: number;
  embedding: Float32Array;
  thumbnail: ArrayBuffer;
  thumbnailType: string;
  heldOut: boolean;
  source: string;
  created: number;
  /** The round that trained on it (0-based), or null while pending / for held-out samples. */
  round: number | null;
}

/** What one committed round measured. */
export interface RoundRecord {
  round: number;
  preset: Preset;
  /** Labels introduced (first trained) in this round: the round's "task" in the accuracy matrix. */
  newLabels: number[];
  /** Names of those classes when the round ran. */
  name: string;
  /** Accuracy on each round's classes (0..round), on held-out samples; null where none. */
  accuracyRow: (number | null)[];
  /** Total loss at each progress event. */
  losses: number[];
  seconds: number;
  steps: number;
}

/** Project-wide settings and counters. */
export interface ProjectMeta {
  format: 'retain-app-project';
  version: 1;
  created: number;
  rounds: number;
  preset: Preset;
  nextLabel: number;
  /** Settings of the last round (the hidden width and the memory are fixed by the first round). */
  settings: AdvancedSettings | null;
}

/** The committed state of the learner: its engine state and its replay memory. */
export interface CommittedModel {
  engine: EngineState;
  replay: { samples: MemorySample[]; state: ReplayMemoryState } | null;
}

/** Everything a project holds. */
export interface ProjectSnapshot {
  meta: ProjectMeta;
  classes: StoredClass[];
  samples: StoredSample[];
  rounds: RoundRecord[];
  model: CommittedModel | null;
}

/** The atomic outcome of a round. */
export interface RoundCommit {
  meta: ProjectMeta;
  model: CommittedModel;
  round: RoundRecord;
  /** Samples this round trained on (their `round` is set). */
  trainedSampleIds: string[];
}

/** Storage of one project. Every method is atomic: it either fully happens or changes nothing. */
export interface ProjectRepo {
  /** Reads the whole project (an empty one when new). */
  load(): Promise<ProjectSnapshot>;
  putClass(c: StoredClass): Promise<void>;
  /** Deletes a class and all its samples. */
  deleteClass(id: string): Promise<void>;
  /** Stores a new sample and its class's updated counter together. */
  addSample(s: StoredSample, c: StoredClass): Promise<void>;
  deleteSample(id: string): Promise<void>;
  putMeta(meta: ProjectMeta): Promise<void>;
  /** Commits a round: model + replay memory + metrics + trained marks in one transaction. */
  commitRound(commit: RoundCommit): Promise<void>;
  /** Replaces the whole project (import) in one transaction. */
  replaceAll(snapshot: ProjectSnapshot): Promise<void>;
  /** Deletes everything. */
  clear(): Promise<void>;
  close(): void;
}

/** A new, empty project's meta. */
export function emptyMeta(): ProjectMeta {
  return { format: 'retain-app-project', version: 1, created: Date.now(), rounds: 0, preset: 'balanced', nextLabel: 0, settings: null };
}

/** Deep copy of what the repo hands out, so callers cannot mutate the stored state. */
function copy<T>(value: T): T {
  return structuredClone(value);
}

/** A project held in RAM only (used when IndexedDB is unavailable, e.g. a private window, and by tests). */
export class MemoryProjectRepo implements ProjectRepo {
  private snapshot: ProjectSnapshot = { meta: emptyMeta(), classes: [], samples: [], rounds: [], model: null };

  async load(): Promise<ProjectSnapshot> {
    return copy(this.snapshot);
  }

  async putClass(c: StoredClass): Promise<void> {
    const i = this.snapshot.classes.findIndex((k) => k.id === c.id);
    if (i >= 0) this.snapshot.classes[i] = copy(c);
    else this.snapshot.classes.push(copy(c));
  }

  async deleteClass(id: string): Promise<void> {
    this.snapshot.classes = this.snapshot.classes.filter((c) => c.id !== id);
    this.snapshot.samples = this.snapshot.samples.filter((s) => s.classId !== id);
  }

  async addSample(s: StoredSample, c: StoredClass): Promise<void> {
    this.snapshot.samples.push(copy(s));
    await this.putClass(c);
  }

  async deleteSample(id: string): Promise<void> {
    this.snapshot.samples = this.snapshot.samples.filter((s) => s.id !== id);
  }

  async putMeta(meta: ProjectMeta): Promise<void> {
    this.snapshot.meta = copy(meta);
  }

  async commitRound(commit: RoundCommit): Promise<void> {
    const trained = new Set(commit.trainedSampleIds);
    this.snapshot.meta = copy(commit.meta);
    this.snapshot.model = copy(commit.model);
    this.snapshot.rounds.push(copy(commit.round));
    for (const s of this.snapshot.samples) if (trained.has(s.id)) s.round = commit.round.round;
  }

  async replaceAll(snapshot: ProjectSnapshot): Promise<void> {
    this.snapshot = copy(snapshot);
  }

  async clear(): Promise<void> {
    this.snapshot = { meta: emptyMeta(), classes: [], samples: [], rounds: [], model: null };
  }

  close(): void {}
}
