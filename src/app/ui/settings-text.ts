/**
 * The words the learn panel shows for presets and settings, read from the language catalogue each time they are
 * used (getters), so a text is always in the current language.
 */
import { formatList, t } from '../i18n';
import type { AdvancedSettings, Preset } from '../protocol';
import type { Range, SettingGroup } from '../shared/settings';

/** Each preset in plain words: what it costs and what it keeps. */
export const PRESET_TEXT: Record<Preset, { readonly name: string; readonly note: string }> = {
  fast: {
    get name() {
      return t('preset.fast');
    },
    get note() {
      return t('preset.fastNote');
    },
  },
  balanced: {
    get name() {
      return t('preset.balanced');
    },
    get note() {
      return t('preset.balancedNote');
    },
  },
  'max-retention': {
    get name() {
      return t('preset.maxRetention');
    },
    get note() {
      return t('preset.maxRetentionNote');
    },
  },
  exact: {
    get name() {
      return t('preset.exact');
    },
    get note() {
      return t('preset.exactNote');
    },
  },
};

/** The title of each group of settings in the advanced panel. */
export const GROUP_TEXT: Record<SettingGroup, string> = {
  get training() {
    return t('group.training');
  },
  get replay() {
    return t('group.replay');
  },
  get lwf() {
    return t('group.lwf');
  },
  get ewc() {
    return t('group.ewc');
  },
  get exact() {
    return t('group.exact');
  },
  get prediction() {
    return t('notSure.group');
  },
};

/** Words for one setting; enum settings name each of their options. */
type SettingText<V> = [V] extends [string]
  ? { readonly label: string; readonly hint: string; readonly options: Record<V, string> }
  : { readonly label: string; readonly hint: string };

/** A setting's words, looked up when read. */
function words(label: () => string, hint: () => string): { readonly label: string; readonly hint: string } {
  return {
    get label() {
      return label();
    },
    get hint() {
      return hint();
    },
  };
}

/** A choice setting's words, its options looked up when read. */
function choiceWords<V extends string>(
  label: () => string,
  hint: () => string,
  options: () => Record<V, string>,
): SettingText<V> {
  return Object.defineProperty(words(label, hint), 'options', {
    get: options,
    enumerable: true,
  }) as SettingText<V>;
}

/** The label and one-line hint of every advanced setting. */
export const SETTING_TEXT: { [K in keyof AdvancedSettings]: SettingText<AdvancedSettings[K]> } = {
  epochs: words(
    () => t('setting.epochs'),
    () => t('setting.epochsHint'),
  ),
  laterEpochs: words(
    () => t('setting.laterEpochs'),
    () => t('setting.laterEpochsHint'),
  ),
  learningRate: words(
    () => t('setting.learningRate'),
    () => t('setting.learningRateHint'),
  ),
  batchSize: words(
    () => t('setting.batchSize'),
    () => t('setting.batchSizeHint'),
  ),
  hidden: words(
    () => t('setting.hidden'),
    () => t('setting.hiddenHint'),
  ),
  replayPerBatch: words(
    () => t('setting.replayPerBatch'),
    () => t('setting.replayPerBatchHint'),
  ),
  memoryBudget: words(
    () => t('setting.memoryBudget'),
    () => t('setting.memoryBudgetHint'),
  ),
  bufferPolicy: choiceWords(
    () => t('setting.bufferPolicy'),
    () => t('setting.bufferPolicyHint'),
    () => ({
      'class-balanced': t('setting.bufferClassBalanced'),
      reservoir: t('setting.bufferReservoir'),
      herding: t('setting.bufferHerding'),
    }),
  ),
  lwfAlpha: words(
    () => t('setting.lwfAlpha'),
    () => t('setting.lwfAlphaHint'),
  ),
  lwfTemperature: words(
    () => t('setting.lwfTemperature'),
    () => t('setting.lwfTemperatureHint'),
  ),
  ewcLambda: words(
    () => t('setting.ewcLambda'),
    () => t('setting.ewcLambdaHint'),
  ),
  ewcMode: choiceWords(
    () => t('setting.ewcMode'),
    () => t('setting.ewcModeHint'),
    () => ({ online: t('setting.ewcOnline'), separate: t('setting.ewcSeparate') }),
  ),
  ewcGamma: words(
    () => t('setting.ewcGamma'),
    () => t('setting.ewcGammaHint'),
  ),
  exactProjection: words(
    () => t('setting.exactProjection'),
    () => t('setting.exactProjectionHint'),
  ),
  exactShrinkage: choiceWords(
    () => t('setting.exactShrinkage'),
    () => t('setting.exactShrinkageHint'),
    () => ({
      auto: t('setting.exactShrinkageAuto'),
      '0.0001': '0.0001',
      '0.001': '0.001',
      '0.01': '0.01',
      '0.1': '0.1',
      '1': '1',
    }),
  ),
  notSureAccept: words(
    () => t('notSure.setting'),
    () => t('notSure.settingHint'),
  ),
};

/** The advanced panel's own words. */
export const ADVANCED_TEXT = {
  get summary(): string {
    return t('advanced.summary');
  },
  get intro(): string {
    return t('advanced.intro');
  },
  get reset(): string {
    return t('advanced.reset');
  },
  changed: (count: number): string => t('advanced.changed', { n: count }),
  presetValue: (value: string): string => t('advanced.presetValue', { value }),
  /** A group's title with the presets that read it, e.g. "Replay (Balanced and Max retention)". */
  groupTitle: (title: string, presetNames: string[]): string =>
    t('advanced.groupTitle', { title, presets: formatList(presetNames) }),
  /** Why a typed value was refused; the field keeps its previous value. */
  refusedNumber: (label: string, whole: boolean, range: Range): string => {
    const values = { label, min: range.min, max: range.max };
    if (range.minExclusive)
      return whole ? t('advanced.refusedWholeAbove', values) : t('advanced.refusedNumberAbove', values);
    return whole ? t('advanced.refusedWholeRange', values) : t('advanced.refusedNumberRange', values);
  },
  refusedChoice: (label: string): string => t('advanced.refusedChoice', { label }),
};
