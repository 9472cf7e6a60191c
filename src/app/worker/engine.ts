/** Binds the app's learning settings to the continual-learning engine (src/cl). */
import { Learner, exportLayersModel, strategyPresets } from '../../cl';
import type { LearnerConfig, StrategyConfig } from '../../cl/types';
import type { EngineState, ReplayMemory } from '../../memory/types';
import type { AdvancedSettings, Preset } from '../protocol';
import type { Engine, EngineModel } from './service';

/** Per-round tuning the service derives from the project (not a user setting). */
export interface RoundTuning {
  /**
   * Weight r of the replay loss, (1 - r) L_new + r L_replay. The app uses the share of already-learned classes
   * among all classes, so every class weighs the same in the loss whatever the round (a new class alone must
   * not outweigh nine old ones). Absent: the preset's 'inverse-task' weighting.
   */
  replayWeight?: number;
}

/** The preset's strategies with the user's tuned values. */
export function strategiesFor(preset: Preset, settings: AdvancedSettings, memory: ReplayMemory, tuning: RoundTuning = {}): StrategyConfig {
  const base =
    preset === 'fast'
      ? strategyPresets.fast.build()
      : preset === 'balanced'
        ? strategyPresets.balanced.build(memory)
        : strategyPresets.maxRetention.build(memory);
  const out: StrategyConfig = { ...base };
  if (base.replay) {
    out.replay = {
      ...base.replay,
      batchSize: settings.replayPerBatch,
      // The app offers each round's samples to the memory itself, under their stored ids (so their thumbnails
      // stay) and with logits: the plugin only replays and refreshes stored logits.
      storePerClass: 0,
      ...(tuning.replayWeight !== undefined ? { weighting: tuning.replayWeight } : {}),
      distillStored: base.replay.distillStored
        ? { alpha: base.replay.distillStored.alpha, temperature: settings.lwfTemperature }
        : undefined,
    };
  }
  if (base.lwf) out.lwf = { alpha: settings.lwfAlpha, temperature: settings.lwfTemperature };
  if (base.ewc) out.ewc = { ...base.ewc, lambda: settings.ewcLambda, mode: settings.ewcMode, gamma: settings.ewcGamma };
  return out;
}

/** The learner's configuration for the app: class-incremental head on the backbone's embedding. */
export function learnerConfig(
  inputDim: number,
  preset: Preset,
  settings: AdvancedSettings,
  memory: ReplayMemory,
  tuning: RoundTuning = {},
): LearnerConfig {
  return {
    model: { inputDim, hidden: settings.hidden > 0 ? [settings.hidden] : [], scenario: 'class-il', outputs: 0, seed: 1 },
    strategies: strategiesFor(preset, settings, memory, tuning),
    optimizer: 'adam',
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    seed: 1,
  };
}

/** The engine the app uses: src/cl's `Learner`. */
export const clEngine: Engine = {
  create(inputDim, settings, preset, memory, tuning): EngineModel {
    return new Learner(learnerConfig(inputDim, preset, settings, memory, tuning));
  },

  restore(state: EngineState, settings, preset, memory, tuning): EngineModel {
    // The checkpoint carries the config it was trained with; a round may use another preset or other values,
    // so swap the strategies and optimiser settings in (the model's shape stays the checkpoint's).
    const json = state.json as { config: LearnerConfig & { model: LearnerConfig['model'] } };
    const stored = json.config;
    const { replay, ...rest } = strategiesFor(preset, settings, memory, tuning);
    const strategies = { ...rest, ...(replay ? { replay: { ...replay, memory: undefined } } : {}) };
    if (strategies.replay) delete (strategies.replay as { memory?: unknown }).memory;
    const patched: EngineState = {
      ...state,
      json: {
        ...state.json,
        config: { ...stored, strategies, learningRate: settings.learningRate, batchSize: settings.batchSize },
      },
    };
    return Learner.fromState(patched, { memory });
  },

  async exportModel(model): Promise<{ modelJson: object; weightData: ArrayBuffer }> {
    const out = await exportLayersModel(model as Learner);
    return { modelJson: out.modelJson, weightData: out.weightData };
  },
};
