/** What the lab pages put on `window` for the browser tests and the benchmarks that drive them (one place for all). */
import type { LearnerClient } from '../src/app/client';
import type { applyUpdate, onUpdateReady } from '../src/app/platform/update';
import type { MemoryLab } from './memory';
import type { addSceneClass, median, openSetFigures, watchFrames } from './bench-page';

declare global {
  interface Window {
    /** lab/platform.html: the worker client, the update prompt and synthetic scenes (tests/e2e/pwa*.spec.ts, bench:app). */
    retainLab: {
      LearnerClient: typeof LearnerClient;
      /** A synthetic scene of class `kind` (distinct hue, shapes, stripes), varied by `seed`. */
      makeScene(kind: number, seed: number, size?: number): Promise<ImageBitmap>;
      onUpdateReady: typeof onUpdateReady;
      applyUpdate: typeof applyUpdate;
      swRegistered: Promise<boolean>;
      /** bench:app's page helpers (lab/bench-page.ts). */
      addSceneClass: typeof addSceneClass;
      watchFrames: typeof watchFrames;
      median: typeof median;
      openSetFigures: typeof openSetFigures;
    };
    /** lab/memory.html: the project store, replay memory and export/import on real IndexedDB (memory.spec.ts, bench:memory). */
    memoryLab: MemoryLab;
    /** lab/memory.html: timing breakdown of a replay-memory load (diagnostics for bench:memory). */
    memoryLoadBreakdown(name: string): Promise<Record<string, number>>;
    /** lab/memory.html: set true when the commit started by `memoryLab.startCommit()` has finished. */
    commitDone: boolean;
  }
}

export {};
