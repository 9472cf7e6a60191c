/**
 * The browser benchmark page (bench.html): runs the shared harness (src/bench/cl, the same code as
 * `npm run bench:cl`) on the backend this browser gives (WebGPU with Retain's fused kernels first, else the tfjs
 * default), with a progress bar, the accuracy matrix drawn as it fills and the result table beside the paper.
 * URL parameters preset the form: ?scenario=&strategy=&seeds=&iterations=&quick=1&autostart=1.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWebGpuKernels } from '../../kernels';
import {
  BENCH_CONFIG,
  SCENARIO_IDS,
  STRATEGY_NAMES,
  checkTarget,
  mergeRows,
  runBenchmark,
  runShape,
  type MnistDigits,
  type ResultRow,
  type ScenarioId,
  type StrategyName,
} from '../../bench/cl';
import { applyToDocument, currentLanguage, formatPercent, t } from '../i18n';
import { languageSwitcher } from '../ui/language-switcher';
import { loadMnistDigitsInBrowser } from './mnist-browser';
import { registerFastWasmKernels } from '../../kernels/wasm';
import './bench.css';

/** What the page exposes for automated runs (Playwright): the rows so far and whether a run is going. */
interface BenchPageState {
  running: boolean;
  rows: ResultRow[];
  error: string | null;
  backend: string;
}

declare global {
  interface Window {
    retainBench?: BenchPageState;
  }
}

const ALL = 'all';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`bench.html is missing #${id}`);
  return el as T;
}

const ui = {
  main: byId<HTMLElement>('bench'),
  form: byId<HTMLFormElement>('controls'),
  scenario: byId<HTMLSelectElement>('scenario'),
  strategy: byId<HTMLSelectElement>('strategy'),
  seeds: byId<HTMLInputElement>('seeds'),
  iterations: byId<HTMLInputElement>('iterations'),
  quick: byId<HTMLInputElement>('quick'),
  start: byId<HTMLButtonElement>('start'),
  backend: byId<HTMLSpanElement>('backend'),
  elapsed: byId<HTMLSpanElement>('elapsed'),
  progress: byId<HTMLProgressElement>('progress'),
  status: byId<HTMLParagraphElement>('status'),
  matrixTitle: byId<HTMLHeadingElement>('matrix-title'),
  heatmap: byId<HTMLCanvasElement>('heatmap'),
  results: byId<HTMLTableElement>('results'),
  download: byId<HTMLAnchorElement>('download'),
};

const state: BenchPageState = { running: false, rows: [], error: null, backend: '' };
window.retainBench = state;
let controller: AbortController | null = null;
let digits: MnistDigits | null = null;

function option(value: string, text: string): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

/** Puts the page's fixed words (bench.html) in the current language, with the language switcher in the header. */
function applyStaticTexts(): void {
  applyToDocument();
  document.title = t('bench.docTitle');
  document.querySelector('meta[name="description"]')?.setAttribute('content', t('bench.description'));
  const set = (id: string, text: string) => {
    byId<HTMLElement>(id).textContent = text;
  };
  set('title', t('bench.title'));
  set('intro', t('bench.intro'));
  set('scenario-label', t('bench.scenario'));
  set('strategy-label', t('bench.strategy'));
  set('seeds-label', t('bench.seeds'));
  set('iterations-label', t('bench.iterations'));
  set('quick-label', t('bench.quick'));
  set('matrix-hint', t('bench.matrixHint'));
  set('results-title', t('bench.results'));
  ui.start.textContent = t('bench.start');
  ui.backend.textContent = t('bench.backendStarting');
  ui.status.textContent = t('bench.loading');
  ui.matrixTitle.textContent = t('bench.matrix');
  ui.heatmap.setAttribute('aria-label', t('bench.heatmapLabel'));
  ui.download.textContent = t('bench.download');
  const headers = [
    t('bench.colScenario'),
    t('bench.colStrategy'),
    t('bench.colSeeds'),
    t('bench.colIterations'),
    t('bench.colAccuracy'),
    t('bench.colPaper'),
    t('bench.colTarget'),
    t('bench.colBwt'),
    t('bench.colForgetting'),
    t('bench.colSeconds'),
  ];
  ui.results.tHead?.querySelectorAll('th').forEach((th, i) => (th.textContent = headers[i] ?? th.textContent));
  byId<HTMLElement>('title').after(languageSwitcher({ busy: () => state.running }).element);
}

function fillForm(): void {
  ui.scenario.append(option(ALL, t('bench.everyScenario')), ...SCENARIO_IDS.map((s) => option(s, s)));
  ui.strategy.append(option(ALL, t('bench.everyStrategy')), ...STRATEGY_NAMES.map((s) => option(s, s)));
  const params = new URLSearchParams(location.search);
  const scenario = params.get('scenario');
  const strategy = params.get('strategy');
  ui.quick.checked = params.get('quick') === '1' || (!scenario && !strategy);
  ui.scenario.value = scenario && SCENARIO_IDS.includes(scenario as ScenarioId) ? scenario : ui.quick.checked ? BENCH_CONFIG.quick.scenarios[0] : ALL;
  ui.strategy.value = strategy && STRATEGY_NAMES.includes(strategy as StrategyName) ? strategy : ALL;
  if (params.get('seeds')) ui.seeds.value = params.get('seeds')!;
  if (params.get('iterations')) ui.iterations.value = params.get('iterations')!;
  updatePlaceholders();
  ui.quick.addEventListener('change', updatePlaceholders);
  ui.scenario.addEventListener('change', updatePlaceholders);
}

/** Empty number fields mean "the config's default"; the placeholders say what that is. */
function updatePlaceholders(): void {
  const first = (ui.scenario.value === ALL ? SCENARIO_IDS[0] : ui.scenario.value) as ScenarioId;
  const shape = runShape(first, { quick: ui.quick.checked });
  ui.seeds.placeholder = t('bench.default', { n: shape.seeds });
  ui.iterations.placeholder = t('bench.default', { n: shape.iterations });
}

function readNumber(input: HTMLInputElement, name: string): number | undefined {
  if (input.value.trim() === '') return undefined;
  const n = Number(input.value);
  if (!Number.isInteger(n) || n < 1) throw new Error(t('bench.wholeNumber', { name, value: input.value }));
  return n;
}

function setRunning(running: boolean): void {
  state.running = running;
  ui.start.textContent = running ? t('bench.cancel') : t('bench.start');
  ui.start.classList.toggle('cancel', running);
  for (const el of [ui.scenario, ui.strategy, ui.seeds, ui.iterations, ui.quick]) el.disabled = running;
}

/** "3 min 20 sec" / "3分钟 20秒": a duration in whole minutes and seconds, through Intl. */
function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  const unit = (value: number, u: 'minute' | 'second') =>
    new Intl.NumberFormat(currentLanguage(), { style: 'unit', unit: u, unitDisplay: 'short' }).format(value);
  const m = Math.floor(s / 60);
  return m > 0 ? `${unit(m, 'minute')} ${unit(Math.round(s % 60), 'second')}` : unit(Math.round(s), 'second');
}

/** Draws R (0-100, null = not measured yet) as a heatmap with the numbers in the cells. */
function drawMatrix(matrix: (number | null)[][], contexts: number, joint: boolean): void {
  const canvas = ui.heatmap;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 560;
  const rowsShown = joint ? 1 : contexts;
  const left = 92;
  const top = 34;
  const cell = Math.min(64, Math.floor((cssW - left - 12) / contexts));
  const cssH = top + rowsShown * cell + 40;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  canvas.style.height = `${cssH}px`;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  ctx.fillStyle = '#334155';
  ctx.fillText(t('bench.testedOn'), left + (contexts * cell) / 2, 10);
  for (let j = 0; j < contexts; j++) ctx.fillText(String(j + 1), left + j * cell + cell / 2, top - 10);
  ctx.textAlign = 'right';
  for (let i = 0; i < rowsShown; i++) {
    ctx.fillStyle = '#334155';
    ctx.textAlign = 'right';
    ctx.fillText(joint ? t('bench.joint') : t('bench.after', { n: i + 1 }), left - 8, top + i * cell + cell / 2);
    for (let j = 0; j < contexts; j++) {
      const v = matrix[i]?.[j] ?? null;
      const x = left + j * cell;
      const y = top + i * cell;
      ctx.fillStyle = v === null ? '#f1f5f9' : heat(v);
      ctx.fillRect(x + 1, y + 1, cell - 2, cell - 2);
      ctx.textAlign = 'center';
      ctx.fillStyle = v === null ? '#94a3b8' : v > 55 ? '#ffffff' : '#0f172a';
      ctx.fillText(v === null ? '–' : v.toFixed(cell >= 48 ? 1 : 0), x + cell / 2, y + cell / 2);
    }
  }
  // Legend: 0 → 100 %.
  const ly = top + rowsShown * cell + 16;
  const lw = Math.min(200, contexts * cell);
  for (let k = 0; k < lw; k++) {
    ctx.fillStyle = heat((100 * k) / (lw - 1));
    ctx.fillRect(left + k, ly, 1, 10);
  }
  ctx.fillStyle = '#334155';
  ctx.textAlign = 'right';
  ctx.fillText(formatPercent(0), left - 6, ly + 5);
  ctx.textAlign = 'left';
  ctx.fillText(formatPercent(1), left + lw + 6, ly + 5);
}

/** Accuracy colour: pale at 0 %, deep blue at 100 %. */
function heat(v: number): string {
  const t = Math.max(0, Math.min(1, v / 100));
  const from = [254, 242, 242];
  const to = [30, 58, 138];
  const c = from.map((f, i) => Math.round(f + (to[i] - f) * t));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function renderRows(): void {
  const body = ui.results.tBodies[0];
  body.replaceChildren(
    ...state.rows.map((r) => {
      const tr = document.createElement('tr');
      const target = checkTarget(r);
      const cells = [
        r.scenario,
        r.strategy,
        String(r.seeds),
        String(r.iterations),
        `${r.avgAccuracy.toFixed(2)} ± ${r.sem.toFixed(2)}`,
        r.published === null ? '–' : r.published.toFixed(2),
        target ? (target.applies ? `${target.text} ${target.ok ? '✓' : '✗'}` : t('bench.fullRun', { text: target.text })) : '–',
        r.bwt === null ? '–' : r.bwt.toFixed(1),
        r.forgetting === null ? '–' : r.forgetting.toFixed(1),
        r.seconds.toFixed(0),
      ];
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = c;
        tr.append(td);
      }
      if (r.split) tr.title = r.split;
      if (target?.applies) tr.classList.add(target.ok ? 'met' : 'missed');
      return tr;
    }),
  );
  if (state.rows.length > 0) {
    const blob = new Blob([JSON.stringify({ benchmark: 'cl', source: BENCH_CONFIG.published.$source, rows: state.rows }, null, 1)], {
      type: 'application/json',
    });
    if (ui.download.href.startsWith('blob:')) URL.revokeObjectURL(ui.download.href);
    ui.download.href = URL.createObjectURL(blob);
    ui.download.hidden = false;
  }
}

async function start(): Promise<void> {
  const scenarios = (ui.scenario.value === ALL ? [...SCENARIO_IDS] : [ui.scenario.value]) as ScenarioId[];
  const strategies = (ui.strategy.value === ALL ? (ui.quick.checked ? BENCH_CONFIG.quick.strategies : [...STRATEGY_NAMES]) : [ui.strategy.value]) as StrategyName[];
  let seeds: number | undefined;
  let iterations: number | undefined;
  try {
    seeds = readNumber(ui.seeds, t('bench.seeds'));
    iterations = readNumber(ui.iterations, t('bench.iterations'));
  } catch (err) {
    ui.status.textContent = (err as Error).message;
    return;
  }
  controller = new AbortController();
  state.error = null;
  setRunning(true);
  const began = performance.now();
  /** Seeds of the run going on, for the status line of its context ends. */
  let runSeeds = seeds ?? 1;
  const tick = setInterval(() => (ui.elapsed.textContent = formatSeconds((performance.now() - began) / 1000)), 1000);
  try {
    if (!digits) {
      ui.status.textContent = t('bench.loadingDigits');
      digits = await loadMnistDigitsInBrowser();
    }
    ui.progress.value = 0;
    ui.status.textContent = t('bench.splitting');
    await new Promise((r) => setTimeout(r, 0));
    await runBenchmark(digits, {
      scenarios,
      strategies,
      seeds,
      iterations,
      quick: ui.quick.checked,
      backend: state.backend,
      signal: controller.signal,
      // GPU readbacks stall the pipeline; report often enough for a live bar, not every step.
      progressEvery: 10,
      onProgress: (p) => {
        ui.progress.value = p.fraction;
        const spent = (performance.now() - began) / 1000;
        const eta = p.fraction > 0.01 ? (spent * (1 - p.fraction)) / p.fraction : NaN;
        const run = t('bench.run', { scenario: p.scenario, strategy: p.strategy, seed: p.seed, seeds: p.seeds });
        const context =
          p.totalSteps > p.step || p.contexts > 1 ? t('bench.context', { n: p.context + 1, total: p.contexts }) : null;
        const step = t('bench.step', {
          step: p.step,
          total: p.totalSteps,
          percent: formatPercent(p.fraction, 1),
          time: formatSeconds(eta),
        });
        ui.status.textContent = [run, context, step].filter(Boolean).join(' · ');
      },
      onRunStart: (p) => {
        runSeeds = p.seeds;
        const run = t('bench.run', { scenario: p.scenario, strategy: p.strategy, seed: p.seed, seeds: p.seeds });
        ui.status.textContent = p.first ? t('bench.runStartFirst', { run }) : t('bench.runStart', { run });
        drawMatrix([], p.contexts, BENCH_CONFIG.scenarios[p.scenario].strategies[p.strategy]?.joint === true);
        ui.matrixTitle.textContent = t('bench.matrixOf', { scenario: p.scenario, strategy: p.strategy, seed: p.seed });
      },
      onContextEnd: (scenario, strategy, seed, context) => {
        const run = t('bench.run', { scenario, strategy, seed, seeds: runSeeds });
        ui.status.textContent = t('bench.contextEnd', { run, n: context + 1 });
      },
      onMatrix: (scenario, strategy, seed, matrix) => {
        const contexts = matrix[0].length;
        const joint = BENCH_CONFIG.scenarios[scenario].strategies[strategy]?.joint === true;
        ui.matrixTitle.textContent = t('bench.matrixOf', { scenario, strategy, seed });
        drawMatrix(matrix, contexts, joint);
      },
      onRow: (row) => {
        state.rows = mergeRows(state.rows, [row]);
        renderRows();
      },
    });
    ui.progress.value = 1;
    ui.status.textContent = t('bench.done', { time: formatSeconds((performance.now() - began) / 1000) });
  } catch (err) {
    const cancelled = controller.signal.aborted;
    state.error = cancelled ? null : String((err as Error)?.message ?? err);
    ui.status.textContent = cancelled ? t('bench.cancelled') : t('bench.failed', { reason: state.error ?? '' });
    if (!cancelled) console.error(err);
  } finally {
    clearInterval(tick);
    controller = null;
    setRunning(false);
  }
}

async function init(): Promise<void> {
  applyStaticTexts();
  fillForm();
  drawMatrix([], 5, false);
  const setup = await registerWebGpuKernels();
  if (setup.backend === 'wasm') registerFastWasmKernels();
  state.backend = setup.fused ? `webgpu (${setup.adapter || 'adapter'}, fused kernels)` : tf.getBackend();
  ui.backend.textContent = t('bench.backend', { backend: state.backend });
  ui.status.textContent = t('bench.ready');
  ui.main.setAttribute('aria-busy', 'false');
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (controller) controller.abort();
    else void start();
  });
  if (new URLSearchParams(location.search).get('autostart') === '1') void start();
}

void init().catch((err) => {
  state.error = String(err);
  ui.status.textContent = t('bench.couldNotStart', { reason: String(err) });
});
