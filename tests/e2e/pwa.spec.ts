/**
 * The app as a PWA: the service worker installs and controls the page, the manifest is valid and Chromium finds
 * the app installable, the whole app (backbone, WASM, learning) works with the server stopped, and a new version
 * waits for the user's "reload" instead of reloading by itself.
 */
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_ARGS, CHROMIUM_PATH } from './chromium';
import { serveDist, type DistServer } from './pwa-server';

let server: DistServer | null = null;
let context: BrowserContext | null = null;
let profileDir: string | null = null;

test.afterEach(async () => {
  await context?.close();
  context = null;
  await server?.close().catch(() => undefined);
  server = null;
  if (profileDir) rmSync(profileDir, { recursive: true, force: true, maxRetries: 3 });
  profileDir = null;
});

/** Waits until a service worker is active and controls `page`. */
async function waitForControl(page: Page): Promise<void> {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
}

test('first visit: the service worker installs, precaches the app and controls the page; the manifest is valid and installable', async () => {
  server = await serveDist();
  // A real profile (Playwright's default contexts are incognito, where Chromium never offers installation).
  const profile = mkdtempSync(path.join(tmpdir(), 'retain-pwa-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: BASE_ARGS, headless: true });
  const page = context.pages()[0] ?? (await context.newPage());
  profileDir = profile;
  await page.goto(`${server.url}/`);
  await waitForControl(page);

  // Everything the app needs offline is in the precache: shell, worker, tfjs's .wasm, the backbone.
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
  expect(cached).toContain('/index.html');
  expect(cached).toContain('/manifest.webmanifest');
  expect(cached).toContain('/models/mobilenet_v2/model.json');
  expect(cached).toContain('/models/mobilenet_v2/group1-shard1of1.bin');
  expect(cached.some((u) => /\/assets\/learner\.worker-.*\.js$/.test(u))).toBe(true);
  expect(cached.filter((u) => u.endsWith('.wasm')).length).toBe(3);

  // The manifest: linked, served with its MIME type, the fields Chromium needs, icons that load at their size.
  const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(manifestHref).toBe('/manifest.webmanifest');
  const response = await page.request.get(`${server.url}/manifest.webmanifest`);
  expect(response.headers()['content-type']).toContain('application/manifest+json');
  const manifest = await response.json();
  expect(manifest.name).toBe('Retain');
  expect(manifest.short_name).toBeTruthy();
  expect(manifest.start_url).toBe('/');
  expect(manifest.scope).toBe('/');
  expect(manifest.display).toBe('standalone');
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
  const icons = manifest.icons as { src: string; sizes: string; type: string; purpose?: string }[];
  expect(icons.map((i) => `${i.sizes}:${i.purpose ?? 'any'}`).sort()).toEqual(['192x192:any', '512x512:any', '512x512:maskable']);
  const sizes = await page.evaluate(async (list) => {
    const out: string[] = [];
    for (const icon of list) {
      const blob = await (await fetch(icon.src)).blob();
      const bitmap = await createImageBitmap(blob);
      out.push(`${blob.type}:${bitmap.width}x${bitmap.height}`);
    }
    return out;
  }, icons);
  expect(sizes).toEqual(icons.map((i) => `image/png:${i.sizes}`));

  // Chromium's own verdict.
  const cdp = await context.newCDPSession(page);
  const app = (await cdp.send('Page.getAppManifest')) as { url: string; errors: { message: string }[] };
  expect(app.url).toBe(`${server.url}/manifest.webmanifest`);
  expect(app.errors).toEqual([]);
  const installability = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
  expect(installability.installabilityErrors).toEqual([]);
});

test('offline: with the server stopped the app loads, the backbone embeds, a sample is added and a round learns', async ({ browser }) => {
  server = await serveDist();
  context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  await page.goto(`${server.url}/lab/platform.html`);
  await page.waitForFunction(() => window.retainLab !== undefined);
  expect(await page.evaluate(() => window.retainLab.swRegistered)).toBe(true);
  await waitForControl(page);

  const base = server.url;
  await server.close();
  server = null;
  // Proof the network is gone: an uncached URL fails.
  const reachable = await page.evaluate(async (u) => fetch(`${u}/not-cached-${Date.now()}`).then(() => true, () => false), base);
  expect(reachable).toBe(false);

  await page.reload();
  await page.waitForFunction(() => window.retainLab !== undefined);
  const result = await page.evaluate(async () => {
    const { LearnerClient, makeScene } = window.retainLab;
    const client = await LearnerClient.start({ backend: 'wasm', project: `offline-${Date.now()}` });
    const a = await client.addClass('Circles');
    const b = await client.addClass('Squares');
    for (let i = 0; i < 6; i++) {
      await client.addSample(a.id, await makeScene(0, i), 'file');
      await client.addSample(b.id, await makeScene(1, i), 'file');
    }
    const round = await client.learn({ preset: 'balanced', advanced: { epochs: 10 } });
    const predicted = await client.predict(await makeScene(0, 100));
    const status = await client.status();
    client.terminate();
    return { round, top: predicted.top, circles: a.id, status };
  });
  expect(result.status.backend).toBe('wasm');
  expect(result.round.cancelled).toBe(false);
  expect(result.round.round).toBe(1);
  expect(result.status.classes.every((c) => c.learned)).toBe(true);
  expect(result.top).toBe(result.circles);

  // The app itself (index.html, its scripts and styles) also starts offline.
  await page.goto(`${base}/`);
  await expect(page.getByTestId('app')).toBeVisible();
  await expect(page.getByTestId('backend-badge')).not.toHaveText('starting…', { timeout: 120_000 });
  await expect(page.getByTestId('app-error')).toHaveCount(0);
});

test('update: a new version waits, the page shows "reload", and reloading activates it', async ({ browser }) => {
  server = await serveDist();
  context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/lab/platform.html`);
  await page.waitForFunction(() => window.retainLab !== undefined);
  await waitForControl(page);
  const firstScript = await page.evaluate(() => navigator.serviceWorker.controller!.scriptURL);

  // Deploy a "new version" (a changed sw.js) and visit again: it installs and waits.
  server.setServiceWorkerSuffix(`// version ${Date.now()}`);
  await page.reload();
  await page.waitForFunction(() => window.retainLab !== undefined);
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        window.retainLab.onUpdateReady(() => resolve());
      }),
  );
  const waiting = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    return { waiting: !!reg?.waiting, active: !!reg?.active };
  });
  expect(waiting).toEqual({ waiting: true, active: true });

  // The user accepts: the new worker activates and the page reloads under it.
  const reloaded = page.waitForEvent('load');
  await page.evaluate(() => window.retainLab.applyUpdate());
  await reloaded;
  await page.waitForFunction(() => window.retainLab !== undefined);
  const after = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    return { waiting: !!reg?.waiting, controlled: navigator.serviceWorker.controller !== null };
  });
  expect(after).toEqual({ waiting: false, controlled: true });
  expect(firstScript).toContain('/sw.js');
});
