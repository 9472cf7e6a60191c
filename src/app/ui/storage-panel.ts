/** Storage: space used and available, whether the browser keeps the data, the replay memory budget. */
import type { StorageInfo } from '../client';
import type { UiContext } from './context';
import { errorMessage, formatBytes, h, replaceChildren } from './dom';

/** Builds the storage panel. */
export function storagePanel(ctx: UiContext): HTMLElement {
  const { client, bus } = ctx;
  const meter = h('meter', {
    min: 0,
    max: 1,
    value: 0,
    low: 0.7,
    high: 0.9,
    optimum: 0,
    'data-testid': 'storage-meter',
    'aria-label': 'Storage used',
  });
  const usage = h('p', { 'data-testid': 'storage-usage' });
  const list = h('dl', { class: 'facts' });
  const persistButton = h(
    'button',
    { type: 'button', class: 'small', 'data-testid': 'storage-persist', hidden: true },
    'Ask the browser to keep it',
  );
  const error = h('p', { class: 'field-error', 'data-testid': 'storage-error' });

  function render(s: StorageInfo): void {
    const fraction = s.quota > 0 ? s.usage / s.quota : 0;
    meter.value = fraction;
    usage.textContent =
      s.quota > 0
        ? `${formatBytes(s.usage)} used of ${formatBytes(s.quota)} available to this site`
        : `${formatBytes(s.usage)} used`;
    const fact = (term: string, value: string, testid: string) => [
      h('dt', {}, term),
      h('dd', { 'data-testid': testid }, value),
    ];
    replaceChildren(
      list,
      fact('Pictures stored', String(s.samples), 'storage-samples'),
      fact(
        'Replay memory',
        `up to ${s.memoryBudget} pictures (about ${formatBytes(s.memoryBudget * s.bytesPerSample)})`,
        'storage-budget',
      ),
      fact('Per picture', formatBytes(s.bytesPerSample), 'storage-per-sample'),
      fact(
        'Kept safe',
        s.persisted
          ? 'Yes — the browser will not clear it to free space'
          : 'Not guaranteed — the browser may clear it when space runs low',
        'storage-persisted',
      ),
    );
    persistButton.hidden = s.persisted || !navigator.storage?.persist;
  }

  async function refresh(): Promise<void> {
    try {
      render(await client.storage());
      error.textContent = '';
    } catch (err) {
      error.textContent = `Storage use could not be read: ${errorMessage(err)}`;
    }
  }
  persistButton.addEventListener('click', async () => {
    const granted = await navigator.storage.persist().catch(() => false);
    ctx.notices.toast(
      granted
        ? 'The browser will keep Retain’s data.'
        : 'The browser declined for now (it often agrees once the app is installed or used more).',
    );
    await refresh();
  });
  bus.on('project-changed', () => void refresh());
  bus.on('samples-changed', () => void refresh());
  void refresh();

  return h(
    'section',
    { class: 'panel storage-panel', 'aria-labelledby': 'storage-heading', 'data-testid': 'storage-panel' },
    h('h2', { id: 'storage-heading' }, 'Storage'),
    usage,
    meter,
    list,
    persistButton,
    error,
  );
}
