/**
 * Launching Chromium for the memory tests and benchmark so that it can really be killed: the browser is
 * spawned here (own process group, --remote-debugging-port) and Playwright connects over CDP. `kill()` sends
 * SIGKILL to the whole group (browser, renderer, GPU and utility processes) like a power cut of the app.
 */
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { BASE_ARGS, CHROMIUM_PATH } from './chromium';

/** A running Chromium with its default (persistent) context. */
export interface KillableBrowser {
  browser: Browser;
  context: BrowserContext;
  pid: number;
  /** SIGKILL to the browser's whole process group; resolves when the browser process is gone. */
  kill(): Promise<void>;
  /** Graceful shutdown (Browser.close over CDP), so profile data is flushed as on a normal quit. */
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts headless Chromium on `userDataDir` and connects Playwright to it. */
export async function launchKillable(userDataDir: string, extraArgs: string[] = []): Promise<KillableBrowser> {
  // A SIGKILLed browser leaves its singleton lock behind.
  for (const f of ['SingletonLock', 'SingletonSocket', 'SingletonCookie']) rmSync(path.join(userDataDir, f), { force: true });
  const child = spawn(
    CHROMIUM_PATH,
    [...BASE_ARGS, '--headless=new', `--user-data-dir=${userDataDir}`, '--remote-debugging-port=0', ...extraArgs, 'about:blank'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const ws = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code}):\n${err}`));
    });
  });
  // Keep draining stderr so the pipe never fills.
  child.stderr!.on('data', () => undefined);
  const browser = await chromium.connectOverCDP(ws);
  const context = browser.contexts()[0];
  const pid = child.pid!;
  const kill = async () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await exited(child);
  };
  return {
    browser,
    context,
    pid,
    kill,
    async close() {
      try {
        const session = await browser.newBrowserCDPSession();
        await session.send('Browser.close');
      } catch {
        // The connection drops while closing.
      }
      await Promise.race([exited(child), new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) await kill();
    },
  };
}

/** Opens the memory lab page and waits until `window.memoryLab` is ready. */
export async function openLab(context: BrowserContext, baseURL: string): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${baseURL.replace(/\/$/, '')}/lab/memory.html`);
  await page.waitForFunction(() => (window as unknown as { memoryLab?: { ready: boolean } }).memoryLab?.ready === true, null, { timeout: 60_000 });
  return page;
}
