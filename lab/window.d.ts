/** What lab/platform.html exposes to the platform's browser tests and the app benchmark. */
import type { LearnerClient } from '../../src/app/client';
import type { applyUpdate, onUpdateReady } from '../../src/app/platform/update';

declare global {
  interface Window {
    retainLab: {
      LearnerClient: typeof LearnerClient;
      /** A synthetic scene of class `kind` (distinct hue, shapes, stripes), varied by `seed`. */
      makeScene(kind: number, seed: number, size?: number): Promise<ImageBitmap>;
      onUpdateReady: typeof onUpdateReady;
      applyUpdate: typeof applyUpdate;
      swRegistered: Promise<boolean>;
    };
  }
}

export {};
