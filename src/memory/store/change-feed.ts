/** Tells the other tabs of a project that it changed (a BroadcastChannel per database), and hears theirs. */

/** What kind of write another tab made (its listeners choose how much to re-read). */
export type ProjectChangeKind = 'round' | 'samples' | 'classes' | 'memory' | 'import' | 'reset';

/** One change announced by a tab. */
export interface ProjectChange {
  kind: ProjectChangeKind;
  /** The project's committed round after the change, when the writer knows it. */
  round?: number;
  /** The sending store's id (a tab never reacts to its own messages). */
  from: string;
}

/** The channel name of a project database. */
export function changeChannelName(dbName: string): string {
  return `retain-project:${dbName}`;
}

/** A random id for one store instance. */
function instanceId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Whether a message is a well-formed change from another store. */
function isChange(data: unknown, self: string): data is ProjectChange {
  const d = data as Partial<ProjectChange> | null;
  return !!d && typeof d.kind === 'string' && typeof d.from === 'string' && d.from !== self;
}

/**
 * One store's end of its project's BroadcastChannel. Where BroadcastChannel is absent it does nothing (a tab
 * alone has nobody to tell). Node's channel is unref'd so an open store never keeps a process alive.
 */
export class ChangeFeed {
  /** This store's id in the messages it sends. */
  readonly id = instanceId();
  private readonly channel: BroadcastChannel | null;
  private readonly listeners = new Set<(change: ProjectChange) => void>();

  constructor(dbName: string) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(changeChannelName(dbName)) : null;
    (this.channel as { unref?: () => void } | null)?.unref?.();
    this.channel?.addEventListener('message', (event: MessageEvent) => {
      if (!isChange(event.data, this.id)) return;
      for (const listener of this.listeners) listener(event.data);
    });
  }

  /** Tells the other tabs (never throws: a closed channel just means nobody listens). */
  post(kind: ProjectChangeKind, round?: number): void {
    try {
      this.channel?.postMessage({ kind, round, from: this.id } satisfies ProjectChange);
    } catch {
      // Closed: nothing to tell.
    }
  }

  /** Calls `listener` with each change another tab announces; returns the unsubscribe function. */
  on(listener: (change: ProjectChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops sending and hearing. */
  close(): void {
    this.listeners.clear();
    this.channel?.close();
  }
}
