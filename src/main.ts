/** Composition root: starts the learner client, mounts the screens, hooks the service-worker update prompt. */
import './app/ui/styles.css';
import { LearnerClient } from './app/client';
import { mountApp } from './app/ui/app';

const root = document.getElementById('app');
if (!root) throw new Error('index.html must contain <div id="app">');

const app = mountApp(root, () => LearnerClient.start());

// Exposed for the end-to-end tests and for debugging from the console.
(window as unknown as { retain: typeof app }).retain = app;
