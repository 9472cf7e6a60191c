/**
 * Keeps one tab's learner in step with the other tabs of its project: after another tab's write it re-reads the
 * project (once the tab is idle: a running round is checked at its commit instead), after another tab's reset it
 * reopens the fresh project, after another tab's upgrade it says this tab must be reloaded; and it tells the UI.
 */
import type { OtherTabEvent, ProjectStore } from '../../memory/store/project-store';
import { t } from '../i18n';
import type { AppEvent, ProjectReloadCause } from '../protocol';

/** What the sync needs from the service. */
export interface TabSyncHost {
  /** True while a round runs (the sync waits for it to end). */
  busy(): boolean;
  /** Re-reads (or reopens) the project from storage. */
  reload(): Promise<void>;
  emit(event: AppEvent): void;
}

/** How long to wait for more changes before re-reading (a burst of captures in another tab is read once), ms. */
const SETTLE_MS = 150;
/** How often to look again while this tab is busy, ms. */
const BUSY_RETRY_MS = 500;

/** Priority of the causes: a pending re-read reports the most significant change it covers. */
const WEIGHT: Record<ProjectReloadCause, number> = { 'other-tab-edit': 0, 'other-tab-round': 1, 'other-tab-reset': 2, 'other-tab-upgrade': 3 };

/** Watches a project's stores for other tabs' changes and re-reads the project when they come. */
export class TabSync {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pending: ProjectReloadCause | null = null;
  private stopWatching: (() => void) | null = null;

  constructor(private readonly host: TabSyncHost) {}

  /** Listens to `store` (the service's current one; a reopened store is watched anew). */
  watch(store: ProjectStore): void {
    this.stopWatching?.();
    this.stopWatching = store.onOtherTab((event) => this.heard(event));
  }

  /** Stops listening and drops a pending re-read. */
  dispose(): void {
    this.stopWatching?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private heard(event: OtherTabEvent): void {
    if (event.type === 'closed' && event.reason === 'upgrade') {
      // A newer Retain took the database: this tab's code cannot open it any more.
      this.host.emit({ type: 'project-reloaded', cause: 'other-tab-upgrade' });
      return;
    }
    const cause: ProjectReloadCause =
      event.type === 'closed' || event.change.kind === 'reset'
        ? 'other-tab-reset'
        : event.change.kind === 'round' || event.change.kind === 'import'
          ? 'other-tab-round'
          : 'other-tab-edit';
    if (!this.pending || WEIGHT[cause] > WEIGHT[this.pending]) this.pending = cause;
    this.schedule(SETTLE_MS);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
  }

  private async run(): Promise<void> {
    this.timer = null;
    const cause = this.pending;
    if (!cause) return;
    if (this.host.busy()) return this.schedule(BUSY_RETRY_MS);
    this.pending = null;
    try {
      await this.host.reload();
      this.host.emit({ type: 'project-reloaded', cause });
    } catch (error) {
      this.host.emit({ type: 'error', code: 'internal', message: t('worker.otherTabReloadFailed', { reason: (error as Error)?.message ?? String(error) }) });
    }
  }
}
