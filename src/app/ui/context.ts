/** What every panel gets: the client, the shared state, the notices, the camera and an event bus. */
import type { LearnerClient } from '../client';
import type { Camera } from './camera';
import type { Notices } from './notices';
import type { Store } from './store';

/** Events panels send each other. */
export interface UiEvents {
  /** Samples of a class were added or deleted (thumbnails, counts and storage need a refresh). */
  'samples-changed': { classId: string };
  /** A round finished (or the project was imported/reset): metrics and storage need a refresh. */
  'project-changed': Record<string, never>;
  /** Learning progress, for the loss chart. */
  progress: { step: number; totalSteps: number; losses: Record<string, number> };
}

/** A typed event bus on top of EventTarget. */
export class Bus {
  private target = new EventTarget();

  /** Sends an event to every listener. */
  emit<K extends keyof UiEvents>(type: K, detail: UiEvents[K]): void {
    this.target.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Listens to an event; returns an unsubscribe function. */
  on<K extends keyof UiEvents>(type: K, cb: (detail: UiEvents[K]) => void): () => void {
    const listener = (e: Event) => cb((e as CustomEvent<UiEvents[K]>).detail);
    this.target.addEventListener(type, listener);
    return () => this.target.removeEventListener(type, listener);
  }
}

/** Shared services of the screens. */
export interface UiContext {
  client: LearnerClient;
  store: Store;
  notices: Notices;
  camera: Camera;
  bus: Bus;
  /** Re-reads the status (classes, rounds, backend) from the worker. */
  refreshStatus(): Promise<void>;
}
