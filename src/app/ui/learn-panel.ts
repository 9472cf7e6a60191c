/** Learning: strategy presets, the advanced-settings form, the Learn button, progress, a live loss curve, cancel. */
import type { Preset, RoundReport } from '../client';
import { PRESET_IDS } from '../shared/settings';
import { advancedSettingsForm } from './advanced-settings';
import { LOSS_LABELS, LossChart, seriesColour } from './charts';
import type { UiContext } from './context';
import { errorMessage, h, replaceChildren } from './dom';
import { codeOf } from './notices';
import { PRESET_TEXT } from './settings-text';
import { formatList, formatNumber, formatSeconds, t } from '../i18n';

/** "Ready: learns “a” and “b”", saying so when what is already learned is kept. */
function readyText(names: string[], keeping: boolean): string {
  const list = formatList(names.map((name) => t('learn.quoted', { name })));
  return keeping ? t('learn.readyKeeping', { names: list }) : t('learn.ready', { names: list });
}

/** Builds the learn panel. */
export function learnPanel(ctx: UiContext): HTMLElement {
  const { client, store, notices, bus } = ctx;

  // --- Presets ---------------------------------------------------------------------------------------------------
  const presetInputs = new Map<Preset, HTMLInputElement>();
  const presetFieldset = h(
    'fieldset',
    { class: 'presets', 'data-testid': 'presets' },
    h('legend', {}, t('learn.howToLearn')),
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
    t('learn.button'),
  );
  const cancelButton = h(
    'button',
    { type: 'button', 'data-testid': 'learn-cancel', hidden: true },
    t('learn.cancel'),
  );
  const learnHint = h('p', { class: 'hint learn-hint', 'data-testid': 'learn-hint' });
  const progress = h('progress', {
    max: 1,
    value: 0,
    'data-testid': 'learn-progress',
    'aria-label': t('learn.progressLabel'),
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
    'aria-label': t('learn.chartLabel'),
  });
  const legend = h('ul', { class: 'legend', 'data-testid': 'loss-legend' });
  const chartTitle = h('h3', {}, t('learn.loss'));
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
    progressText.textContent = t('learn.step', { step: e.step, total: e.totalSteps });
    chart.push(e.losses);
    renderLegend();
  });

  learnButton.addEventListener('click', async () => {
    const preset = store.state.preset;
    store.set({ learning: true });
    chartTitle.textContent = t('learn.lossRound');
    chart.clear();
    renderLegend();
    progress.hidden = false;
    progress.value = 0;
    progressText.textContent = t('learn.preparing');
    report.textContent = '';
    cancelButton.hidden = false;
    cancelButton.disabled = false;
    let result: RoundReport | null = null;
    try {
      result = await client.learn({ preset, advanced: advanced.overrides() });
    } catch (err) {
      notices.error(t('learn.failed', { reason: errorMessage(err) }), codeOf(err));
      report.textContent = t('learn.failedReport');
    } finally {
      store.set({ learning: false });
      cancelButton.hidden = true;
      progress.hidden = true;
      progressText.textContent = '';
    }
    if (result) {
      report.dataset.round = String(result.round);
      report.textContent = result.cancelled
        ? t('learn.cancelled')
        : t('learn.report', {
            round: result.round,
            seconds: formatSeconds(result.seconds),
            steps: formatNumber(result.steps),
            loss: formatNumber(result.finalLoss, 3),
          });
      if (!result.cancelled) notices.toast(t('learn.learnedToast', { round: result.round }));
    }
    await ctx.refreshStatus();
    bus.emit('project-changed', {});
  });
  cancelButton.addEventListener('click', () => {
    cancelButton.disabled = true;
    progressText.textContent = t('learn.cancelling');
    client.cancelLearn();
  });

  /** Shows the loss of every past round when idle. */
  async function showHistory(): Promise<void> {
    if (store.state.learning) return;
    try {
      const m = await client.metrics();
      chartTitle.textContent = t('learn.lossAll');
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
    const withPictures = s.classes.filter((c) => c.pending > 0);
    const fresh = s.classes.filter((c) => c.pending > 0);
    let blocked: string | null = null;
    if (s.learning) blocked = t('learn.busyLearning');
    else if (s.capturing) blocked = t('learn.busyCapturing');
    else if (s.busy) blocked = t('learn.wait', { task: s.busy });
    else if (s.rounds === 0 && withPictures.length < 2) blocked = t('learn.needTwo');
    else if (fresh.length === 0) blocked = t('learnState.nothingNew');
    learnButton.disabled = blocked !== null;
    learnButton.textContent = s.learning ? t('learn.learning') : t('learn.button');
    learnHint.textContent =
      blocked ??
      (fresh.length
        ? readyText(
            fresh.map((c) => c.name),
            s.rounds > 0,
          )
        : t('learn.sinceLast'));
  });

  return h(
    'section',
    { class: 'panel learn-panel', 'aria-labelledby': 'learn-heading', 'data-testid': 'learn-panel' },
    h('h2', { id: 'learn-heading' }, t('learn.heading')),
    presetFieldset,
    advanced.element,
    // On phones the bar is fixed to the bottom of the screen (styles.css), so Learn is reachable without scrolling.
    h(
      'div',
      { class: 'learn-bar', 'data-testid': 'learn-bar' },
      h('div', { class: 'learn-row' }, learnButton, cancelButton, progress, progressText),
      learnHint,
    ),
    report,
    chartTitle,
    canvas,
    legend,
  );
}
