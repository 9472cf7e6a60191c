/**
 * "Use this model": the Export model button (one zip: model.json, weights.bin, Teachable Machine's metadata.json)
 * and copyable snippets that load the export with plain tfjs or with `@teachablemachine/image`.
 */
import './model-tools.css';
import type { UiContext } from './context';
import { t } from '../i18n';
import { dateStamp, downloadBlob, errorMessage, h } from './dom';
import { codeOf } from './notices';

/** Loading the export with plain tfjs: the input scaling is the one the model documents (pixel / 127 - 1). */
export const TFJS_SNIPPET = `import * as tf from '@tensorflow/tfjs';

// The unzipped folder served next to your page.
const model = await tf.loadLayersModel('retain-model/model.json');
const { labels } = await (await fetch('retain-model/metadata.json')).json();

// Input: 224x224 RGB, the centre square of the picture, pixels p in [0, 255] scaled as p / 127 - 1.
const input = tf.tidy(() => {
  const pixels = tf.browser.fromPixels(canvas); // any <img>, <canvas> or <video>
  const [height, width] = pixels.shape;
  const side = Math.min(height, width);
  const square = pixels.slice([(height - side) >> 1, (width - side) >> 1, 0], [side, side, 3]);
  return tf.image.resizeBilinear(square, [224, 224]).toFloat().div(127).sub(1).expandDims(0);
});
const output = model.predict(input);
const probabilities = await output.data();
tf.dispose([input, output]);
labels.forEach((label, i) => console.log(label, probabilities[i]));`;

/** Loading the export with Teachable Machine's own library (it scales and crops the picture itself). */
export const TEACHABLE_MACHINE_SNIPPET = `<script src="https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4.22.0/dist/tf.min.js"></script>
<script src="https://cdn.jsdelivr.net/npm/@teachablemachine/image@0.8.5/dist/teachablemachine-image.min.js"></script>
<script type="module">
  // The unzipped folder served next to your page.
  const model = await tmImage.load('retain-model/model.json', 'retain-model/metadata.json');
  const predictions = await model.predict(document.querySelector('canvas')); // or an <img>, <video>
  for (const { className, probability } of predictions) console.log(className, probability);
</script>`;

/** A code block with a copy button. */
function snippet(id: string, title: string, code: string): HTMLElement {
  const pre = h('pre', { class: 'snippet-code', 'data-testid': `snippet-${id}`, tabindex: 0 }, h('code', {}, code));
  const status = h('span', { class: 'hint small', 'aria-live': 'polite' });
  const copy = h('button', { type: 'button', 'data-testid': `copy-snippet-${id}` }, t('useModel.copy'));
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(code);
      status.textContent = t('useModel.copied');
    } catch {
      // No clipboard permission (e.g. an insecure context): select the text so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(pre);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      status.textContent = t('useModel.selected');
    }
  });
  return h('div', { class: 'snippet' }, h('div', { class: 'snippet-head' }, h('h3', {}, title), copy, status), pre);
}

/** Builds the "Use this model" panel. */
export function modelExportPanel(ctx: UiContext): HTMLElement {
  const { client, store, notices } = ctx;
  const exportButton = h('button', { type: 'button', 'data-testid': 'model-export' }, t('useModel.export'));
  const status = h('p', { class: 'hint', 'data-testid': 'model-export-status', 'aria-live': 'polite' });

  exportButton.addEventListener('click', async () => {
    store.set({ busy: t('useModel.exporting') });
    status.textContent = t('useModel.exporting');
    try {
      const model = await client.exportImageModel();
      downloadBlob(model.zip, `retain-model-${dateStamp()}.zip`, 'application/zip');
      status.textContent = t('useModel.exported', { classes: model.labels.join(', '), size: model.inputSize });
    } catch (err) {
      status.textContent = '';
      notices.error(t('useModel.failed', { reason: errorMessage(err) }), codeOf(err));
    } finally {
      store.set({ busy: null });
    }
  });

  store.subscribe((s) => {
    exportButton.disabled = s.learning || s.capturing || s.busy !== null || s.rounds === 0;
    exportButton.title = s.rounds === 0 ? t('useModel.nothingYet') : '';
  });

  return h(
    'section',
    { class: 'panel use-model-panel', 'aria-labelledby': 'use-model-heading', 'data-testid': 'use-model-panel' },
    h('h2', { id: 'use-model-heading' }, t('useModel.heading')),
    h('p', { class: 'hint' }, t('useModel.intro')),
    h('div', { class: 'toolbar wrap' }, exportButton),
    status,
    h(
      'details',
      { class: 'use-model-snippets' },
      h('summary', {}, t('useModel.howTo')),
      h('p', { class: 'hint' }, t('useModel.input')),
      snippet('tfjs', t('useModel.tfjsTitle'), TFJS_SNIPPET),
      snippet('tm', t('useModel.tmTitle'), TEACHABLE_MACHINE_SNIPPET),
    ),
  );
}
