/** Composition root: starts the learner client, mounts the screens, hooks the service-worker update prompt. */
import './app/ui/styles.css';
import { LearnerClient } from './app/client';
import { mountApp } from './app/ui/app';
import { applyUpdate, onOfflineReady, onUpdateReady, registerServiceWorker } from './app/platform/update';

const root = document.getElementById('app');
if (!root) throw new Error('index.html must contain <div id="app">');

const app = mountApp(root, () => LearnerClient.start());

// Exposed for the end-to-end tests and for debugging from the console.
(window as unknown as { retain: typeof app }).retain = app;

// Offline support: the service worker precaches the app; a new version waits until the user reloads.
onUpdateReady(() => app.showUpdate(applyUpdate));
onOfflineReady(() => app.showOfflineReady());
void registerServiceWorker();
