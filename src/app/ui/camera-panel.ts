/** The camera panel: live preview, camera switching, hold-to-capture into the selected class. */
import type { UiContext } from './context';
import type { CameraState } from './camera';
import { formatNumber, t } from '../i18n';
import { CaptureRate, mirrorToggle } from './camera-extras';
import { errorMessage, h, replaceChildren } from './dom';
import { codeOf } from './notices';

/** Milliseconds between captured frames while holding (about 10 frames a second). */
const CAPTURE_INTERVAL_MS = 100;
/** Frames allowed in the worker's queue at once; slower devices capture fewer frames instead of lagging. */
const MAX_CAPTURES_IN_FLIGHT = 2;

/** Builds the camera panel. */
export function cameraPanel(ctx: UiContext): HTMLElement {
  const { camera, store, client, notices, bus } = ctx;
  const video = camera.video;
  video.setAttribute('data-testid', 'camera-video');
  video.muted = true;
  video.playsInline = true;
  video.setAttribute('aria-label', t('camera.previewLabel'));

  const messageText = h('p', {});
  const startButton = h(
    'button',
    { type: 'button', class: 'primary', 'data-testid': 'camera-start' },
    t('camera.start'),
  );
  const message = h(
    'div',
    { class: 'stage-message', 'data-testid': 'camera-message' },
    messageText,
    startButton,
  );
  const overlay = h('div', { class: 'stage-overlay', 'data-testid': 'capture-overlay', hidden: true });
  const stage = h('div', { class: 'stage' }, video, message, overlay);

  const stopButton = h('button', { type: 'button', 'data-testid': 'camera-stop' }, t('camera.stop'));
  const switchButton = h(
    'button',
    { type: 'button', 'data-testid': 'camera-switch', hidden: true },
    t('camera.switch'),
  );
  const mirrorButton = mirrorToggle(stage);
  const toolbar = h('div', { class: 'toolbar' }, mirrorButton, stopButton, switchButton);
  const rate = new CaptureRate();

  const select = h('select', { id: 'capture-class', 'data-testid': 'capture-class' });
  const captureButton = h(
    'button',
    {
      type: 'button',
      class: 'capture-button',
      'data-testid': 'capture-button',
      'aria-pressed': 'false',
      'aria-describedby': 'capture-hint',
    },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', { class: 'capture-label' }, t('camera.holdToCapture')),
  );
  const hint = h('p', { id: 'capture-hint', class: 'hint' });
  const count = h('p', { class: 'capture-count', 'data-testid': 'capture-count', 'aria-live': 'polite' });
  const captureRow = h(
    'div',
    { class: 'capture' },
    h('div', { class: 'capture-target' }, h('label', { for: 'capture-class' }, t('camera.addTo')), select),
    captureButton,
    hint,
    count,
  );

  // --- Camera state --------------------------------------------------------------------------------------------
  const renderCamera = (s: CameraState) => {
    stage.dataset.state = s.kind;
    message.hidden = s.kind === 'live';
    stopButton.hidden = s.kind !== 'live';
    mirrorButton.hidden = s.kind !== 'live';
    startButton.hidden = s.kind === 'starting';
    switch (s.kind) {
      case 'off':
        messageText.textContent = t('camera.off');
        startButton.textContent = t('camera.start');
        break;
      case 'starting':
        messageText.textContent = t('camera.starting');
        break;
      case 'error':
        messageText.textContent = s.message;
        startButton.textContent = t('camera.tryAgain');
        message.dataset.reason = s.reason;
        break;
      case 'live':
        void camera.hasSeveralCameras().then((several) => {
          switchButton.hidden = !several;
        });
        switchButton.textContent = s.facing === 'user' ? t('camera.useBack') : t('camera.useFront');
        break;
    }
    renderCaptureAvailability();
  };
  camera.onChange(renderCamera);
  startButton.addEventListener('click', () => void camera.start());
  stopButton.addEventListener('click', () => camera.stop());
  switchButton.addEventListener('click', () => void camera.switchFacing());

  // --- Class selection -----------------------------------------------------------------------------------------
  select.addEventListener('change', () => store.set({ selectedClassId: select.value || null }));
  store.subscribe((s, prev) => {
    if (
      s.classes !== prev.classes ||
      s.selectedClassId !== prev.selectedClassId ||
      select.options.length === 0
    ) {
      replaceChildren(
        select,
        s.classes.length === 0
          ? h('option', { value: '' }, t('camera.noClass'))
          : s.classes.map((c) => h('option', { value: c.id, selected: c.id === s.selectedClassId }, c.name)),
      );
      select.value = s.selectedClassId ?? '';
    }
    renderCaptureAvailability();
  });

  function renderCaptureAvailability(): void {
    const s = store.state;
    const cls = s.classes.find((c) => c.id === s.selectedClassId);
    const blocked = !cls
      ? t('camera.needClass')
      : camera.state.kind !== 'live'
        ? t('camera.needCamera')
        : s.learning
          ? t('camera.pausedLearning')
          : s.busy
            ? t('camera.wait', { task: s.busy })
            : null;
    select.disabled = s.classes.length === 0 || s.capturing;
    captureButton.setAttribute('aria-disabled', String(blocked !== null && !s.capturing));
    captureButton.classList.toggle('is-blocked', blocked !== null && !s.capturing);
    // The rate is the one measured on this device, not a promise: unknown until a first hold.
    const name = cls?.name ?? '';
    hint.textContent =
      blocked ??
      (rate.value === null
        ? t('camera.hintHold', { name })
        : t('camera.hintHoldRate', { name, rate: formatNumber(rate.value, rate.value < 10 ? 1 : 0) }));
  }

  // --- Hold to capture -----------------------------------------------------------------------------------------
  let holding = false;
  let inFlight = 0;
  let captured = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let targetId: string | null = null;

  const canCapture = () => {
    const s = store.state;
    return camera.state.kind === 'live' && !!s.selectedClassId && !s.learning && !s.busy;
  };

  function startCapture(): void {
    if (holding) return;
    if (!canCapture()) {
      renderCaptureAvailability();
      hint.classList.remove('nudge');
      void hint.offsetWidth; // restart the nudge animation
      hint.classList.add('nudge');
      return;
    }
    holding = true;
    captured = 0;
    rate.start();
    targetId = store.state.selectedClassId;
    captureButton.setAttribute('aria-pressed', 'true');
    captureButton.querySelector('.capture-label')!.textContent = t('camera.capturing');
    store.set({ capturing: true });
    overlay.hidden = false;
    tick();
  }

  function tick(): void {
    if (!holding || !targetId) return;
    const classId = targetId;
    if (inFlight < MAX_CAPTURES_IN_FLIGHT && camera.ready) {
      inFlight++;
      camera
        .grab()
        .then((frame) => client.addSample(classId, frame, 'camera'))
        .then(() => {
          // The worker's 'classes' event updates the counts; this counts the burst.
          captured++;
          if (holding) rate.landed();
          renderCount();
        })
        .catch((err: unknown) => {
          stopCapture();
          notices.error(t('camera.captureFailed', { reason: errorMessage(err) }), codeOf(err));
        })
        .finally(() => {
          inFlight--;
          if (holding) return;
          if (inFlight === 0) finishCapture();
          else renderCount();
        });
    }
    timer = setTimeout(tick, CAPTURE_INTERVAL_MS);
  }

  function renderCount(): void {
    const cls = store.state.classes.find((c) => c.id === targetId);
    const text = cls
      ? t('camera.burst', { n: captured, name: cls.name, total: cls.sampleCount })
      : t('camera.burstShort', { n: captured });
    count.textContent = !holding && inFlight > 0 ? t('camera.saving', { text, n: inFlight }) : text;
    overlay.textContent = holding ? `● ${text}` : t('camera.savingOverlay', { text });
  }

  function stopCapture(): void {
    if (!holding) return;
    holding = false;
    clearTimeout(timer);
    if (rate.stop()) renderCaptureAvailability();
    captureButton.setAttribute('aria-pressed', 'false');
    captureButton.querySelector('.capture-label')!.textContent = t('camera.holdToCapture');
    if (inFlight === 0) finishCapture();
    else renderCount();
  }

  function finishCapture(): void {
    renderCount();
    overlay.hidden = true;
    store.set({ capturing: false });
    if (targetId) bus.emit('samples-changed', { classId: targetId });
    void ctx.refreshStatus();
  }

  captureButton.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    captureButton.setPointerCapture(e.pointerId);
    e.preventDefault();
    startCapture();
  });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) {
    captureButton.addEventListener(type, () => stopCapture());
  }
  // Long-press on phones would open the context menu over the button.
  captureButton.addEventListener('contextmenu', (e) => e.preventDefault());
  const isHoldKey = (e: KeyboardEvent) => e.key === ' ' || e.key === 'Enter';
  captureButton.addEventListener('keydown', (e) => {
    if (!isHoldKey(e)) return;
    e.preventDefault();
    e.stopPropagation();
    if (!e.repeat) startCapture();
  });
  captureButton.addEventListener('keyup', (e) => {
    if (!isHoldKey(e)) return;
    e.preventDefault();
    e.stopPropagation();
    stopCapture();
  });
  // Space anywhere outside a form control also captures (the camera is usually aimed with both hands).
  const typingTarget = (t: EventTarget | null) =>
    t instanceof HTMLElement &&
    (t.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT|BUTTON|SUMMARY|A)$/.test(t.tagName) ||
      t.closest('dialog'));
  window.addEventListener('keydown', (e) => {
    if (e.key !== ' ' || typingTarget(e.target)) return;
    e.preventDefault();
    if (!e.repeat) startCapture();
  });
  window.addEventListener('keyup', (e) => {
    if (e.key === ' ' && holding) stopCapture();
  });
  window.addEventListener('blur', () => stopCapture());
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) stopCapture();
  });

  renderCamera(camera.state);
  return h(
    'section',
    { class: 'panel camera-panel', 'aria-labelledby': 'camera-heading', 'data-testid': 'camera-panel' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'camera-heading' }, t('camera.heading')), toolbar),
    stage,
    captureRow,
  );
}
