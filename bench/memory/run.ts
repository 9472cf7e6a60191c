/**
 * `npm run bench:memory`: drives lab/memory.html on real IndexedDB in headless Chromium and writes
 * bench-results/memory.json: capture write rate, 5,000-sample replay-memory load time, bytes per sample,
 * SIGKILL crash-consistency trials and corrupted-import refusals; in Node, the semantic import fuzz and the
 * decoder's peak heap (bench/memory/semantic-fuzz.ts). Builds the lab page alone and serves it with a tiny static
 * server on a free port. `MEMORY_BENCH_ONLY=import` runs only the Node part and updates those keys in place.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { launchKillable, openLab, type KillableBrowser } from '../../tests/e2e/memory-browser';
import { runAppImportFuzz, type AppImportFuzzResult } from './app-import-fuzz';
import { measureImportHeap, type ImportHeapResult } from './import-heap';
import { measureRoundSafety, ROUND_SAFETY_TARGETS } from './round-safety';
import { runSemanticFuzz, type SemanticFuzzResult } from './semantic-fuzz';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

function serve(root: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.resolve(root, `.${rel.endsWith('/') ? `${rel}index.html` : rel}`);
    if (!file.startsWith(path.resolve(root)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      // localhost (not 127.0.0.1) so the page is a secure context like the app's.
      resolve({ url: `http://localhost:${port}`, close: () => server.close() });
    }),
  );
}

/**
 * Serves a fresh build of the lab page alone (a few seconds). The shared dist/ is not used: other builds
 * replace it at any moment, and a stale build would measure old code.
 */
async function resolveServer(): Promise<{ url: string; close: () => void; how: string }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'retain-memory-lab-'));
  console.log(`building lab/memory.html into ${root} ...`);
  execFileSync('npx', ['vite', 'build', '-c', 'bench/memory/vite.config.ts', '--outDir', root, '--logLevel', 'warn'], { stdio: 'inherit' });
  const s = await serve(root);
  return { ...s, close: () => (s.close(), rmSync(root, { recursive: true, force: true })), how: 'a fresh build of the lab page, static server' };
}

type Lab = Record<string, (...args: unknown[]) => Promise<any>>;

const RESULTS = 'bench-results/memory.json';
const IMPORT_TARGETS = {
  semanticImportsTried: '>= 300',
  semanticWrong: 'empty',
  importPeakHeapRatio: '<= 3',
  semanticImportsAcceptedThenBroken: '== 0',
  importsDestroyingProject: '== 0',
};

/** The import figures measured in Node (no browser): the semantic fuzz and the decoder's memory. */
interface ImportFigures {
  fuzz: SemanticFuzzResult;
  /** The same mutations imported through the app's worker service (bench/memory/app-import-fuzz.ts). */
  app: AppImportFuzzResult;
  /** In a child Node whose young generation is 1 MB, so garbage is collected as a memory-tight device would. */
  live: ImportHeapResult;
  /** In this process (young generation of 16 MB+): no GC runs during the decode, so this is everything it allocates. */
  allocated: ImportHeapResult;
}

async function importFigures(): Promise<ImportFigures> {
  const child = execFileSync(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', 'bench/memory/import-heap.ts', '--print-import-heap'], { encoding: 'utf8' });
  const live = JSON.parse(child.trim().split('\n').at(-1)!) as ImportHeapResult;
  // Before the fuzz: its 700 decodes would grow V8's young generation further.
  const allocated = measureImportHeap();
  for (const [what, h] of [['peak (1 MB young generation)', live], ['allocated (default heap, no GC)', allocated]] as const)
    console.log(`import of ${(h.importFileBytes / 1e6).toFixed(1)} MB, ${what}: ${(h.peakBytes / 1e6).toFixed(1)} MB (${h.ratio}x, ${h.gcs} GCs), ${h.decodeMs} ms`);
  const fuzz = runSemanticFuzz();
  console.log(`semantic imports: ${fuzz.semanticImportsTried} tried, ${fuzz.semanticImportsRefused} refused, ${fuzz.semanticImportsAcceptedByDecoder} accepted, ${fuzz.semanticWrong.length} decided wrongly`);
  for (const w of fuzz.semanticWrong) console.log(`  WRONG ${w}`);
  const app = await runAppImportFuzz();
  console.log(
    `through the app: ${app.appImportsRefused} refused, ${app.appImportsAccepted} accepted; ${app.importsDestroyingProject} destroyed the project, ${app.semanticImportsAcceptedThenBroken} accepted then broken (${app.appImportSeconds} s)`,
  );
  for (const p of app.appImportProblems) console.log(`  PROBLEM ${p}`);
  return { fuzz, app, live, allocated };
}

/** The import keys of bench-results/memory.json, in their order. */
function importKeys({ fuzz, app, live, allocated }: ImportFigures): Record<string, unknown> {
  return {
    semanticImportsTried: fuzz.semanticImportsTried,
    semanticImportsRefused: fuzz.semanticImportsRefused,
    semanticImportsAcceptedByDecoder: fuzz.semanticImportsAcceptedByDecoder,
    semanticWrong: fuzz.semanticWrong,
    importPeakHeapRatio: live.ratio,
    importAllocatedRatio: allocated.ratio,
    semanticImportsThroughApp: app.semanticImportsThroughApp,
    appImportsRefused: app.appImportsRefused,
    appImportsAccepted: app.appImportsAccepted,
    importsDestroyingProject: app.importsDestroyingProject,
    semanticImportsAcceptedThenBroken: app.semanticImportsAcceptedThenBroken,
  };
}

/** Details of the import figures (accepted mutation names, refusal codes, the heap measurement's setup). */
function importDetails({ fuzz, app, live, allocated }: ImportFigures): Record<string, unknown> {
  return {
    semanticSetup:
      'lab/fixtures/memory/semantic-fuzz.ts: a valid 1280-d app-format project (4 classes, 20 samples, 2 checkpoints) and every mutation of it, checksums recomputed; decodeProject with the app options (embedding width 1280, resolveSettings)',
    appImportSetup:
      'bench/memory/app-import-fuzz.ts: the same generator at the test backbone width (3), each file imported by the real LearnerService in Node (fake-indexeddb, src/cl on tfjs WASM, colour-mean backbone) over a project it taught itself (2 classes learned, 1 pending); refused: every object store digested before and after, and the service status, must be identical (else importsDestroyingProject); accepted: a new service on the same database (restart) predicts a picture (a distribution, a top class when any class is learned), learns a round (it commits) and predicts again (else semanticImportsAcceptedThenBroken); then the taught project is imported back',
    appImportsRefusedAtOpen: app.appImportsRefusedAtOpen,
    appValidRefused: app.appValidRefused,
    appNoOpMutations: app.appNoOpMutations,
    appImportProblems: app.appImportProblems,
    appImportSeconds: app.appImportSeconds,
    semanticAccepted: fuzz.semanticAccepted,
    semanticRefusalCodes: fuzz.semanticRefusalCodes,
    importHeap: {
      setup: "bench/memory/import-heap.ts: decodeProject of a 1280-d project (10 classes x 110 samples, thumbnails, 2 checkpoints), worst of 3 after one small warm-up decode; peak = max used heap before any GC during the decode (v8.GCProfiler) or after it, minus before, plus the rows' typed arrays",
      peak: { ...live, node: '--max-semi-space-size=1 (garbage collected as it goes)' },
      allocated: { ...allocated, node: 'default young generation: no GC during the decode, so every byte allocated counts (zod builds ~5 KB of objects per sample row)' },
    },
  };
}

async function main(): Promise<void> {
  const imports = await importFigures();
  if (process.env.MEMORY_BENCH_ONLY === 'import') {
    // Update the import keys in place; every other key (browser figures) is kept as last measured.
    const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, any>) : {};
    const merged = {
      ...previous,
      ...importKeys(imports),
      targets: { ...previous.targets, ...IMPORT_TARGETS },
      details: { ...previous.details, ...importDetails(imports) },
      importsMeasuredAt: new Date().toISOString(),
    };
    mkdirSync('bench-results', { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(merged, null, 2)}\n`);
    return;
  }
  const safety = await measureRoundSafety();
  const server = await resolveServer();
  console.log(`serving the lab page from ${server.how}: ${server.url}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retain-memory-bench-'));
  let browser: KillableBrowser | null = await launchKillable(dir);
  const call = async <T>(page: import('@playwright/test').Page, fn: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(([f, a]) => ((window as unknown as { memoryLab: Lab }).memoryLab[f as string] as (...x: unknown[]) => Promise<T>)(...(a as unknown[])), [fn, args] as const) as Promise<T>;
  try {
    let page = await openLab(browser.context, server.url);
    const chromiumVersion = browser.browser.version();

    // Captures: one transaction per sample, 1280-d embedding + ~3 KB thumbnail, as hold-to-capture writes them.
    const writes = await call<{ perSecond: number; ms: number }>(page, 'benchWrites', 'bench-writes', 300, 1280);
    console.log(`writes: ${writes.perSecond.toFixed(1)} samples/s`);

    // Load: 5,000 replay members of 1280-d embeddings (+ thumbnails in their own store).
    const load = await call<{ loadMs: number; packLoads: number[]; rowsLoadMs: number; size: number; bytesPerSample: number | null; logicalBytesPerSample: number }>(
      page,
      'benchLoad',
      'bench-load',
      5000,
      1280,
    );
    if (load.size !== 5000) throw new Error(`loaded ${load.size} samples, expected 5000`);
    console.log(`load 5000: ${load.loadMs.toFixed(0)} ms (rows alone ${load.rowsLoadMs.toFixed(0)} ms); bytes/sample ${load.bytesPerSample}`);

    // Corrupted imports.
    const corrupt = await call<{ tried: number; refused: number; unchanged: boolean; wrong: string[] }>(page, 'corruptImports', 'bench-corrupt');
    console.log(`corrupt imports: ${corrupt.refused}/${corrupt.tried} refused, project unchanged: ${corrupt.unchanged}`);

    // Crash trials: SIGKILL the whole browser at random moments of a round's commit.
    const TRIALS = Number(process.env.MEMORY_CRASH_TRIALS ?? 20);
    await call(page, 'seedRounds', 'crash', 1);
    let consistent = 0;
    const outcomes: string[] = [];
    let seed = 987654321;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    for (let t = 0; t < TRIALS; t++) {
      const prep = await call<{ before: number; after: number; commitMs: number; round: number }>(page, 'prepareCrash', 'crash');
      const delay = random() * prep.commitMs * 2;
      await call(page, 'startCommit');
      await new Promise((r) => setTimeout(r, delay));
      await browser.kill();
      browser = await launchKillable(dir);
      page = await openLab(browser.context, server.url);
      const after = await call<{ digest: number; problems: string[] }>(page, 'summarize', 'crash');
      const outcome = after.digest === prep.before ? 'old' : after.digest === prep.after ? 'new' : 'MIXED';
      if (outcome !== 'MIXED' && after.problems.length === 0) consistent++;
      outcomes.push(`${outcome}@${Math.round(delay)}/${Math.round(prep.commitMs)}ms`);
      console.log(`crash trial ${t}: ${outcomes.at(-1)} ${after.problems.join('; ')}`);
    }

    const result = {
      samplesWrittenPerSecond: Number(writes.perSecond.toFixed(1)),
      loadMsFor5000Samples: Math.round(load.loadMs),
      loadMsFor5000SamplesFromRows: Math.round(load.rowsLoadMs),
      loadSpeedupOverRows: Number((load.rowsLoadMs / load.loadMs).toFixed(2)),
      bytesPerSample: load.bytesPerSample !== null ? Math.round(load.bytesPerSample) : null,
      logicalBytesPerSample: load.logicalBytesPerSample,
      crashTrials: TRIALS,
      crashConsistent: consistent,
      corruptImportsTried: corrupt.tried,
      corruptImportsRefused: corrupt.refused,
      corruptImportsLeftProjectUnchanged: corrupt.unchanged,
      ...importKeys(imports),
      ...safety.keys,
      targets: { samplesWrittenPerSecond: '>= 30', loadMsFor5000Samples: '< 1000', crashConsistent: '== crashTrials', corruptImportsRefused: '== corruptImportsTried', ...IMPORT_TARGETS, ...ROUND_SAFETY_TARGETS },
      details: {
        writeSetup: '300 captures, one readwrite transaction each: 1280-d Float32Array embedding + 3,000-byte thumbnail',
        loadSetup:
          '5,000 replay members (1280-d, 10 classes, class-balanced) + thumbnails; time = ProjectStore.open + openReplayMemory, median of 3 loads from the packed snapshot; baseline: the same load from the rows alone (pack deleted)',
        packLoadsMs: load.packLoads.map((x) => Math.round(x)),
        bytesPerSample: 'navigator.storage.estimate() usage growth / 5,000 (IndexedDB on-disk cost incl. thumbnail and indexes)',
        crashOutcomes: outcomes,
        corruptWrong: corrupt.wrong,
        ...importDetails(imports),
        ...safety.details,
      },
      machine: `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
      loadAverageAtEnd: os.loadavg().map((x) => Number(x.toFixed(1))),
      browser: `headless Chromium ${chromiumVersion}`,
      date: new Date().toISOString(),
    };
    mkdirSync('bench-results', { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser?.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
