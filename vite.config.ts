import { defineConfig } from 'vite';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

// Every page of the multi-page build: the app (index.html), the benchmark page and the lab pages under lab/
// that the browser tests and benchmarks drive.
const pages = Object.fromEntries(
  [
    ...readdirSync('.').filter((f) => f.endsWith('.html')),
    ...(existsSync('lab') ? readdirSync('lab').filter((f) => f.endsWith('.html')).map((f) => `lab/${f}`) : []),
  ].map((file) => [
    file.replace(/\.html$/, '').replace(/[\\/]/g, '-'),
    path.resolve(file),
  ]),
);

export default defineConfig({
  build: {
    target: 'es2022',
    rollupOptions: { input: pages },
  },
  worker: { format: 'es' },
});
