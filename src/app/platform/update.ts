/**
 * Service worker registration with the prompt flow: a new version installs in the background and waits; the UI
 * shows "A new version is ready — reload" (`onUpdateReady`), and `applyUpdate()` activates it and reloads once it
 * controls the page. Nothing reloads behind the user's back (a learning round may be writing its checkpoint).
 */
import { Workbox } from 'workbox-window';

let workbox: Workbox | null = null;
let updateWaiting = false;
let offlineReady = false;
const listeners = new Set<() => void>();
const offlineListeners = new Set<() => void>();

/** Registers the service worker (production builds only); resolves true once registered. */
export async function registerServiceWorker(): Promise<boolean> {
  if (workbox) return true;
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator) || import.meta.env.DEV) return false;
  const base = import.meta.env.BASE_URL;
  workbox = new Workbox(`${base}sw.js`, { scope: base, type: 'module' });
  workbox.addEventListener('waiting', () => {
    updateWaiting = true;
    for (const cb of listeners) cb();
  });
  workbox.addEventListener('installed', (event) => {
    // The first install: everything is precached, the app now works offline.
    if (event.isUpdate) return;
    offlineReady = true;
    for (const cb of offlineListeners) cb();
  });
  try {
    await workbox.register();
    return true;
  } catch (error) {
    console.warn('Service worker registration failed: the app will not work offline', error);
    workbox = null;
    return false;
  }
}

/** Calls `cb` when a new version is installed and waiting (at once if one already is); returns an unsubscribe. */
export function onUpdateReady(cb: () => void): () => void {
  listeners.add(cb);
  if (updateWaiting) cb();
  return () => listeners.delete(cb);
}

/** Calls `cb` once the first install has precached the app (it now works offline); returns an unsubscribe. */
export function onOfflineReady(cb: () => void): () => void {
  offlineListeners.add(cb);
  if (offlineReady) cb();
  return () => offlineListeners.delete(cb);
}

/** Activates the waiting version and reloads the page when it takes control. */
export function applyUpdate(): void {
  if (!workbox || !updateWaiting) return;
  workbox.addEventListener('controlling', () => window.location.reload());
  workbox.messageSkipWaiting();
}

