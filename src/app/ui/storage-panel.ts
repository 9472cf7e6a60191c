/** Storage: space used and available, whether the browser keeps the data, the replay memory budget. */
import type { StorageInfo } from '../client';
import type { UiContext } from './context';
import { formatNumber, t } from '../i18n';
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
    'aria-label': t('storage.meterLabel'),
  });
  const usage = h('p', { 'data-testid': 'storage-usage' });
  const list = h('dl', { class: 'facts' });
  const persistButton = h(
    'button',
    { type: 'button', class: 'small', 'data-testid': 'storage-persist', hidden: true },
    t('storage.persist'),
  );
  const error = h('p', { class: 'field-error', 'data-testid': 'storage-error' });

  function render(s: StorageInfo): void {
    const fraction = s.quota > 0 ? s.usage / s.quota : 0;
    meter.value = fraction;
    usage.textContent =
      s.quota > 0
        ? t('storage.usedOf', { used: formatBytes(s.usage), quota: formatBytes(s.quota) })
        : t('storage.used', { used: formatBytes(s.usage) });
    const fact = (term: string, value: string, testid: string) => [
      h('dt', {}, term),
      h('dd', { 'data-testid': testid }, value),
    ];
    replaceChildren(
      list,
      fact(t('storage.pictures'), formatNumber(s.samples), 'storage-samples'),
      fact(
        t('storage.replay'),
        t('storage.replayValue', {
          n: formatNumber(s.memoryBudget),
          size: formatBytes(s.memoryBudget * s.bytesPerSample),
        }),
        'storage-budget',
      ),
      fact(t('storage.perPicture'), formatBytes(s.bytesPerSample), 'storage-per-sample'),
      // The Exact preset's sufficient statistics (in the checkpoint); none with the gradient presets.
      s.statisticsBytes > 0 ? fact(t('storage.statistics'), formatBytes(s.statisticsBytes), 'storage-statistics') : [],
      fact(
        t('storage.keptSafe'),
        s.persisted ? t('storage.persisted') : t('storage.notPersisted'),
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
      error.textContent = t('storage.failed', { reason: errorMessage(err) });
    }
  }
  persistButton.addEventListener('click', async () => {
    const granted = await navigator.storage.persist().catch(() => false);
    ctx.notices.toast(granted ? t('storage.granted') : t('storage.declined'));
    await refresh();
  });
  bus.on('project-changed', () => void refresh());
  bus.on('samples-changed', () => void refresh());
  void refresh();

  return h(
    'section',
    { class: 'panel storage-panel', 'aria-labelledby': 'storage-heading', 'data-testid': 'storage-panel' },
    h('h2', { id: 'storage-heading' }, t('storage.heading')),
    usage,
    meter,
    list,
    persistButton,
    error,
  );
}
