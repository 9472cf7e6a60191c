/**
 * `npm run bench:kernels`: fused WGSL kernels vs the tfjs composite ops, in headless Chromium (WebGPU through
 * SwiftShader here, a real GPU elsewhere), in the same page and run, the two paths sampled in alternation. Builds
 * the app if the build folder (dist/, or RETAIN_OUT_DIR) lacks the lab page or with `--rebuild`, serves it with
 * `vite preview` on a free port, runs `kernelsLab.benchmark` and writes bench-results/kernels.json.
 *
 *   npm run bench:kernels                 # full set (about 5 minutes on SwiftShader)
 *   npm run bench:kernels -- --quick      # fewer sizes and samples
 *   RETAIN_OUT_DIR=dist-kernels npm run bench:kernels -- --rebuild   # a fresh build beside another's dist/
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { preview } from 'vite';
import type { BenchOptions, BenchRow } from '../../lab/kernels/bench';
import { BASE_ARGS, CHROMIUM_PATH, DIST_DIR, WEBGPU_ARGS } from '../../tests/e2e/chromium';

const root = path.resolve(import.meta.dirname, '../..');
const quick = process.argv.includes('--quick');
const rebuild = process.argv.includes('--rebuild');

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const options: BenchOptions = quick
  ? {
      ewcSizes: [10_000, 1_000_000],
      fisherSizes: [1_000_000],
      klShapes: [[128, 100]],
      samples: 6,
      trainingStep: true,
    }
  : {
      ewcSizes: [10_000, 100_000, 1_000_000, 4_000_000],
      fisherSizes: [10_000, 100_000, 1_000_000, 4_000_000],
      klShapes: [
        [128, 10],
        [128, 100],
        [512, 100],
        [128, 1000],
      ],
      samples: 9,
      trainingStep: true,
    };

async function main(): Promise<void> {
  // vite.config.ts builds into and previews RETAIN_OUT_DIR (DIST_DIR) when it is set.
  if (rebuild || !existsSync(path.join(root, DIST_DIR, 'lab/kernels.html'))) {
    console.log(`${rebuild ? '--rebuild' : `${DIST_DIR}/lab/kernels.html missing`}: building into ${DIST_DIR}/ (npm run build)…`);
    execSync('npm run build', { cwd: root, stdio: 'inherit' });
  }
  const loadBefore = os.loadavg();
  const port = await freePort();
  const server = await preview({ root, logLevel: 'warn', preview: { port, strictPort: true, open: false } });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...BASE_ARGS, ...WEBGPU_ARGS],
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`http://localhost:${port}/lab/kernels.html`);
    const setup = await page.evaluate(() => window.kernelsLab.ready);
    console.log(
      `backend ${setup.backend}, adapter "${setup.adapter}", fused kernels ${setup.fused ? 'on' : 'OFF'}`,
    );
    if (!setup.fused) throw new Error('WebGPU is not available in the benchmark browser: nothing to compare');
    const started = Date.now();
    const rows: BenchRow[] = await page.evaluate((o) => window.kernelsLab.benchmark(o), options);
    const result = {
      date: new Date().toISOString(),
      command: `npm run bench:kernels${quick ? ' -- --quick' : ''}`,
      machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      browser: `${browser.version()} headless`,
      note:
        'fusedMs/compositeMs: median ms per call over samples of back-to-back calls, one small readback per sample; ' +
        'the two paths are sampled in alternation (ABBA) and ratio is the median of the per-pair ratios composite/fused ' +
        'of adjacent samples, ratioSpread its quartiles, extremes and pair count (ratioOfMedians: compositeMs/fusedMs). ' +
        'effectiveGBps: essential bytes of the fused op (EWC 16 B, Fisher 12 B, KL 12 B per element) / fusedMs.',
      options,
      wallSeconds: Math.round((Date.now() - started) / 1000),
      loadAverage: { before: loadBefore.map((x) => +x.toFixed(2)), after: os.loadavg().map((x) => +x.toFixed(2)) },
      rows,
    };
    mkdirSync(path.join(root, 'bench-results'), { recursive: true });
    writeFileSync(path.join(root, 'bench-results/kernels.json'), JSON.stringify(result, null, 2) + '\n');
    console.table(
      rows.map((r) => ({
        kernel: r.kernel,
        elements: r.elements,
        fusedMs: +r.fusedMs.toFixed(3),
        compositeMs: +r.compositeMs.toFixed(3),
        ratio: +r.ratio.toFixed(2),
        'ratio q1-q3 (pairs)': r.ratioSpread ? `${r.ratioSpread.q1.toFixed(2)}-${r.ratioSpread.q3.toFixed(2)} (${r.ratioSpread.pairs})` : '',
        GBps: +r.effectiveGBps.toFixed(2),
      })),
    );
    console.log('wrote bench-results/kernels.json');
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}

await main();
