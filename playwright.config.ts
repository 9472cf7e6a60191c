import { defineConfig } from '@playwright/test';
import { BASE_ARGS, BASE_URL, CHROMIUM_PATH, PREVIEW_PORT, WEBGPU_ARGS } from './tests/e2e/chromium';

// One worker: the machine has 2 cores and SwiftShader's WebGPU is CPU-bound.
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 10 * 60_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['html', { open: 'never' }]],
  // Beside a second run's (RETAIN_OUT_DIR) so neither deletes the other's artifacts.
  outputDir: process.env.RETAIN_OUT_DIR ? `test-results-${process.env.RETAIN_OUT_DIR}` : 'test-results',
  use: {
    baseURL: BASE_URL,
    headless: true,
    // The app picks its language from the browser's: the suites read English texts unless they ask otherwise.
    locale: 'en-US',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: { executablePath: CHROMIUM_PATH, args: [...BASE_ARGS, ...WEBGPU_ARGS] },
  },
  webServer: {
    command: `npm run build && npx vite preview --port ${PREVIEW_PORT} --strictPort`,
    url: BASE_URL,
    reuseExistingServer: !process.env.CI,
    timeout: 600_000,
  },
});
