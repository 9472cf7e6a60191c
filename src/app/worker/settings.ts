/** The worker's side of the settings table: checks a round's settings and turns a preset into src/cl strategies. */
import type { StrategyConfig } from '../../cl';
import type { ReplayMemory } from '../../memory/types';
import type { AdvancedSettings, LearnSettings, Preset } from '../protocol';
import {
  PRESETS,
  PRESET_DEFAULTS,
  PRESET_IDS,
  SETTINGS,
  SETTING_KEYS,
  STRATEGY_CONSTANTS,
  acceptsValue,
} from '../shared/settings';

export { PRESET_DEFAULTS };

/** "a, b or c". */
function either(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** Why `value` is refused for `key`, in the words of the table. */
function refusal(key: keyof AdvancedSettings, value: unknown): string {
  const spec = SETTINGS[key];
  if (spec.kind === 'enum') return `${key} must be ${either(spec.options)}, got ${String(value)}`;
  const { min, max, minExclusive } = spec.range;
  if (spec.kind === 'int') return `${key} must be a whole number from ${min} to ${max}, got ${String(value)}`;
  return minExclusive
    ? `${key} must be a number above ${min} and at most ${max}, got ${String(value)}`
    : `${key} must be a number from ${min} to ${max}, got ${String(value)}`;
}

/** The preset's defaults with the user's overrides, checked against the table; throws a specific message on a bad value. */
export function resolveSettings(settings: LearnSettings): AdvancedSettings {
  if (!settings || !PRESET_IDS.includes(settings.preset))
    throw new Error(`Unknown preset "${settings?.preset}": use ${either(PRESET_IDS)}`);
  const s: AdvancedSettings = { ...PRESET_DEFAULTS[settings.preset], ...(settings.advanced ?? {}) };
  for (const key of SETTING_KEYS) if (!acceptsValue(key, s[key])) throw new Error(refusal(key, s[key]));
  return s;
}

/**
 * The preset's strategies for src/cl with the user's values: fine-tuning of the head's last layer or of the whole
 * head, plus replay, LwF and EWC as the preset turns them on.
 */
export function presetStrategies(
  preset: Preset,
  settings: AdvancedSettings,
  memory: ReplayMemory,
): StrategyConfig {
  const on = PRESETS[preset].strategies;
  const out: StrategyConfig = { freeze: { train: PRESETS[preset].train } };
  if (on.includes('replay'))
    out.replay = {
      memory,
      batchSize: settings.replayPerBatch,
      weighting: STRATEGY_CONSTANTS.replayWeighting,
      // The app offers each round's samples to the memory itself, under their stored ids (so their thumbnails
      // stay) and with logits: the plugin only replays and refreshes stored logits.
      storePerClass: 0,
      distillStored: { alpha: STRATEGY_CONSTANTS.distillStoredAlpha, temperature: settings.lwfTemperature },
    };
  if (on.includes('lwf')) out.lwf = { alpha: settings.lwfAlpha, temperature: settings.lwfTemperature };
  if (on.includes('ewc'))
    out.ewc = {
      lambda: settings.ewcLambda,
      mode: settings.ewcMode,
      gamma: settings.ewcGamma,
      fisher: STRATEGY_CONSTANTS.ewcFisher,
      fisherSamples: STRATEGY_CONSTANTS.ewcFisherSamples,
    };
  return out;
}
