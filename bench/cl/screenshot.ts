/**
 * Screenshots bench.html after a tiny run (headless Chromium, WebGPU through SwiftShader), to look at the page:
 *   npx vite --port 5190 --strictPort &   (or vite preview of a build)
 *   npx tsx bench/cl/screenshot.ts [url] [out.png]
 */
import { chromium } from '@playwright/test';
import { BASE_ARGS, CHROMIUM_PATH, WEBGPU_ARGS } from '../../tests/e2e/chromium';

const url =
  process.argv[2] ?? 'http://localhost:5190/bench.html?scenario=split-mnist-class-il&strategy=er&iterations=3&seeds=1&autostart=1';
const out = process.argv[3] ?? 'bench-results/bench-page.png';
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...BASE_ARGS, ...WEBGPU_ARGS] });
const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
page.on('crash', () => console.log('[page crashed]'));
page.on('close', () => console.log('[page closed]'));
page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
await page.goto(url);
const t0 = Date.now();
const limitMs = Number(process.env.BENCH_SHOT_LIMIT_S ?? 600) * 1000;
// Poll (rather than wait on one condition) so a slow or stuck run still shows where it is.
for (;;) {
  await page.waitForTimeout(5000);
  const s = await page.evaluate(() => ({ state: window.retainBench, status: document.getElementById('status')?.textContent }));
  console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s: ${s.status}`);
  if (s.state && (s.state.error !== null || (!s.state.running && s.state.rows.length > 0))) break;
  if (Date.now() - t0 > limitMs) break;
}
const state = await page.evaluate(() => window.retainBench);
console.log(JSON.stringify({ ...state, rows: state?.rows.map((r) => [r.scenario, r.strategy, r.avgAccuracy]) }));
await page.screenshot({ path: out, fullPage: true });
console.log(`screenshot: ${out}`);
await browser.close();
