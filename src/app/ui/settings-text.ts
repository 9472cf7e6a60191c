/** The words the learn panel shows for presets and settings, kept in one place that a language catalogue can replace. */
import type { AdvancedSettings, Preset } from '../protocol';
import type { Range, SettingGroup } from '../shared/settings';

/** Each preset in plain words: what it costs and what it keeps. */
export const PRESET_TEXT: Record<Preset, { name: string; note: string }> = {
  fast: {
    name: 'Fast',
    note: 'Trains only the last layer on the new pictures. Quickest and stores nothing extra, but older classes fade the most.',
  },
  balanced: {
    name: 'Balanced',
    note: 'Also rehearses a few stored pictures and keeps the old answers (replay + LwF). About twice as long, keeps a small picture memory, forgets little.',
  },
  'max-retention': {
    name: 'Max retention',
    note: 'Balanced plus protection of the weights old classes rely on (EWC). Slowest, stores a weight-importance map too, forgets the least.',
  },
};

/** The title of each group of settings in the advanced panel. */
export const GROUP_TEXT: Record<SettingGroup, string> = {
  training: 'Training',
  replay: 'Replay',
  lwf: 'Keep old answers — LwF',
  ewc: 'Protect weights — EWC',
};

/** Words for one setting; enum settings name each of their options. */
type SettingText<V> = [V] extends [string]
  ? { label: string; hint: string; options: Record<V, string> }
  : { label: string; hint: string };

/** The label and one-line hint of every advanced setting. */
export const SETTING_TEXT: { [K in keyof AdvancedSettings]: SettingText<AdvancedSettings[K]> } = {
  epochs: {
    label: 'Epochs, first round',
    hint: 'Passes over the pictures when the model is trained from scratch.',
  },
  laterEpochs: {
    label: 'Epochs, later rounds',
    hint: 'Passes over the new pictures when adding to a trained model (it starts close, so fewer suffice).',
  },
  learningRate: { label: 'Learning rate', hint: 'Step size of the optimiser (above 0).' },
  batchSize: { label: 'Batch size', hint: 'Pictures per training step.' },
  hidden: {
    label: 'Hidden units',
    hint: 'Width of the head’s hidden layer (0 = linear). Fixed by the first round.',
  },
  replayPerBatch: { label: 'Replayed per batch', hint: 'Stored pictures mixed into each step.' },
  memoryBudget: { label: 'Memory budget', hint: 'Most pictures kept for replay.' },
  bufferPolicy: {
    label: 'Which pictures to keep',
    hint: 'Class-balanced: same share per class; reservoir: uniform random; herding: closest to each class mean.',
    options: { 'class-balanced': 'Class-balanced', reservoir: 'Reservoir (random)', herding: 'Herding' },
  },
  lwfAlpha: { label: 'LwF weight', hint: 'How strongly old answers are kept.' },
  lwfTemperature: {
    label: 'LwF temperature',
    hint: 'Softens the old answers: 1 keeps them as they are, higher is softer.',
  },
  ewcLambda: { label: 'EWC strength (λ)', hint: 'How strongly important weights are held in place.' },
  ewcMode: {
    label: 'EWC mode',
    hint: 'Online keeps one running importance map; separate keeps one per round (more storage).',
    options: { online: 'Online (one map)', separate: 'Separate (one map per round)' },
  },
  ewcGamma: { label: 'EWC decay (γ)', hint: 'Online mode: weight of older importance (0–1).' },
};

/** The advanced panel's own words. */
export const ADVANCED_TEXT = {
  summary: 'Advanced settings ',
  intro:
    'Empty fields use the chosen preset’s value (shown in grey). Settings the chosen preset does not use are dimmed.',
  reset: 'Use preset defaults',
  changed: (count: number): string => `${count} changed`,
  presetValue: (value: string): string => `Preset: ${value}`,
  /** A group's title with the presets that read it, e.g. "Replay (Balanced, Max retention)". */
  groupTitle: (title: string, presetNames: string[]): string => `${title} (${presetNames.join(', ')})`,
  /** Why a typed value was refused; the field keeps its previous value. */
  refusedNumber: (label: string, whole: boolean, range: Range): string =>
    range.minExclusive
      ? `${label} must be ${whole ? 'a whole number' : 'a number'} above ${range.min} and at most ${range.max}; it is unchanged.`
      : `${label} must be ${whole ? 'a whole number' : 'a number'} from ${range.min} to ${range.max}; it is unchanged.`,
  refusedChoice: (label: string): string => `${label} must be one of the listed choices; it is unchanged.`,
};
