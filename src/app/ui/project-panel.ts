/** The project: export/import as one file, reset (the trained model's export is model-export-panel.ts). */
import type { UiContext } from './context';
import { confirmDialog } from './dialog';
import { dateStamp, downloadBlob, errorMessage, fileButton, h } from './dom';
import { t } from '../i18n';
import { codeOf } from './notices';

/** Builds the project panel. */
export function projectPanel(ctx: UiContext): HTMLElement {
  const { client, store, notices, bus } = ctx;
  const exportButton = h('button', { type: 'button', 'data-testid': 'project-export' }, t('project.export'));
  const resetButton = h(
    'button',
    { type: 'button', class: 'danger', 'data-testid': 'project-reset' },
    t('project.reset'),
  );
  const importer = fileButton({
    label: t('project.import'),
    accept: '.retain,application/octet-stream,application/zip,application/json',
    testid: 'project-import',
    onFiles: (f) => void importFile(f[0]),
  });
  const status = h('p', { class: 'hint', 'data-testid': 'project-status', 'aria-live': 'polite' });

  async function withBusy<T>(label: string, work: () => Promise<T>): Promise<T | undefined> {
    store.set({ busy: label });
    status.textContent = t('project.working', { task: label });
    try {
      return await work();
    } finally {
      store.set({ busy: null });
      status.textContent = '';
    }
  }

  exportButton.addEventListener('click', async () => {
    try {
      const data = await withBusy(t('project.busyExporting'), () => client.exportProject());
      if (data) {
        downloadBlob(data, `retain-project-${dateStamp()}.retain`, 'application/octet-stream');
        notices.toast(t('project.exported'));
      }
    } catch (err) {
      notices.error(t('project.exportFailed', { reason: errorMessage(err) }), codeOf(err));
    }
  });

  async function importFile(file: File): Promise<void> {
    const hasProject = store.state.classes.length > 0;
    if (hasProject) {
      const ok = await confirmDialog({
        title: t('project.replaceTitle'),
        message: t('project.replaceMessage', { file: file.name }),
        confirmLabel: t('project.replaceConfirm'),
        danger: true,
      });
      if (!ok) return;
    }
    try {
      await withBusy(t('project.busyImporting', { file: file.name }), async () =>
        client.importProject(await file.arrayBuffer()),
      );
      notices.dismissErrors();
      notices.toast(t('project.imported', { file: file.name }));
    } catch (err) {
      notices.error(
        t('project.importFailed', { file: file.name, reason: errorMessage(err) }),
        codeOf(err) ?? 'import-refused',
      );
    }
    await ctx.refreshStatus();
    bus.emit('project-changed', {});
  }

  resetButton.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: t('project.resetTitle'),
      message: t('project.resetMessage'),
      confirmLabel: t('project.resetConfirm'),
      danger: true,
    });
    if (!ok) return;
    try {
      await withBusy(t('project.busyResetting'), () => client.reset());
      notices.dismissErrors();
      notices.toast(t('project.resetDone'));
    } catch (err) {
      notices.error(t('project.resetFailed', { reason: errorMessage(err) }), codeOf(err));
    }
    await ctx.refreshStatus();
    bus.emit('project-changed', {});
  });

  store.subscribe((s) => {
    const locked = s.learning || s.capturing || s.busy !== null;
    exportButton.disabled = locked;
    importer.button.disabled = locked;
    resetButton.disabled = locked;
  });

  return h(
    'section',
    { class: 'panel project-panel', 'aria-labelledby': 'project-heading', 'data-testid': 'project-panel' },
    h('h2', { id: 'project-heading' }, t('project.heading')),
    h('p', { class: 'hint' }, t('project.intro')),
    h('div', { class: 'toolbar wrap' }, exportButton, importer.wrap, resetButton),
    status,
  );
}
