/** The advanced-settings form: one input per row of the shared settings table, checked by the table's own rule. */
import type { AdvancedSettings, Preset } from '../client';
import {
  PRESET_DEFAULTS,
  SETTINGS,
  SETTING_KEYS,
  acceptsValue,
  presetsUsing,
  type SettingGroup,
} from '../shared/settings';
import { h } from './dom';
import { t } from '../i18n';
import { ADVANCED_TEXT, GROUP_TEXT, PRESET_TEXT, SETTING_TEXT } from './settings-text';
import type { Store } from './store';

/** What a typed value means: a value to use, the preset's default (empty field), or a refusal to show. */
export type SettingInput =
  { ok: true; value: AdvancedSettings[keyof AdvancedSettings] | undefined } | { ok: false; message: string };

/** Reads what a person typed or chose for setting `key`, accepting exactly what the worker's `resolveSettings` accepts. */
export function readSettingInput(key: keyof AdvancedSettings, raw: string): SettingInput {
  const text = raw.trim();
  if (text === '') return { ok: true, value: undefined };
  const spec = SETTINGS[key];
  const value = spec.kind === 'enum' ? text : Number(text);
  if (acceptsValue(key, value)) return { ok: true, value: value as AdvancedSettings[keyof AdvancedSettings] };
  const label = SETTING_TEXT[key].label;
  return {
    ok: false,
    message:
      spec.kind === 'enum'
        ? ADVANCED_TEXT.refusedChoice(label)
        : ADVANCED_TEXT.refusedNumber(label, spec.kind === 'int', spec.range),
  };
}

const ADVANCED_STORAGE_KEY = 'retain.advanced';

/** Reads the saved overrides, keeping only known settings with values the worker would accept. */
function loadOverrides(): Partial<AdvancedSettings> {
  try {
    const raw = JSON.parse(localStorage.getItem(ADVANCED_STORAGE_KEY) ?? '{}') as Record<string, unknown>;
    const kept = Object.entries(raw).filter(
      ([k, v]) => k in SETTINGS && acceptsValue(k as keyof AdvancedSettings, v),
    );
    return Object.fromEntries(kept) as Partial<AdvancedSettings>;
  } catch {
    return {};
  }
}

/** The saved override of one setting (undefined: the preset's default); the predict panel reads "Not sure" here. */
export function savedOverride<K extends keyof AdvancedSettings>(key: K): AdvancedSettings[K] | undefined {
  return loadOverrides()[key];
}

/** A setting's value as its input shows it (an enum by its option's label). */
function shown(key: keyof AdvancedSettings, value: AdvancedSettings[keyof AdvancedSettings]): string {
  const words = SETTING_TEXT[key] as { options?: Record<string, string> };
  return words.options?.[String(value)] ?? String(value);
}

/** The advanced panel and the overrides a person has set in it (saved across visits). */
export interface AdvancedSettingsForm {
  element: HTMLDetailsElement;
  /** The overrides to send with a round, or undefined when every field is at its preset's default. */
  overrides(): Partial<AdvancedSettings> | undefined;
}

/** Builds the advanced-settings form; it follows the store's preset (placeholders, dimming) and locks while learning. */
export function advancedSettingsForm(store: Store): AdvancedSettingsForm {
  let advanced = loadOverrides();
  const inputs = new Map<keyof AdvancedSettings, HTMLInputElement | HTMLSelectElement>();
  const rows = new Map<keyof AdvancedSettings, HTMLElement>();
  const error = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'advanced-error' });

  function field(key: keyof AdvancedSettings): HTMLElement {
    const spec = SETTINGS[key];
    const words = SETTING_TEXT[key];
    const id = `adv-${key}`;
    const current = advanced[key];
    const input =
      spec.kind === 'enum'
        ? h(
            'select',
            { id, 'data-testid': id },
            h('option', { value: '' }, ''),
            spec.options.map((o) => h('option', { value: o, selected: current === o }, shown(key, o))),
          )
        : h('input', {
            id,
            type: 'number',
            inputmode: spec.kind === 'int' ? 'numeric' : 'decimal',
            // An exclusive minimum still bounds the spinner; readSettingInput refuses the bound itself.
            min: spec.range.min,
            max: spec.range.max,
            step: spec.step,
            value: current === undefined ? '' : String(current),
            'data-testid': id,
          });
    input.addEventListener('change', () => readField(key, input));
    inputs.set(key, input);
    const row = h(
      'div',
      { class: 'field' },
      h('label', { for: id }, words.label),
      // A settings row the chosen preset ignores says so in words (not only by looks): filled in by render().
      h('span', { class: 'unused-tag', 'data-testid': `${id}-unused` }),
      input,
      h('span', { class: 'hint small' }, words.hint),
    );
    rows.set(key, row);
    return row;
  }

  const groupNames: SettingGroup[] = ['training', 'replay', 'lwf', 'ewc', 'exact', 'prediction'];
  const groups = groupNames.map((group) => {
    const users = presetsUsing(group);
    const title =
      group === 'training' || group === 'prediction'
        ? GROUP_TEXT[group]
        : ADVANCED_TEXT.groupTitle(
            GROUP_TEXT[group],
            users.map((p) => PRESET_TEXT[p].name),
          );
    return h(
      'fieldset',
      { class: 'adv-group' },
      h('legend', {}, title),
      SETTING_KEYS.filter((k) => SETTINGS[k].group === group).map(field),
    );
  });
  const count = h('span', { class: 'badge', 'data-testid': 'advanced-count' });
  const reset = h(
    'button',
    { type: 'button', class: 'small', 'data-testid': 'advanced-reset' },
    ADVANCED_TEXT.reset,
  );
  const element = h(
    'details',
    { class: 'advanced', 'data-testid': 'advanced' },
    h('summary', {}, ADVANCED_TEXT.summary, count),
    h('p', { class: 'hint' }, ADVANCED_TEXT.intro),
    groups,
    error,
    reset,
  );

  function readField(key: keyof AdvancedSettings, input: HTMLInputElement | HTMLSelectElement): void {
    const reading = readSettingInput(key, input.value);
    error.textContent = '';
    if (!reading.ok) {
      error.textContent = reading.message;
      input.value = advanced[key] === undefined ? '' : String(advanced[key]);
      return;
    }
    const next: Record<string, unknown> = { ...advanced };
    if (reading.value === undefined) delete next[key];
    else next[key] = reading.value;
    advanced = next as Partial<AdvancedSettings>;
    localStorage.setItem(ADVANCED_STORAGE_KEY, JSON.stringify(advanced));
    render(store.state.preset);
  }
  reset.addEventListener('click', () => {
    advanced = {};
    localStorage.removeItem(ADVANCED_STORAGE_KEY);
    inputs.forEach((input) => (input.value = ''));
    error.textContent = '';
    render(store.state.preset);
  });

  function render(preset: Preset): void {
    const n = Object.keys(advanced).length;
    count.textContent = n ? ADVANCED_TEXT.changed(n) : '';
    count.hidden = n === 0;
    const users = new Set(SETTING_KEYS.filter((k) => presetsUsing(SETTINGS[k].group).includes(preset)));
    for (const key of SETTING_KEYS) {
      const row = rows.get(key);
      row?.classList.toggle('is-unused', !users.has(key));
      const tag = row?.querySelector('.unused-tag');
      if (tag) tag.textContent = users.has(key) ? '' : t('advanced.unusedBy', { preset: PRESET_TEXT[preset].name });
      // Empty fields show the preset's own value, so a person sees what "default" means.
      const input = inputs.get(key);
      const value = PRESET_DEFAULTS[preset][key];
      if (input instanceof HTMLInputElement) input.placeholder = String(value);
      else if (input) input.options[0].textContent = ADVANCED_TEXT.presetValue(shown(key, value));
    }
  }

  store.subscribe((s) => {
    render(s.preset);
    element.classList.toggle('is-disabled', s.learning);
    groups.forEach((g) => (g.disabled = s.learning));
  });

  return { element, overrides: () => (Object.keys(advanced).length ? { ...advanced } : undefined) };
}
