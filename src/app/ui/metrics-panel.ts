/** Metrics: accuracy across rounds as a heatmap, per-class accuracy on held-out pictures, average and forgetting. */
import type { MetricsView } from '../client';
import { accuracyColour } from './charts';
import type { UiContext } from './context';
import { errorMessage, formatPercent, h, replaceChildren } from './dom';
import { formatNumber, t } from '../i18n';

/** Builds the metrics panel. */
export function metricsPanel(ctx: UiContext): HTMLElement {
  const { client, bus, store } = ctx;
  const summary = h('div', { class: 'stats', 'data-testid': 'metrics-summary' });
  // A scroll region a keyboard can reach (axe: scrollable-region-focusable): focus it, then arrow keys scroll.
  const matrix = h('div', {
    class: 'matrix-wrap',
    'data-testid': 'accuracy-matrix',
    tabindex: 0,
    role: 'region',
    'aria-label': t('metrics.tableRegion'),
  });
  const perClass = h('ul', { class: 'per-class', 'data-testid': 'per-class' });
  const empty = h('p', { class: 'empty', 'data-testid': 'metrics-empty' });
  const body = h(
    'div',
    {},
    summary,
    h('h3', {}, t('metrics.matrixTitle')),
    h('p', { class: 'hint small' }, t('metrics.matrixHint')),
    matrix,
    h('h3', {}, t('metrics.perClassTitle')),
    perClass,
  );

  function stat(label: string, value: string, testid: string, title: string): HTMLElement {
    return h(
      'div',
      { class: 'stat', title },
      h('span', { class: 'stat-value', 'data-testid': testid }, value),
      h('span', { class: 'stat-label' }, label),
    );
  }

  function render(m: MetricsView): void {
    const has = m.rounds > 0;
    empty.hidden = has;
    body.hidden = !has;
    empty.textContent = t('metrics.empty');
    if (!has) return;
    replaceChildren(
      summary,
      stat(t('metrics.rounds'), formatNumber(m.rounds), 'metrics-rounds', t('metrics.roundsTitle')),
      stat(
        t('metrics.average'),
        formatPercent(m.averageAccuracy),
        'metrics-average',
        t('metrics.averageTitle'),
      ),
      stat(
        t('metrics.forgetting'),
        formatPercent(m.forgetting),
        'metrics-forgetting',
        t('metrics.forgettingTitle'),
      ),
    );
    const n = m.accuracyMatrix.length;
    const table = h(
      'table',
      { class: 'matrix' },
      h('caption', { class: 'visually-hidden' }, t('metrics.caption')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('metrics.corner')),
          m.taskNames.map((name, j) => {
            const deleted = m.taskDeleted?.[j] ?? 0;
            const label =
              deleted > 0 ? t('learnState.withDeleted', { names: name || '—', count: deleted }) : name;
            return h(
              'th',
              { scope: 'col', title: label, 'data-testid': 'matrix-task' },
              `${j + 1}: ${label}`,
            );
          }),
        ),
      ),
      h(
        'tbody',
        {},
        m.accuracyMatrix.map((row, i) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, t('metrics.round', { n: i + 1 })),
            Array.from({ length: Math.max(n, m.taskNames.length) }, (_, j) => {
              const v = row[j];
              if (j > i) return h('td', { class: 'future', title: t('metrics.notYet') }, '');
              if (v === null || v === undefined)
                return h('td', { class: 'na', title: t('metrics.noHeldOut') }, '–');
              return h(
                'td',
                { style: `background:${accuracyColour(v)}`, 'data-value': v.toFixed(4) },
                formatPercent(v),
              );
            }),
          ),
        ),
      ),
    );
    replaceChildren(matrix, table);
    const colours = new Map(store.state.classes.map((c) => [c.id, c.colour]));
    replaceChildren(
      perClass,
      m.perClass.map((c) =>
        h(
          'li',
          { 'data-testid': 'per-class-row', 'data-class-id': c.classId },
          h('span', { class: 'bar-label' }, c.name),
          h(
            'span',
            { class: 'bar' },
            h('span', {
              class: 'bar-fill',
              style: `width:${((c.accuracy ?? 0) * 100).toFixed(1)}%;background:${colours.get(c.classId) ?? 'var(--accent)'}`,
            }),
          ),
          h(
            'span',
            { class: 'bar-value' },
            c.accuracy === null
              ? t('metrics.noTestPictures')
              : t('metrics.ofHeldOut', { percent: formatPercent(c.accuracy), n: formatNumber(c.heldOut) }),
          ),
        ),
      ),
    );
  }

  const error = h('p', { class: 'field-error', 'data-testid': 'metrics-error' });
  async function refresh(): Promise<void> {
    try {
      render(await client.metrics());
      error.textContent = '';
    } catch (err) {
      error.textContent = t('metrics.failed', { reason: errorMessage(err) });
    }
  }
  bus.on('project-changed', () => void refresh());
  // Renames and deletes change the table's names and rows without a round: re-read it when the class list does.
  let classKey = '';
  store.subscribe((s) => {
    const key = s.classes.map((c) => `${c.id}:${c.name}`).join('\n');
    if (key !== classKey && classKey !== '' && !s.learning) void refresh();
    classKey = key;
  });
  void refresh();

  return h(
    'section',
    { class: 'panel metrics-panel', 'aria-labelledby': 'metrics-heading', 'data-testid': 'metrics-panel' },
    h('h2', { id: 'metrics-heading' }, t('metrics.heading')),
    empty,
    body,
    error,
  );
}
