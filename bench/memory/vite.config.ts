import { defineConfig } from 'vite';
import path from 'node:path';

/** Builds only the memory lab page (what `bench:memory` needs when dist/ lacks it). */
export default defineConfig({
  // The app's public/ (icons, models) is not needed by the lab page.
  publicDir: false,
  build: {
    target: 'es2022',
    emptyOutDir: true,
    rollupOptions: { input: { 'lab-memory': path.resolve('lab/memory.html') } },
  },
});
