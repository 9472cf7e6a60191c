/** Metrics: accuracy across rounds as a heatmap, per-class accuracy on held-out pictures, average and forgetting. */
import type { MetricsView } from '../client';
import { accuracyColour } from './charts';
import type { UiContext } from './context';
import { errorMessage, formatPercent, h, replaceChildren } from './dom';
import { t } from '../i18n';

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
    h('h3', {}, 'Accuracy after each round'),
    h(
      'p',
      { class: 'hint small' },
      'Each row is the model after a round; each column is the classes that round taught. A row that gets redder to the left means forgetting.',
    ),
    matrix,
    h('h3', {}, 'Per class (on held-out “test” pictures)'),
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
    empty.textContent =
      'Learn a first round to see how well Retain recognises each class. Every 5th captured picture of a class is kept aside as a test and never trained on.';
    if (!has) return;
    replaceChildren(
      summary,
      stat('rounds', String(m.rounds), 'metrics-rounds', 'Learning rounds completed'),
      stat(
        'average accuracy',
        formatPercent(m.averageAccuracy),
        'metrics-average',
        'Accuracy on all classes after the last round',
      ),
      stat(
        'forgetting',
        formatPercent(m.forgetting),
        'metrics-forgetting',
        'How much accuracy on earlier rounds’ classes dropped from its best, on average (lower is better)',
      ),
    );
    const n = m.accuracyMatrix.length;
    const table = h(
      'table',
      { class: 'matrix' },
      h(
        'caption',
        { class: 'visually-hidden' },
        'Accuracy on each round’s classes (columns) after each round (rows)',
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'after ↓ / on →'),
          m.taskNames.map((t, j) => h('th', { scope: 'col', title: t }, `${j + 1}: ${t}`)),
        ),
      ),
      h(
        'tbody',
        {},
        m.accuracyMatrix.map((row, i) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, `round ${i + 1}`),
            Array.from({ length: Math.max(n, m.taskNames.length) }, (_, j) => {
              const v = row[j];
              if (j > i) return h('td', { class: 'future', title: 'Not taught yet' }, '');
              if (v === null || v === undefined)
                return h('td', { class: 'na', title: 'No held-out pictures' }, '–');
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
            c.accuracy === null ? 'no test pictures' : `${formatPercent(c.accuracy)} of ${c.heldOut}`,
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
      error.textContent = `Metrics could not be read: ${errorMessage(err)}`;
    }
  }
  bus.on('project-changed', () => void refresh());
  void refresh();

  return h(
    'section',
    { class: 'panel metrics-panel', 'aria-labelledby': 'metrics-heading', 'data-testid': 'metrics-panel' },
    h('h2', { id: 'metrics-heading' }, 'How well it remembers'),
    empty,
    body,
    error,
  );
}
