/** The app's screen: header, notices, and the panels, wired to one LearnerClient. */
import type { LearnerClient } from '../client';
import { Camera } from './camera';
import { cameraPanel } from './camera-panel';
import { classesPanel } from './classes-panel';
import { Bus, type UiContext } from './context';
import { applyToDocument, t } from '../i18n';
import { errorMessage, h } from './dom';
import { firstRunGuide } from './first-run';
import { installOffer } from './install';
import { languageSwitcher } from './language-switcher';
import { learnPanel } from './learn-panel';
import { metricsPanel } from './metrics-panel';
import { modelExportPanel } from './model-export-panel';
import { comparePanel } from './compare-panel';
import { Notices } from './notices';
import { predictPanel } from './predict-panel';
import { projectPanel } from './project-panel';
import { storagePanel } from './storage-panel';
import { Store } from './store';

/** Human names of the backends. */
const BACKEND_NAMES: Record<string, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly',
  cpu: 'CPU',
};

/** What the composition root can do with the mounted app. */
export interface MountedApp {
  /** Shows the "new version ready" banner; `reload` activates the new version. */
  showUpdate(reload: () => void): void;
  /** Shows the "ready to work offline" notice. */
  showOfflineReady(): void;
  /** The client, once started (tests and diagnostics). */
  client: LearnerClient | null;
}

/** Mounts the app into `root`: shows a loading state, starts the client, then builds the panels. */
export function mountApp(root: HTMLElement, startClient: () => Promise<LearnerClient>): MountedApp {
  applyToDocument();
  const notices = new Notices();
  const badge = h(
    'span',
    { class: 'backend-badge', 'data-testid': 'backend-badge', title: t('app.badgeTitle') },
    t('app.starting'),
  );
  // Until the project is loaded nothing can be lost by a switch; afterwards the store says when work is running.
  let storeRef: Store | null = null;
  const switcher = languageSwitcher({
    busy: () => {
      const s = storeRef?.state;
      return !!s && (s.learning || s.capturing || s.busy !== null);
    },
  });
  // Listening from the start: the browser's install offer can arrive before the panels are built.
  const install = installOffer();
  const header = h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'brand' }, h('h1', {}, 'Retain'), h('p', { class: 'tagline' }, t('app.tagline'))),
    h('div', { class: 'topbar-tools' }, install.button, switcher.element, badge),
  );
  const loading = h(
    'div',
    { class: 'loading', 'data-testid': 'app-loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('p', {}, t('app.loading')),
  );
  const main = h('main', { class: 'layout', 'data-testid': 'app', 'aria-busy': 'true' }, loading);
  root.replaceChildren(header, notices.banners, main, notices.toasts);
  root.removeAttribute('aria-busy');

  const mounted: MountedApp = {
    client: null,
    showUpdate(reload) {
      notices.banner({
        id: 'update',
        kind: 'info',
        message: t('app.updateReady'),
        action: { label: t('app.updateReload'), run: reload, testid: 'update-reload' },
        testid: 'update-banner',
      });
    },
    showOfflineReady() {
      notices.toast(t('app.offlineReady'));
    },
  };

  void (async () => {
    let client: LearnerClient;
    try {
      client = await startClient();
    } catch (err) {
      main.setAttribute('aria-busy', 'false');
      loading.replaceChildren(
        h(
          'p',
          { class: 'field-error', 'data-testid': 'app-error' },
          t('app.startFailed', { reason: errorMessage(err) }),
        ),
        h(
          'button',
          { type: 'button', class: 'primary', onclick: () => location.reload() },
          t('app.tryAgain'),
        ),
      );
      return;
    }
    mounted.client = client;
    const status = await client.status();
    const store = new Store(status);
    storeRef = store;
    store.subscribe(() => switcher.refresh());
    const camera = new Camera(h('video', { autoplay: true, muted: true, playsinline: true }));
    const bus = new Bus();
    const ctx: UiContext = {
      client,
      store,
      notices,
      camera,
      bus,
      async refreshStatus() {
        try {
          store.applyStatus(await client.status());
        } catch (err) {
          notices.error(t('app.statusFailed', { reason: errorMessage(err) }));
        }
      },
    };

    client.on((e) => {
      switch (e.type) {
        case 'classes':
          store.set({ classes: e.classes });
          break;
        case 'backend':
          store.set({ backend: e.backend, backendNote: e.note });
          notices.banner({
            id: 'backend-change',
            kind: 'warning',
            // The worker's note is technical (probe results, the failure): folded under the message as detail.
            message: t('app.backendSwitched', { backend: BACKEND_NAMES[e.backend] ?? e.backend }),
            detail: e.note,
            testid: 'backend-change',
          });
          break;
        case 'error':
          notices.error(e.message, e.code);
          break;
        case 'project-reloaded':
          // Another tab changed, reset or upgraded the project (worker/tab-sync.ts): show what this tab now holds.
          void ctx.refreshStatus();
          bus.emit('project-changed', {});
          if (e.cause === 'other-tab-upgrade')
            notices.banner({
              id: 'other-tab',
              kind: 'warning',
              message: t('tabs.upgraded'),
              action: { label: t('app.updateReload'), run: () => location.reload() },
              dismissible: false,
              testid: 'other-tab',
            });
          else if (e.cause !== 'other-tab-edit')
            notices.banner({
              id: 'other-tab',
              kind: 'info',
              message: e.cause === 'other-tab-reset' ? t('tabs.reloadedReset') : t('tabs.reloadedRound'),
              testid: 'other-tab',
            });
          break;
        case 'progress':
          bus.emit('progress', e);
          break;
      }
    });

    store.subscribe((s, prev) => {
      badge.textContent = BACKEND_NAMES[s.backend] ?? s.backend;
      badge.dataset.backend = s.backend;
      badge.title = [s.backendNote, s.adapter].filter(Boolean).join(' — ');
      if (s.backend !== prev.backend || s === prev) {
        if (s.backend === 'webgpu') notices.dismiss('backend');
        else
          notices.banner({
            id: 'backend',
            kind: 'info',
            message: t('app.backendSlow', { backend: BACKEND_NAMES[s.backend] ?? s.backend }),
            detail: s.backendNote,
            testid: 'backend-notice',
          });
      }
    });

    const guide = firstRunGuide(store, install);
    header.querySelector('.topbar-tools')?.prepend(guide.helpButton);
    main.replaceChildren(
      guide.element,
      h('div', { class: 'col col-live' }, cameraPanel(ctx), predictPanel(ctx)),
      h('div', { class: 'col col-teach' }, classesPanel(ctx), learnPanel(ctx)),
      h('div', { class: 'col col-info' }, metricsPanel(ctx), storagePanel(ctx), projectPanel(ctx), modelExportPanel(ctx), comparePanel(ctx)),
    );
    main.setAttribute('aria-busy', 'false');
    main.dataset.ready = 'true';

    // Start the camera straight away only when the person already allowed it; otherwise wait for a click,
    // so a first visit is not greeted by a permission prompt.
    try {
      const perm = await navigator.permissions?.query({ name: 'camera' as PermissionName });
      if (perm?.state === 'granted') void camera.start();
    } catch {
      // Browsers without the camera permission name: wait for the click.
    }
  })();

  return mounted;
}
