/** Live predictions: class scores for camera frames (one request in flight at most) or for a picked picture. */
import type { PredictOptions, Prediction } from '../client';
import { savedOverride } from './advanced-settings';
import type { UiContext } from './context';
import { formatMilliseconds, t } from '../i18n';
import { errorMessage, fileButton, formatPercent, h, replaceChildren } from './dom';

/** Below this confidence the top class is shown as a guess ("not sure, maybe …"). */
const UNSURE_BELOW = 0.6;

/** The person's "Not sure" setting from the advanced panel (the table's default when unset). */
function predictOptions(): PredictOptions {
  const notSureAccept = savedOverride('notSureAccept');
  return notSureAccept === undefined ? {} : { notSureAccept };
}

/** Why live predictions are not running, or null when they are. */
function pauseReason(ctx: UiContext): string | null {
  const s = ctx.store.state;
  if (s.rounds === 0) return t('predict.needLearn');
  if (ctx.camera.state.kind !== 'live') return t('predict.needCamera');
  if (s.learning) return t('predict.pausedLearning');
  if (s.capturing) return t('predict.pausedCapturing');
  if (s.busy) return t('predict.paused', { task: s.busy });
  if (document.hidden) return t('predict.pausedHidden');
  return null;
}

/** Builds the predictions panel and starts its loop. */
export function predictPanel(ctx: UiContext): HTMLElement {
  const { client, store, camera } = ctx;
  const top = h('p', {
    class: 'prediction-top',
    'data-testid': 'prediction-top',
    'aria-live': 'off',
    'data-seq': '0',
  });
  const bars = h('ul', { class: 'prediction-bars', 'data-testid': 'prediction-bars' });
  const status = h('p', { class: 'hint', 'data-testid': 'prediction-status' });
  const timing = h('p', { class: 'hint small', 'data-testid': 'prediction-timing' });
  const picker = fileButton({
    label: t('predict.checkFile'),
    accept: 'image/*',
    testid: 'predict-file',
    onFiles: (f) => void checkFile(f[0]),
  });
  const resume = h(
    'button',
    { type: 'button', class: 'small', 'data-testid': 'predict-resume', hidden: true },
    t('predict.backToLive'),
  );
  let seq = 0;
  /** Name of the picked picture whose result stays on screen until the person resumes live predictions. */
  let pinned: string | null = null;
  resume.addEventListener('click', () => {
    pinned = null;
    resume.hidden = true;
  });

  /** Shows one prediction; `source` says where the frame came from. */
  function render(p: Prediction, source: string): void {
    seq++;
    const classes = store.state.classes;
    const best = p.scores.find((s) => s.classId === p.top);
    top.dataset.seq = String(seq);
    top.dataset.topId = p.top ?? '';
    top.dataset.topName = best?.name ?? '';
    top.dataset.source = source;
    top.dataset.notSure = String(!!p.notSure);
    replaceChildren(
      top,
      best
        ? [
            h(
              'span',
              { class: p.notSure ? 'label not-sure' : 'label' },
              // Open set (src/app/worker/open-set.ts): too far from every taught class to name it.
              p.notSure
                ? source === 'camera'
                  ? t('notSure.nearest')
                  : t('notSure.fileNearest', { file: source })
                : source === 'camera'
                ? best.p < UNSURE_BELOW
                  ? t('predict.maybe')
                  : t('predict.looksLike')
                : best.p < UNSURE_BELOW
                  ? t('predict.fileMaybe', { file: source })
                  : t('predict.fileLooksLike', { file: source }),
            ),
            h('strong', {}, best.name),
            ` · ${formatPercent(best.p)}`,
          ]
        : t('predict.nothingLearned'),
    );
    top.style.setProperty('--class-colour', classes.find((c) => c.id === p.top)?.colour ?? 'var(--accent)');
    // Keep the class order stable (the list's order) so bars don't jump around between frames.
    const order = new Map(classes.map((c, i) => [c.id, i]));
    const scores = [...p.scores].sort(
      (a, b) => (order.get(a.classId) ?? 1e9) - (order.get(b.classId) ?? 1e9),
    );
    replaceChildren(
      bars,
      scores.map((sc) => {
        const colour = classes.find((c) => c.id === sc.classId)?.colour ?? 'var(--accent)';
        return h(
          'li',
          {
            class: sc.classId === p.top ? 'is-top' : '',
            'data-testid': 'prediction-row',
            'data-class-id': sc.classId,
            'data-p': String(sc.p),
          },
          h('span', { class: 'bar-label' }, sc.name),
          h(
            'span',
            {
              class: 'bar',
              role: 'meter',
              'aria-label': t('predict.confidence', { name: sc.name }),
              'aria-valuemin': 0,
              'aria-valuemax': 100,
              'aria-valuenow': Math.round(sc.p * 100),
            },
            h('span', { class: 'bar-fill', style: `width:${(sc.p * 100).toFixed(1)}%;background:${colour}` }),
          ),
          h('span', { class: 'bar-value' }, formatPercent(sc.p)),
        );
      }),
    );
    timing.textContent = t('predict.timing', {
      ms: formatMilliseconds(p.ms),
      backend: store.state.backend.toUpperCase(),
    });
  }

  // The loop: grab, predict, render, repeat — strictly one request in flight, so a slow device never queues up.
  async function loop(): Promise<void> {
    for (;;) {
      if (pinned !== null) {
        status.hidden = false;
        status.textContent = t('predict.showingFile', { file: pinned });
        bars.classList.remove('is-stale');
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const reason = pauseReason(ctx);
      status.textContent = reason ?? '';
      status.hidden = reason === null;
      // A picked picture's result stays valid; only an old camera result goes stale.
      bars.classList.toggle('is-stale', reason !== null && top.dataset.source === 'camera');
      if (reason !== null || !camera.ready) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      try {
        const frame = await camera.grab();
        const p = await client.predict(frame, predictOptions());
        if (pauseReason(ctx) === null && pinned === null) render(p, 'camera');
      } catch (err) {
        status.hidden = false;
        status.textContent = t('predict.failed', { reason: errorMessage(err) });
        await new Promise((r) => setTimeout(r, 1000));
      }
      await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    }
  }
  void loop();

  async function checkFile(file: File): Promise<void> {
    if (store.state.rounds === 0) {
      ctx.notices.toast(t('predict.learnFirst'));
      return;
    }
    try {
      const bitmap = await createImageBitmap(file);
      pinned = file.name;
      render(await client.predict(bitmap, predictOptions()), file.name);
      resume.hidden = camera.state.kind !== 'live';
    } catch (err) {
      pinned = null;
      resume.hidden = true;
      ctx.notices.error(t('predict.fileFailed', { file: file.name, reason: errorMessage(err) }));
    }
  }

  // Clear stale bars when classes change (a deleted class must not linger).
  store.subscribe((s, prev) => {
    if (s.rounds === 0 || (prev.classes !== s.classes && s.classes.length < prev.classes.length)) {
      bars.replaceChildren();
      pinned = null;
      resume.hidden = true;
      top.textContent = s.rounds === 0 ? t('predict.nothingLearned') : '';
      delete top.dataset.topId;
      delete top.dataset.topName;
    }
  });

  return h(
    'section',
    { class: 'panel predict-panel', 'aria-labelledby': 'predict-heading', 'data-testid': 'predict-panel' },
    h('h2', { id: 'predict-heading' }, t('predict.heading')),
    top,
    status,
    bars,
    h('div', { class: 'toolbar' }, picker.wrap, resume, timing),
  );
}
