/** Opening a project as the app does at start: its view, its replay memory and its model restored from the last commit. */
import type { IdbReplayMemory } from '../../memory/store/idb-replay-memory';
import type { ProjectStore } from '../../memory/store/project-store';
import type { LiveModel } from './live-model';
import { ProjectView } from './project-view';
import { PRESET_DEFAULTS } from './settings';

/** A project opened for use: what the service keeps in RAM. */
export interface OpenedProject {
  view: ProjectView;
  memory: IdbReplayMemory;
}

/** Rebuilds `live` from the view's last committed state with its own settings (nothing before the first round). */
export function restoreCommitted(view: ProjectView, memory: IdbReplayMemory, live: LiveModel): void {
  const { engineState, settings, preset } = view.committed;
  if (engineState && settings) live.restore(engineState, memory, preset, settings);
}

/**
 * Reads the project in `store` (classes, samples, committed state), loads its replay memory with the committed
 * settings (Balanced's before the first round) and restores its model into `live`. The service runs this at
 * start and the staged import (staged-import.ts) runs it on an imported project before making it current.
 */
export async function openProject(store: ProjectStore, live: LiveModel): Promise<OpenedProject> {
  const view = await ProjectView.load(store);
  const memSettings = view.committed.settings ?? PRESET_DEFAULTS.balanced;
  const memory = await store.openReplayMemory({
    policy: memSettings.bufferPolicy,
    capacity: memSettings.memoryBudget,
    writeMode: 'deferred',
  });
  restoreCommitted(view, memory, live);
  return { view, memory };
}
