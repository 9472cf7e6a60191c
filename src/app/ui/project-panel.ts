/** The project: export/import as one file, export of the trained model, reset. */
import type { UiContext } from './context';
import { confirmDialog } from './dialog';
import { dateStamp, downloadBlob, errorMessage, fileButton, h } from './dom';
import { codeOf } from './notices';

/** Name of the weights file a tfjs model.json refers to (so the downloaded pair loads with tf.loadLayersModel). */
function weightsFileName(modelJson: string): string {
  try {
    const parsed = JSON.parse(modelJson) as { weightsManifest?: { paths?: string[] }[] };
    const name = parsed.weightsManifest?.[0]?.paths?.[0];
    if (name && /^[\w.-]+$/.test(name)) return name;
  } catch {
    // Fall through to the conventional name.
  }
  return 'weights.bin';
}

/** Builds the project panel. */
export function projectPanel(ctx: UiContext): HTMLElement {
  const { client, store, notices, bus } = ctx;
  const exportButton = h('button', { type: 'button', 'data-testid': 'project-export' }, 'Export project');
  const modelButton = h('button', { type: 'button', 'data-testid': 'model-export' }, 'Export model');
  const resetButton = h(
    'button',
    { type: 'button', class: 'danger', 'data-testid': 'project-reset' },
    'Reset…',
  );
  const importer = fileButton({
    label: 'Import project…',
    accept: '.retain,application/octet-stream,application/zip,application/json',
    testid: 'project-import',
    onFiles: (f) => void importFile(f[0]),
  });
  const status = h('p', { class: 'hint', 'data-testid': 'project-status', 'aria-live': 'polite' });

  async function withBusy<T>(label: string, work: () => Promise<T>): Promise<T | undefined> {
    store.set({ busy: label });
    status.textContent = `${label[0].toUpperCase()}${label.slice(1)}…`;
    try {
      return await work();
    } finally {
      store.set({ busy: null });
      status.textContent = '';
    }
  }

  exportButton.addEventListener('click', async () => {
    try {
      const data = await withBusy('exporting the project', () => client.exportProject());
      if (data) {
        downloadBlob(data, `retain-project-${dateStamp()}.retain`, 'application/octet-stream');
        notices.toast('Project exported: keep the .retain file to restore it here or on another device.');
      }
    } catch (err) {
      notices.error(`The project could not be exported: ${errorMessage(err)}`, codeOf(err));
    }
  });

  modelButton.addEventListener('click', async () => {
    try {
      const model = await withBusy('exporting the model', () => client.exportModel());
      if (!model) return;
      const weightsName = weightsFileName(model.modelJson);
      downloadBlob(model.modelJson, 'model.json', 'application/json');
      downloadBlob(model.weights, weightsName, 'application/octet-stream');
      downloadBlob(JSON.stringify({ classes: model.classes }, null, 2), 'labels.json', 'application/json');
      notices.toast(
        `Model exported: model.json, ${weightsName} and labels.json (a tfjs layers model on backbone features).`,
      );
    } catch (err) {
      notices.error(`The model could not be exported: ${errorMessage(err)}`, codeOf(err));
    }
  });

  async function importFile(file: File): Promise<void> {
    const hasProject = store.state.classes.length > 0;
    if (hasProject) {
      const ok = await confirmDialog({
        title: 'Replace this project?',
        message: `Importing “${file.name}” replaces every class, picture and the model here. Export the current project first if you want to keep it.`,
        confirmLabel: 'Import and replace',
        danger: true,
      });
      if (!ok) return;
    }
    try {
      await withBusy(`importing “${file.name}”`, async () => client.importProject(await file.arrayBuffer()));
      notices.dismissErrors();
      notices.toast(`Imported “${file.name}”.`);
    } catch (err) {
      notices.error(`“${file.name}” was not imported: ${errorMessage(err)}`, codeOf(err) ?? 'import-refused');
    }
    await ctx.refreshStatus();
    bus.emit('project-changed', {});
  }

  resetButton.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Reset Retain?',
      message:
        'This deletes every class, picture, the model and its metrics from this device. It cannot be undone: export the project first if you may want it back.',
      confirmLabel: 'Delete everything',
      danger: true,
    });
    if (!ok) return;
    try {
      await withBusy('resetting', () => client.reset());
      notices.dismissErrors();
      notices.toast('Everything was deleted. Add a class to start again.');
    } catch (err) {
      notices.error(`Reset failed: ${errorMessage(err)}`, codeOf(err));
    }
    await ctx.refreshStatus();
    bus.emit('project-changed', {});
  });

  store.subscribe((s) => {
    const locked = s.learning || s.capturing || s.busy !== null;
    exportButton.disabled = locked;
    importer.button.disabled = locked;
    resetButton.disabled = locked;
    modelButton.disabled = locked || s.rounds === 0;
    modelButton.title = s.rounds === 0 ? 'Learn a first round to have a model to export' : '';
  });

  return h(
    'section',
    { class: 'panel project-panel', 'aria-labelledby': 'project-heading', 'data-testid': 'project-panel' },
    h('h2', { id: 'project-heading' }, 'Project'),
    h(
      'p',
      { class: 'hint' },
      'Everything stays on this device. Export a project to back it up or move it to another device.',
    ),
    h('div', { class: 'toolbar wrap' }, exportButton, importer.wrap, modelButton, resetButton),
    status,
  );
}
