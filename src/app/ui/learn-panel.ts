/** Learning: strategy presets, the advanced-settings form, the Learn button, progress, a live loss curve, cancel. */
import type { Preset, RoundReport } from '../client';
import { PRESET_IDS } from '../shared/settings';
import { advancedSettingsForm } from './advanced-settings';
import { LOSS_LABELS, LossChart, seriesColour } from './charts';
import type { UiContext } from './context';
import { errorMessage, h, replaceChildren } from './dom';
import { codeOf } from './notices';
import { PRESET_TEXT } from './settings-text';

/** Builds the learn panel. */
export function learnPanel(ctx: UiContext): HTMLElement {
  const { client, store, notices, bus } = ctx;

  // --- Presets ---------------------------------------------------------------------------------------------------
  const presetInputs = new Map<Preset, HTMLInputElement>();
  const presetFieldset = h(
    'fieldset',
    { class: 'presets', 'data-testid': 'presets' },
    h('legend', {}, 'How to learn'),
    PRESET_IDS.map((id) => {
      const input = h('input', {
        type: 'radio',
        name: 'preset',
        value: id,
        id: `preset-${id}`,
        'data-testid': `preset-${id}`,
      });
      presetInputs.set(id, input);
      input.addEventListener('change', () => {
        if (input.checked) store.set({ preset: id });
      });
      return h(
        'label',
        { class: 'preset', for: `preset-${id}` },
        input,
        h(
          'span',
          { class: 'preset-text' },
          h('strong', {}, PRESET_TEXT[id].name),
          h('span', { class: 'preset-note' }, PRESET_TEXT[id].note),
        ),
      );
    }),
  );

  const advanced = advancedSettingsForm(store);

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
      result = await client.learn({ preset, advanced: advanced.overrides() });
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
    presetFieldset.disabled = s.learning;
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
    advanced.element,
    h('div', { class: 'learn-row' }, learnButton, cancelButton, progress, progressText),
    learnHint,
    report,
    chartTitle,
    canvas,
    legend,
  );
}
