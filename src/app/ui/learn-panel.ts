/** Learning: strategy presets, every advanced setting, the Learn button, progress, a live loss curve, cancel. */
import type { AdvancedSettings, Preset, RoundReport } from '../client';
import { PRESET_DEFAULTS } from '../worker/settings';
import { LOSS_LABELS, LossChart, seriesColour } from './charts';
import type { UiContext } from './context';
import { errorMessage, h, replaceChildren } from './dom';
import { codeOf } from './notices';

/** The presets, in plain words: what each costs and what it keeps. */
export const PRESETS: { id: Preset; name: string; note: string }[] = [
  {
    id: 'fast',
    name: 'Fast',
    note: 'Trains only the last layer on the new pictures. Quickest and stores nothing extra, but older classes fade the most.',
  },
  {
    id: 'balanced',
    name: 'Balanced',
    note: 'Also rehearses a few stored pictures and keeps the old answers (replay + LwF). About twice as long, keeps a small picture memory, forgets little.',
  },
  {
    id: 'max-retention',
    name: 'Max retention',
    note: 'Balanced plus protection of the weights old classes rely on (EWC). Slowest, stores a weight-importance map too, forgets the least.',
  },
];

/** How one advanced setting is edited. */
interface FieldSpec {
  key: keyof AdvancedSettings;
  label: string;
  hint: string;
  kind: 'int' | 'float' | 'select';
  min?: number;
  max?: number;
  step?: number | 'any';
  options?: { value: string; label: string }[];
  /** The presets whose strategy reads this setting (others ignore it). */
  usedBy?: Preset[];
}

/** Every field of AdvancedSettings, grouped as the panel shows them. */
export const ADVANCED_FIELDS: { group: string; fields: FieldSpec[] }[] = [
  {
    group: 'Training',
    fields: [
      {
        key: 'epochs',
        label: 'Epochs, first round',
        hint: 'Passes over the pictures when the model is trained from scratch.',
        kind: 'int',
        min: 1,
        max: 1000,
      },
      {
        key: 'laterEpochs',
        label: 'Epochs, later rounds',
        hint: 'Passes over the new pictures when adding to a trained model (it starts close, so fewer suffice).',
        kind: 'int',
        min: 1,
        max: 1000,
      },
      {
        key: 'learningRate',
        label: 'Learning rate',
        hint: 'Step size of the optimiser.',
        kind: 'float',
        min: 0,
        max: 1,
        step: 'any',
      },
      {
        key: 'batchSize',
        label: 'Batch size',
        hint: 'Pictures per training step.',
        kind: 'int',
        min: 1,
        max: 1024,
      },
      {
        key: 'hidden',
        label: 'Hidden units',
        hint: 'Width of the head’s hidden layer (0 = linear). Fixed by the first round.',
        kind: 'int',
        min: 0,
        max: 4096,
      },
    ],
  },
  {
    group: 'Replay (Balanced, Max retention)',
    fields: [
      {
        key: 'replayPerBatch',
        label: 'Replayed per batch',
        hint: 'Stored pictures mixed into each step.',
        kind: 'int',
        min: 1,
        max: 1024,
        usedBy: ['balanced', 'max-retention'],
      },
      {
        key: 'memoryBudget',
        label: 'Memory budget',
        hint: 'Most pictures kept for replay.',
        kind: 'int',
        min: 1,
        max: 1000000,
        usedBy: ['balanced', 'max-retention'],
      },
      {
        key: 'bufferPolicy',
        label: 'Which pictures to keep',
        hint: 'Class-balanced: same share per class; reservoir: uniform random; herding: closest to each class mean.',
        kind: 'select',
        options: [
          { value: 'class-balanced', label: 'Class-balanced' },
          { value: 'reservoir', label: 'Reservoir (random)' },
          { value: 'herding', label: 'Herding' },
        ],
        usedBy: ['balanced', 'max-retention'],
      },
    ],
  },
  {
    group: 'Keep old answers — LwF (Balanced, Max retention)',
    fields: [
      {
        key: 'lwfAlpha',
        label: 'LwF weight',
        hint: 'How strongly old answers are kept.',
        kind: 'float',
        min: 0,
        max: 1000,
        step: 'any',
        usedBy: ['balanced', 'max-retention'],
      },
      {
        key: 'lwfTemperature',
        label: 'LwF temperature',
        hint: 'Softens the old answers (≥ 1).',
        kind: 'float',
        min: 0.01,
        max: 100,
        step: 'any',
        usedBy: ['balanced', 'max-retention'],
      },
    ],
  },
  {
    group: 'Protect weights — EWC (Max retention)',
    fields: [
      {
        key: 'ewcLambda',
        label: 'EWC strength (λ)',
        hint: 'How strongly important weights are held in place.',
        kind: 'float',
        min: 0,
        max: 1e9,
        step: 'any',
        usedBy: ['max-retention'],
      },
      {
        key: 'ewcMode',
        label: 'EWC mode',
        hint: 'Online keeps one running importance map; separate keeps one per round (more storage).',
        kind: 'select',
        options: [
          { value: 'online', label: 'Online (one map)' },
          { value: 'separate', label: 'Separate (one map per round)' },
        ],
        usedBy: ['max-retention'],
      },
      {
        key: 'ewcGamma',
        label: 'EWC decay (γ)',
        hint: 'Online mode: weight of older importance (0–1).',
        kind: 'float',
        min: 0,
        max: 1,
        step: 'any',
        usedBy: ['max-retention'],
      },
    ],
  },
];

const ADVANCED_STORAGE_KEY = 'retain.advanced';

/** Reads the saved advanced overrides (unknown keys dropped). */
function loadAdvanced(): Partial<AdvancedSettings> {
  try {
    const raw = JSON.parse(localStorage.getItem(ADVANCED_STORAGE_KEY) ?? '{}') as Record<string, unknown>;
    const keys = new Set(ADVANCED_FIELDS.flatMap((g) => g.fields.map((f) => f.key as string)));
    return Object.fromEntries(Object.entries(raw).filter(([k]) => keys.has(k))) as Partial<AdvancedSettings>;
  } catch {
    return {};
  }
}

/** Builds the learn panel. */
export function learnPanel(ctx: UiContext): HTMLElement {
  const { client, store, notices, bus } = ctx;

  // --- Presets ---------------------------------------------------------------------------------------------------
  const presetInputs = new Map<Preset, HTMLInputElement>();
  const presetFieldset = h(
    'fieldset',
    { class: 'presets', 'data-testid': 'presets' },
    h('legend', {}, 'How to learn'),
    PRESETS.map((p) => {
      const input = h('input', {
        type: 'radio',
        name: 'preset',
        value: p.id,
        id: `preset-${p.id}`,
        'data-testid': `preset-${p.id}`,
      });
      presetInputs.set(p.id, input);
      input.addEventListener('change', () => {
        if (input.checked) store.set({ preset: p.id });
      });
      return h(
        'label',
        { class: 'preset', for: `preset-${p.id}` },
        input,
        h(
          'span',
          { class: 'preset-text' },
          h('strong', {}, p.name),
          h('span', { class: 'preset-note' }, p.note),
        ),
      );
    }),
  );

  // --- Advanced settings -----------------------------------------------------------------------------------------
  let advanced = loadAdvanced();
  const fieldInputs = new Map<keyof AdvancedSettings, HTMLInputElement | HTMLSelectElement>();
  const fieldRows = new Map<keyof AdvancedSettings, HTMLElement>();
  const groups = ADVANCED_FIELDS.map((g) =>
    h(
      'fieldset',
      { class: 'adv-group' },
      h('legend', {}, g.group),
      g.fields.map((f) => {
        const id = `adv-${f.key}`;
        const current = advanced[f.key];
        let input: HTMLInputElement | HTMLSelectElement;
        if (f.kind === 'select') {
          input = h(
            'select',
            { id, 'data-testid': id },
            h('option', { value: '' }, `Preset: ${String(PRESET_DEFAULTS[store.state.preset][f.key])}`),
            (f.options ?? []).map((o) =>
              h('option', { value: o.value, selected: current === o.value }, o.label),
            ),
          );
        } else {
          input = h('input', {
            id,
            type: 'number',
            inputmode: f.kind === 'int' ? 'numeric' : 'decimal',
            min: f.min,
            max: f.max,
            step: f.step ?? 1,
            placeholder: String(PRESET_DEFAULTS[store.state.preset][f.key]),
            value: current === undefined ? '' : String(current),
            'data-testid': id,
          });
        }
        input.addEventListener('change', () => readField(f, input));
        fieldInputs.set(f.key, input);
        const row = h(
          'div',
          { class: 'field' },
          h('label', { for: id }, f.label),
          input,
          h('span', { class: 'hint small' }, f.hint),
        );
        fieldRows.set(f.key, row);
        return row;
      }),
    ),
  );
  const advError = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'advanced-error' });
  const resetAdvanced = h(
    'button',
    { type: 'button', class: 'small', 'data-testid': 'advanced-reset' },
    'Use preset defaults',
  );
  const advCount = h('span', { class: 'badge', 'data-testid': 'advanced-count' });
  const advancedPanel = h(
    'details',
    { class: 'advanced', 'data-testid': 'advanced' },
    h('summary', {}, 'Advanced settings ', advCount),
    h(
      'p',
      { class: 'hint' },
      'Empty fields use the chosen preset’s value (shown in grey). Settings the chosen preset does not use are dimmed.',
    ),
    groups,
    advError,
    resetAdvanced,
  );

  function readField(f: FieldSpec, input: HTMLInputElement | HTMLSelectElement): void {
    const raw = input.value.trim();
    const next = { ...advanced } as Record<string, unknown>;
    advError.textContent = '';
    if (raw === '') {
      delete next[f.key];
    } else if (f.kind === 'select') {
      next[f.key] = raw;
    } else {
      const v = Number(raw);
      const bad =
        !Number.isFinite(v) ||
        (f.kind === 'int' && !Number.isInteger(v)) ||
        (f.min !== undefined && v < f.min) ||
        (f.max !== undefined && v > f.max);
      if (bad) {
        advError.textContent = `${f.label} must be ${f.kind === 'int' ? 'a whole number' : 'a number'} between ${f.min} and ${f.max}; it is unchanged.`;
        input.value = advanced[f.key] === undefined ? '' : String(advanced[f.key]);
        return;
      }
      next[f.key] = v;
    }
    advanced = next as Partial<AdvancedSettings>;
    localStorage.setItem(ADVANCED_STORAGE_KEY, JSON.stringify(advanced));
    renderAdvanced();
  }
  resetAdvanced.addEventListener('click', () => {
    advanced = {};
    localStorage.removeItem(ADVANCED_STORAGE_KEY);
    fieldInputs.forEach((input) => (input.value = ''));
    advError.textContent = '';
    renderAdvanced();
  });
  function renderAdvanced(): void {
    const n = Object.keys(advanced).length;
    advCount.textContent = n ? `${n} changed` : '';
    advCount.hidden = n === 0;
    const preset = store.state.preset;
    for (const g of ADVANCED_FIELDS)
      for (const f of g.fields) {
        fieldRows.get(f.key)?.classList.toggle('is-unused', !!f.usedBy && !f.usedBy.includes(preset));
        // Empty fields show the preset's own value, so a person sees what "default" means.
        const input = fieldInputs.get(f.key);
        const value = String(PRESET_DEFAULTS[preset][f.key]);
        if (input instanceof HTMLInputElement) input.placeholder = value;
        else if (input)
          input.options[0].textContent = `Preset: ${f.options?.find((o) => o.value === value)?.label ?? value}`;
      }
  }

  // --- Learn, progress, loss -------------------------------------------------------------------------------------
  const learnButton = h(
    'button',
    { type: 'button', class: 'primary big', 'data-testid': 'learn-button' },
    'Learn',
  );
  const cancelButton = h('button', { type: 'button', 'data-testid': 'learn-cancel', hidden: true }, 'Cancel');
  const learnHint = h('p', { class: 'hint', 'data-testid': 'learn-hint' });
  const progress = h('progress', {
    max: 1,
    value: 0,
    'data-testid': 'learn-progress',
    'aria-label': 'Learning progress',
    hidden: true,
  });
  const progressText = h('span', {
    class: 'hint small',
    'data-testid': 'learn-progress-text',
    'aria-live': 'polite',
  });
  const canvas = h('canvas', {
    class: 'loss-chart',
    'data-testid': 'loss-chart',
    role: 'img',
    'aria-label': 'Training loss over steps',
  });
  const legend = h('ul', { class: 'legend', 'data-testid': 'loss-legend' });
  const chartTitle = h('h3', {}, 'Loss');
  const report = h('p', { class: 'report', 'data-testid': 'learn-report', 'aria-live': 'polite' });
  const chart = new LossChart(canvas);

  function renderLegend(): void {
    legend.hidden = chart.length === 0;
    replaceChildren(
      legend,
      chart
        .names()
        .map((n, i) =>
          h(
            'li',
            {},
            h('span', { class: 'legend-swatch', style: `background:${seriesColour(n, i)}` }),
            LOSS_LABELS[n] ?? n,
          ),
        ),
    );
  }

  client.on((e) => {
    if (e.type !== 'progress' || !store.state.learning) return;
    progress.max = Math.max(1, e.totalSteps);
    progress.value = e.step;
    progressText.textContent = `Step ${e.step} of ${e.totalSteps}`;
    chart.push(e.losses);
    renderLegend();
  });

  learnButton.addEventListener('click', async () => {
    const preset = store.state.preset;
    store.set({ learning: true });
    chartTitle.textContent = 'Loss (this round)';
    chart.clear();
    renderLegend();
    progress.hidden = false;
    progress.value = 0;
    progressText.textContent = 'Preparing…';
    report.textContent = '';
    cancelButton.hidden = false;
    cancelButton.disabled = false;
    let result: RoundReport | null = null;
    try {
      result = await client.learn({ preset, advanced: Object.keys(advanced).length ? advanced : undefined });
    } catch (err) {
      notices.error(`Learning failed: ${errorMessage(err)}`, codeOf(err));
      report.textContent = 'Learning failed; the model is unchanged.';
    } finally {
      store.set({ learning: false });
      cancelButton.hidden = true;
      progress.hidden = true;
      progressText.textContent = '';
    }
    if (result) {
      report.dataset.round = String(result.round);
      report.textContent = result.cancelled
        ? 'Learning cancelled: the model is as it was before.'
        : `Round ${result.round} learned in ${result.seconds.toFixed(1)} s (${result.steps} steps, final loss ${result.finalLoss.toFixed(3)}).`;
      if (!result.cancelled) notices.toast(`Learned round ${result.round}.`);
    }
    await ctx.refreshStatus();
    bus.emit('project-changed', {});
  });
  cancelButton.addEventListener('click', () => {
    cancelButton.disabled = true;
    progressText.textContent = 'Cancelling…';
    client.cancelLearn();
  });

  /** Shows the loss of every past round when idle. */
  async function showHistory(): Promise<void> {
    if (store.state.learning) return;
    try {
      const m = await client.metrics();
      chartTitle.textContent = 'Loss (all rounds)';
      chart.setSeries('total', m.lossHistory);
      renderLegend();
    } catch {
      // The metrics panel reports metrics failures.
    }
  }
  bus.on('project-changed', () => void showHistory());
  void showHistory();
  new ResizeObserver(() => chart.draw()).observe(canvas);

  store.subscribe((s) => {
    presetInputs.get(s.preset)!.checked = true;
    renderAdvanced();
    presetFieldset.disabled = s.learning;
    advancedPanel.classList.toggle('is-disabled', s.learning);
    groups.forEach((g) => (g.disabled = s.learning));
    const withPictures = s.classes.filter((c) => c.sampleCount > 0);
    const fresh = s.classes.filter((c) => !c.learned && c.sampleCount > 0);
    let blocked: string | null = null;
    if (s.learning) blocked = 'Learning… you can cancel; the model only changes when a round completes.';
    else if (s.capturing) blocked = 'Release the capture button first.';
    else if (s.busy) blocked = `Please wait: ${s.busy}.`;
    else if (s.rounds === 0 && withPictures.length < 2)
      blocked = 'Give pictures to at least two classes, then press Learn.';
    learnButton.disabled = blocked !== null;
    learnButton.textContent = s.learning ? 'Learning…' : 'Learn';
    learnHint.textContent =
      blocked ??
      (fresh.length
        ? `Ready: learns ${fresh.map((c) => `“${c.name}”`).join(', ')}${s.rounds > 0 ? ' while keeping what it already knows' : ''}.`
        : 'Learns the pictures added since the last round.');
  });

  return h(
    'section',
    { class: 'panel learn-panel', 'aria-labelledby': 'learn-heading', 'data-testid': 'learn-panel' },
    h('h2', { id: 'learn-heading' }, 'Learn'),
    presetFieldset,
    advancedPanel,
    h('div', { class: 'learn-row' }, learnButton, cancelButton, progress, progressText),
    learnHint,
    report,
    chartTitle,
    canvas,
    legend,
  );
}
