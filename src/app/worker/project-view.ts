/**
 * The service's in-RAM view of the stored project: classes, samples (embeddings, no thumbnails) and the committed
 * state. It is changed only after the matching write succeeded. Holds the class-name rule (src/memory/class-rules)
 * and the hold-out rule (every 5th captured picture of a class measures accuracy, never trains).
 */
import { checkNewClassName } from '../../memory/class-rules';
import type { ProjectStore } from '../../memory/store/project-store';
import type { ClassRecord, SampleRecord } from '../../memory/store/schema';
import { t } from '../i18n';
import type { ClassInfo } from '../protocol';
import { readCheckpoint, type CommittedState } from './checkpoint-format';
import { embeddingVariety } from './variety';

/** Every 5th captured sample of a class is held out for measuring accuracy. */
const HOLD_OUT_EVERY = 5;

/** Parses a class id from the UI (the store's integer id as a string). */
function classKey(id: unknown): number {
  const n = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`No class with id ${String(id)}`);
  return n;
}

/** Classes, samples and the committed state as last stored. */
export class ProjectView {
  /** Classes by id (the id is also the head's output column). */
  readonly classes = new Map<number, ClassRecord>();
  /** Stored samples without thumbnails (embeddings for rounds and evaluation), by id. */
  readonly samples = new Map<string, SampleRecord>();
  /** Each class's last variety and the ids of the pictures it was computed from (a sample's embedding never changes). */
  private readonly varietyByClass = new Map<number, { key: string; variety: number | undefined }>();

  private constructor(
    /** The committed model, its settings and the round history. */
    public committed: CommittedState,
  ) {}

  /** Reads the project's last committed state, classes and samples from the store. */
  static async load(store: ProjectStore): Promise<ProjectView> {
    const latest = await store.loadLatest();
    const view = new ProjectView(readCheckpoint(latest.checkpoint));
    for (const c of latest.classes) view.classes.set(c.id, c);
    for (const c of latest.classes) {
      for (const s of await store.listSamples(c.id, { withThumbnails: false })) {
        const { thumbnail: _thumbnail, ...row } = s;
        view.samples.set(s.id, row);
      }
    }
    return view;
  }

  /** Rounds committed so far. */
  get rounds(): CommittedState['rounds'] {
    return this.committed.rounds;
  }

  /** Every class id a committed round has trained on (deleted ones included). */
  learnedLabels(): Set<number> {
    return new Set(this.rounds.flatMap((r) => r.newLabels));
  }

  /** A class as the UI shows it. */
  classInfo(c: ClassRecord, learned = this.learnedLabels()): ClassInfo {
    let count = 0;
    let pending = 0;
    const embeddings: Float32Array[] = [];
    const ids: string[] = [];
    for (const s of this.samples.values()) {
      if (s.classId !== c.id) continue;
      count++;
      embeddings.push(s.embedding);
      ids.push(s.id);
      if (!s.heldOut && s.replay === 0) pending++;
    }
    // The variety reads every picture's embedding; the list is sent after every change (a round too), while a
    // class's pictures rarely change: it is computed again only when they did.
    const key = ids.join('|');
    const cached = this.varietyByClass.get(c.id);
    const variety = cached?.key === key ? cached.variety : embeddingVariety(embeddings);
    if (cached?.key !== key) this.varietyByClass.set(c.id, { key, variety });
    return {
      id: String(c.id),
      name: c.name,
      colour: c.colour,
      sampleCount: count,
      learned: learned.has(c.id),
      pending,
      ...(variety === undefined ? {} : { variety }),
    };
  }

  /** Every class as the UI shows it, by id. */
  classList(): ClassInfo[] {
    const learned = this.learnedLabels();
    return [...this.classes.values()].sort((a, b) => a.id - b.id).map((c) => this.classInfo(c, learned));
  }

  /** The class with the UI's id, or a message saying it does not exist. */
  getClass(id: string): ClassRecord {
    const c = this.classes.get(classKey(id));
    if (!c) throw new Error(t('worker.noClass', { id }));
    return c;
  }

  /** The trimmed name if it follows the class rules and no other class has it (`exceptId`: the one renamed). */
  checkName(name: unknown, exceptId?: number): string {
    return checkNewClassName(name, this.classes.values(), exceptId);
  }

  /** Forgets a deleted class and its samples. */
  removeClass(id: number): void {
    this.classes.delete(id);
    for (const [sid, s] of this.samples) if (s.classId === id) this.samples.delete(sid);
  }

  /** Samples of a class captured so far: trained in past rounds, pending and held out. */
  private capturedCount(label: number): number {
    let n = 0;
    for (const r of this.rounds) n += r.trainedPerLabel[String(label)] ?? 0;
    for (const s of this.samples.values()) if (s.classId === label && (s.heldOut || s.replay === 0)) n++;
    return n;
  }

  /** Whether the next picture captured for a class is held out (every HOLD_OUT_EVERY-th). */
  nextIsHeldOut(label: number): boolean {
    return this.capturedCount(label) % HOLD_OUT_EVERY === HOLD_OUT_EVERY - 1;
  }

  /** Samples of live classes not trained yet and not held out: what the next round learns. */
  pendingSamples(): SampleRecord[] {
    return [...this.samples.values()].filter((s) => !s.heldOut && s.replay === 0 && this.classes.has(s.classId));
  }

  /** Every stored training sample of a live class (pending and replay members). */
  trainingSamples(): SampleRecord[] {
    return [...this.samples.values()].filter((s) => !s.heldOut && this.classes.has(s.classId));
  }

  /** Held-out samples of the given labels whose column a model of `numOutputs` has. */
  heldOutSamples(labels: ReadonlySet<number>, numOutputs: number): SampleRecord[] {
    return [...this.samples.values()].filter((s) => s.heldOut && labels.has(s.classId) && s.classId < numOutputs);
  }

  /** Held-out sample count per class. */
  heldOutCounts(): Map<number, number> {
    const out = new Map<number, number>();
    for (const s of this.samples.values()) if (s.heldOut) out.set(s.classId, (out.get(s.classId) ?? 0) + 1);
    return out;
  }

  /**
   * Mirrors a committed round: trained samples the memory kept become members, the others are gone (they live
   * on in the weights), and members the memory evicted are gone too.
   */
  commitRound(committed: CommittedState, trained: readonly SampleRecord[], memory: { has(id: string): boolean }): void {
    this.committed = committed;
    for (const s of trained) {
      const live = this.samples.get(s.id);
      if (!live) continue;
      if (memory.has(s.id)) this.samples.set(s.id, { ...live, replay: 1 });
      else this.samples.delete(s.id);
    }
    for (const [id, s] of this.samples) if (s.replay === 1 && !memory.has(id)) this.samples.delete(id);
  }
}
