/**
 * Retain's service worker: precaches the whole app (shell, scripts, tfjs's .wasm files, the backbone's model.json
 * and weight shards) so it runs fully offline after the first visit. Updates wait until the page agrees
 * (`SKIP_WAITING` from src/app/platform/update.ts), so a learning round's checkpoint is never cut off by a reload.
 */
/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

// The build injects the list of files (with revisions) here.
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/^backend$/, /^utm_/] });
cleanupOutdatedCaches();

// Navigations to any other in-scope URL (deep links, start_url with a query) get the app shell.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/lab\//, /\.[a-z0-9]+$/i] }));

// The first install takes the open pages at once (nothing to be inconsistent with); later versions wait for the
// page's go-ahead.
clientsClaim();

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
