/** The screens' shared state: one small observable object (no framework needed at this size). */
import type { AppStatus, ClassInfo, Preset } from '../client';

/** Everything more than one panel reads. */
export interface UiState {
  backend: string;
  backendNote: string;
  adapter: string | null;
  classes: ClassInfo[];
  /** The class hold-to-capture adds to. */
  selectedClassId: string | null;
  rounds: number;
  preset: Preset;
  /** A learning round is running (the worker is busy). */
  learning: boolean;
  /** Hold-to-capture is running. */
  capturing: boolean;
  /** An import, reset or file batch is running: other changes wait. */
  busy: string | null;
}

/** Observable state: `set` merges and notifies every subscriber synchronously. */
export class Store {
  private value: UiState;
  private listeners = new Set<(s: UiState, prev: UiState) => void>();

  constructor(status: AppStatus) {
    this.value = {
      backend: status.backend,
      backendNote: status.backendNote,
      adapter: status.adapter,
      classes: status.classes,
      selectedClassId: status.classes[0]?.id ?? null,
      rounds: status.rounds,
      preset: status.preset,
      learning: false,
      capturing: false,
      busy: null,
    };
  }

  /** The current state (do not mutate). */
  get state(): UiState {
    return this.value;
  }

  /** Merges `patch` and notifies. Keeps the selected class valid when the class list changes. */
  set(patch: Partial<UiState>): void {
    const prev = this.value;
    const next = { ...prev, ...patch };
    if (!next.classes.some((c) => c.id === next.selectedClassId)) {
      next.selectedClassId = next.classes[next.classes.length - 1]?.id ?? null;
    }
    this.value = next;
    this.listeners.forEach((cb) => cb(next, prev));
  }

  /** Calls `cb` now and on every change; returns an unsubscribe function. */
  subscribe(cb: (s: UiState, prev: UiState) => void): () => void {
    this.listeners.add(cb);
    cb(this.value, this.value);
    return () => this.listeners.delete(cb);
  }

  /** Applies a fresh status from the worker. */
  applyStatus(status: AppStatus): void {
    this.set({
      backend: status.backend,
      backendNote: status.backendNote,
      adapter: status.adapter,
      classes: status.classes,
      rounds: status.rounds,
      preset: status.preset,
    });
  }
}
