/**
 * "Compare with retraining": runs a from-scratch retrain on the stored pictures in the worker (cancellable, with
 * progress) and shows it beside the incremental model: time, old- and new-class accuracy, storage needed. Below,
 * "Which strategy when", with this project's own numbers where it has them.
 */
import './model-tools.css';
import type { RetrainComparison, StrategyFigures } from '../client';
import { formatBytes, formatPercent, formatSeconds, t } from '../i18n';
import type { UiContext } from './context';
import { errorMessage, h, replaceChildren } from './dom';
import { codeOf } from './notices';
import { PRESET_TEXT } from './settings-text';

/** The rows of the comparison: what each shows of one column. */
const ROWS: { id: string; label: () => string; value: (f: StrategyFigures) => string }[] = [
  { id: 'time', label: () => t('compare.rowTime'), value: (f) => formatSeconds(f.seconds) },
  { id: 'old', label: () => t('compare.rowOld'), value: (f) => (f.oldAccuracy === null ? '–' : formatPercent(f.oldAccuracy)) },
  { id: 'new', label: () => t('compare.rowNew'), value: (f) => (f.newAccuracy === null ? '–' : formatPercent(f.newAccuracy)) },
  {
    id: 'storage',
    label: () => t('compare.rowStorage'),
    value: (f) => t('compare.storageValue', { count: f.storedPictures, bytes: formatBytes(f.storageBytes) }),
  },
];

/** The comparison as a table: one row per figure, the incremental model's column beside the retrained one's. */
function comparisonTable(c: RetrainComparison): HTMLElement {
  return h(
    'table',
    { class: 'compare-table', 'data-testid': 'compare-table' },
    h('caption', {}, t('compare.caption', { count: c.heldOut })),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, ''),
        h('th', { scope: 'col', 'data-testid': 'compare-col-incremental' }, t('compare.colIncremental', { preset: PRESET_TEXT[c.preset].name })),
        h('th', { scope: 'col', 'data-testid': 'compare-col-retrain' }, t('compare.colRetrain')),
      ),
    ),
    h(
      'tbody',
      {},
      ROWS.map((row) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, row.label()),
          h('td', { 'data-testid': `compare-${row.id}-incremental` }, row.value(c.incremental)),
          h('td', { 'data-testid': `compare-${row.id}-retrain` }, row.value(c.retrain)),
        ),
      ),
    ),
  );
}

/** "Which strategy when": the presets' trade-offs, and this project's measured ones when compared. */
function strategyHelp(c: RetrainComparison | null): HTMLElement {
  const live = c
    ? h(
        'p',
        { 'data-testid': 'strategy-help-live' },
        t('compare.helpLive', {
          incremental: formatSeconds(c.incremental.seconds),
          retrain: formatSeconds(c.retrain.seconds),
          oldIncremental: c.incremental.oldAccuracy === null ? '–' : formatPercent(c.incremental.oldAccuracy),
          oldRetrain: c.retrain.oldAccuracy === null ? '–' : formatPercent(c.retrain.oldAccuracy),
          storageIncremental: formatBytes(c.incremental.storageBytes),
          storageRetrain: formatBytes(c.retrain.storageBytes),
        }),
      )
    : h('p', { class: 'hint', 'data-testid': 'strategy-help-live' }, t('compare.helpNoNumbers'));
  return h(
    'div',
    { class: 'strategy-help-body' },
    live,
    h(
      'ul',
      {},
      h('li', {}, h('strong', {}, PRESET_TEXT.fast.name), ' — ', t('compare.helpFast')),
      h('li', {}, h('strong', {}, PRESET_TEXT.balanced.name), ' — ', t('compare.helpBalanced')),
      h('li', {}, h('strong', {}, PRESET_TEXT['max-retention'].name), ' — ', t('compare.helpMax')),
      h('li', {}, h('strong', {}, PRESET_TEXT.exact.name), ' — ', t('compare.helpExact')),
      h('li', {}, h('strong', {}, t('compare.retrainName')), ' — ', t('compare.helpRetrain')),
    ),
  );
}

/** Builds the comparison panel. */
export function comparePanel(ctx: UiContext): HTMLElement {
  const { client, store, notices } = ctx;
  const run = h('button', { type: 'button', 'data-testid': 'compare-run' }, t('compare.run'));
  const cancel = h('button', { type: 'button', 'data-testid': 'compare-cancel', hidden: true }, t('compare.cancel'));
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'data-testid': 'compare-progress', 'aria-label': t('compare.progress') });
  const status = h('p', { class: 'hint', 'data-testid': 'compare-status', 'aria-live': 'polite' });
  const result = h('div', { class: 'compare-result', 'data-testid': 'compare-result' });
  const help = h('details', { class: 'strategy-help', 'data-testid': 'strategy-help' }, h('summary', {}, t('compare.helpTitle')), strategyHelp(null));
  let running = false;

  client.on((e) => {
    if (e.type !== 'retrain-progress' || !running) return;
    progress.max = Math.max(1, e.totalSteps);
    progress.value = e.step;
    status.textContent = t('compare.step', { step: e.step, total: e.totalSteps });
  });

  run.addEventListener('click', async () => {
    running = true;
    store.set({ busy: t('compare.busy') });
    cancel.hidden = false;
    cancel.disabled = false;
    progress.hidden = false;
    progress.value = 0;
    status.textContent = t('compare.starting');
    try {
      const c = await client.compareWithRetraining({ preset: store.state.preset });
      replaceChildren(result, comparisonTable(c), h('p', { class: 'hint small' }, t('compare.classes', { old: c.oldClasses.join(', ') || '–', new: c.newClasses.join(', ') || '–' })));
      replaceChildren(help, h('summary', {}, t('compare.helpTitle')), strategyHelp(c));
      status.textContent = t('compare.done');
    } catch (err) {
      const message = errorMessage(err);
      if (/cancelled/.test(message)) status.textContent = t('compare.cancelled');
      else {
        status.textContent = '';
        notices.error(t('compare.failed', { reason: message }), codeOf(err));
      }
    } finally {
      running = false;
      store.set({ busy: null });
      cancel.hidden = true;
      progress.hidden = true;
    }
  });
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    status.textContent = t('compare.cancelling');
    client.cancelCompare();
  });

  store.subscribe((s) => {
    run.disabled = running || s.learning || s.capturing || s.busy !== null || s.rounds === 0;
    run.title = s.rounds === 0 ? t('compare.needRound') : '';
  });

  return h(
    'section',
    { class: 'panel compare-panel', 'aria-labelledby': 'compare-heading', 'data-testid': 'compare-panel' },
    h('h2', { id: 'compare-heading' }, t('compare.heading')),
    h('p', { class: 'hint' }, t('compare.intro')),
    h('div', { class: 'toolbar wrap' }, run, cancel, progress),
    status,
    result,
    help,
  );
}
