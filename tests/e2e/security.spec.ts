/**
 * The built app under its Content-Security-Policy: every page carries the policy, and each of the four backends
 * (WebGPU, WebGL, WASM, CPU) loads the backbone, learns a round and predicts with no violation. A host that sends
 * COOP/COEP (the page becomes cross-origin isolated) does not kill the learner worker: the threaded WASM build,
 * which breaks once minified, is never selected.
 */
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BASE_ARGS, CHROMIUM_PATH, DIST_DIR, WEBGPU_ARGS } from './chromium';
import { serveDist, type DistServer } from './pwa-server';

let server: DistServer | null = null;
let context: BrowserContext | null = null;

test.afterEach(async () => {
  await context?.close();
  context = null;
  await server?.close().catch(() => undefined);
  server = null;
});

/** A fresh incognito context on `server`, collecting console errors, page errors and CSP violation reports. */
async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...BASE_ARGS, ...WEBGPU_ARGS], headless: true });
  context = await browser.newContext();
  context.on('close', () => void browser.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // A missing resource is reported by its response below, with its URL.
    if (m.text().startsWith('Failed to load resource')) return;
    if (m.type() === 'error' || /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('response', (r) => {
    // The browser's own favicon probe is not the app's.
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(url);
  return { page, problems };
}

/** Starts the learner on `backend` in the lab page, teaches two classes, learns a round and predicts. */
async function learnOn(page: Page, backend: string): Promise<{ backend: string; top: string | null; expected: string; rounds: number }> {
  await page.waitForFunction(() => window.retainLab !== undefined);
  return page.evaluate(async (backend) => {
    const { LearnerClient, makeScene } = window.retainLab;
    const client = await LearnerClient.start({ backend: backend as 'wasm', project: `csp-${backend}-${Date.now()}` });
    try {
      const ids: string[] = [];
      for (const [k, name] of ['Circles', 'Squares'].entries()) {
        const c = await client.addClass(name);
        ids.push(c.id);
        for (let i = 0; i < 3; i++) await client.addSample(c.id, await makeScene(k, i), 'file');
      }
      await client.learn({ preset: 'balanced', advanced: { epochs: 8 } });
      const prediction = await client.predict(await makeScene(1, 77));
      const status = await client.status();
      return { backend: status.backend, top: prediction.top, expected: ids[1], rounds: status.rounds };
    } finally {
      client.terminate();
    }
  }, backend);
}

test('every built page carries the Content-Security-Policy; no page has an inline script', () => {
  for (const file of ['index.html', 'bench.html', 'lab/platform.html']) {
    const html = readFileSync(path.resolve(DIST_DIR, file), 'utf8');
    const policy = (/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '').replaceAll('&#39;', "'");
    expect(policy, file).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(policy, file).toContain("object-src 'none'");
    expect(policy, file).toContain("base-uri 'none'");
    expect(policy, file).toContain("img-src 'self' blob: data:");
    expect(policy, file).toContain("connect-src 'self'");
    expect(policy, file).not.toContain('unsafe-inline');
    // Every <script> has a src: an inline one would be refused by the policy.
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag, file).toMatch(/\bsrc=/);
  }
});

for (const backend of ['webgpu', 'webgl', 'wasm', 'cpu']) {
  test(`under the policy the ${backend} backend loads the backbone, learns and predicts with no violation`, async () => {
    server = await serveDist();
    const { page, problems } = await open(`${server.url}/lab/platform.html`);
    const result = await learnOn(page, backend);
    expect(result.backend).toBe(backend);
    expect(result.rounds).toBe(1);
    expect(result.top).toBe(result.expected);
    expect(problems).toEqual([]);
  });
}

test('a host sending COOP/COEP (cross-origin isolated): the app starts, the worker learns on WASM and predicts', async () => {
  server = await serveDist(undefined, {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  });
  const { page, problems } = await open(`${server.url}/lab/platform.html`);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const result = await learnOn(page, 'wasm');
  expect(result).toMatchObject({ backend: 'wasm', rounds: 1 });
  expect(result.top).toBe(result.expected);
  // The app itself boots under those headers too (its worker, backbone and stored project).
  await page.goto(`${server.url}/`);
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true', { timeout: 120_000 });
  await expect(page.getByTestId('app-error')).toHaveCount(0);
  expect(problems).toEqual([]);
});
