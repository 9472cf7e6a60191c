import type { ReplayMemory } from '../memory/types';
import type { StrategyConfig } from './types';

/** A named strategy preset for the app, with what it costs and what it keeps, in plain words. */
export interface StrategyPreset {
  label: string;
  /** One line for the user: time, storage, forgetting. */
  note: string;
  build(memory: ReplayMemory): StrategyConfig;
}

/** Replay of kept samples with distillation of their stored outputs, plus LwF: the base of the retaining presets. */
function rehearsal(memory: ReplayMemory): StrategyConfig {
  return {
    freeze: { train: 'all' },
    replay: { memory, batchSize: 32, weighting: 'inverse-task', distillStored: { alpha: 1, temperature: 2 } },
    lwf: { alpha: 1, temperature: 2 },
  };
}

/** The app's three presets: Fast (head only), Balanced (replay + LwF), Max retention (replay + LwF + EWC). */
export const strategyPresets = {
  fast: {
    label: 'Fast',
    note: 'Trains only the last layer on the new samples: quickest, stores nothing extra, but older classes fade.',
    build: (): StrategyConfig => ({ freeze: { train: 'head' } }),
  },
  balanced: {
    label: 'Balanced',
    note: 'Rehearses a bounded set of kept samples and copies the previous model’s answers: a little slower, keeps old classes well.',
    build: (memory: ReplayMemory): StrategyConfig => rehearsal(memory),
  },
  maxRetention: {
    label: 'Max retention',
    note: 'Adds a penalty on changing weights that mattered before: slowest and stores extra state, forgets least.',
    build: (memory: ReplayMemory): StrategyConfig => ({
      ...rehearsal(memory),
      ewc: { lambda: 100, mode: 'online', gamma: 0.9, fisher: 'true', fisherSamples: 200 },
    }),
  },
} satisfies Record<string, StrategyPreset>;
