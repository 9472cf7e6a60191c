/** The Node kernels session: Dawn WebGPU start-up, the benchmark rows and their figures, the conformance cases. */
import * as tf from '@tensorflow/tfjs';
import { benchmark, type BenchOptions, type BenchRow } from '../../../lab/kernels/bench';
import { checkAgainstJs, conformance, type ConformanceCase, type ConformanceResult } from '../../../lab/kernels/conformance';
import { copyBandwidthGBps } from '../../../lab/kernels/measure';
import { leakCheck, type MemorySnapshot } from '../../../lab/kernels/training';
import { ewcReduction, isSoftwareAdapter, type EwcReduction } from '../../../src/kernels';
import { useWasmBackend } from '../../../tests/unit/support/setup-wasm';
import { startDawnWebGpu } from './dawn';

const FULL: BenchOptions = {
  ewcSizes: [1_000_000, 4_000_000, 16_000_000],
  ewcReductions: ['tree', 'threads'],
  fisherSizes: [4_000_000, 16_000_000],
  klShapes: [
    [128, 20],
    [128, 100],
    [1024, 1000],
  ],
  fisherBatch: { dims: [784, 400, 400, 10], samples: 200 },
  samples: 8,
  trainingStep: true,
};

/** Batch-1 passes of the per-sample Fisher loop timed in --quick (after one warm-up pass), scaled to 200. */
const QUICK_TIMED_PASSES = 4;

/**
 * The --quick set (under 3 minutes on SwiftShader): each row of the full set at one size (EWC and Fisher 1M, KL
 * 128x100), 8 interleaved pairs of samples (enough for a median and quartiles of the per-pair ratio), 16 for EWC
 * in the adapter's layout (the figure); the other EWC layout on 2 pairs (one ABBA block: the tree layout
 * takes ~2 s a call on SwiftShader); the per-sample Fisher loop timed on a few passes and scaled to 200.
 */
function quickOptions(chosen: EwcReduction): { otherLayout: BenchOptions; ewc: BenchOptions; main: BenchOptions } {
  const other: EwcReduction = chosen === 'tree' ? 'threads' : 'tree';
  const ewcOnly = { fisherSizes: [], klShapes: [], trainingStep: false };
  return {
    otherLayout: { ...ewcOnly, ewcSizes: [1_000_000], ewcReductions: [other], samples: 2 },
    ewc: { ...ewcOnly, ewcSizes: [1_000_000], ewcReductions: [chosen], samples: 16 },
    main: {
      ewcSizes: [],
      fisherSizes: [1_000_000],
      klShapes: [[128, 100]],
      fisherBatch: { dims: [784, 400, 400, 10], samples: 200, timedPasses: QUICK_TIMED_PASSES },
      samples: 8,
      trainingStep: false,
    },
  };
}

/** Conformance cases run in Node on every adapter: both EWC layouts, odd sizes, NaN/Inf, wide and narrow KL rows. */
export const NODE_CONFORMANCE_CASES: ConformanceCase[] = [
  ...(['tree', 'threads'] as const).flatMap((reduction): ConformanceCase[] => [
    { kernel: 'ewc', size: 1, reduction },
    { kernel: 'ewc', size: 4095, reduction },
    { kernel: 'ewc', size: 300, parts: 12, reduction },
    { kernel: 'ewc', size: 200_003, reduction },
    { kernel: 'ewc', size: 4095, variant: 'nanInf', reduction },
    { kernel: 'ewc', size: 4095, lambda: 0, reduction },
  ]),
  { kernel: 'fisher', size: 4095 },
  { kernel: 'fisher', size: 4095, variant: 'nanInf' },
  { kernel: 'fisherBatch', size: 300 },
  { kernel: 'kl', size: 63, cols: 10, columns: 7 },
  { kernel: 'kl', size: 65, cols: 130, temperature: 1 },
  { kernel: 'kl', size: 9, cols: 1000, columns: 900, teacherCols: 950, temperature: 5 },
  { kernel: 'kl', size: 16, cols: 20, variant: 'nanInf' },
  { kernel: 'kl', size: 128, cols: 100, temperature: 5, variant: 'largeLogits' },
  // The hardware layout: a workgroup per row above 64 columns (online softmax).
  { kernel: 'kl', size: 65, cols: 130, temperature: 1, rowThreadMax: 64 },
  { kernel: 'kl', size: 64, cols: 100, columns: 60, teacherCols: 80, rowThreadMax: 64 },
  { kernel: 'kl', size: 128, cols: 100, temperature: 5, variant: 'largeLogits', rowThreadMax: 64 },
  { kernel: 'kl', size: 16, cols: 70, variant: 'nanInf', rowThreadMax: 64 },
];

/** Whether a conformance result is within its tolerances and ran the fused path. */
export function conformancePassed(r: ConformanceResult): boolean {
  return r.backend === 'webgpu' && r.fusedDispatches > 0 && r.outputs.violations === 0 && (r.grads?.violations ?? 0) === 0 && (r.value?.ok ?? true);
}

/** Runs the conformance cases and the float64 JS check on the Dawn adapter. */
export async function runNodeConformance(): Promise<{
  adapter: string;
  cases: { c: ConformanceCase; r: ConformanceResult; ok: boolean }[];
  float64Worst: number;
  leak: { snapshots: MemorySnapshot[]; fusedDispatches: number; arenas: number };
}> {
  const setup = await startDawnWebGpu();
  const cases = [];
  for (const c of NODE_CONFORMANCE_CASES) {
    const r = await conformance(c);
    cases.push({ c, r, ok: conformancePassed(r) });
  }
  const check = await checkAgainstJs();
  // Training steps with all three fused ops: tensors and GPU bytes after step 10 and after the last step.
  const leak = await leakCheck(25);
  return { adapter: setup.adapterDescription, cases, float64Worst: check.worst, leak };
}

/** The figures, read off the rows. */
function figures(rows: BenchRow[], wasmFisher: BenchRow, chosen: string, software: boolean) {
  const ewc = rows.filter((r) => r.kernel.startsWith('ewcPenalty+grad'));
  const ewcChosen = ewc.filter((r) => r.kernel.includes(`(${chosen})`));
  const fisherBatch = rows.find((r) => r.kernel.startsWith('fisher batched'));
  return {
    ewcReduction: chosen,
    ewcBytesPerParam: Math.max(...ewcChosen.map((r) => r.bytesPerParam?.fused ?? NaN)),
    ewcCompositeOverFusedBytes: Math.min(...ewcChosen.map((r) => (r.bytesPerParam ? r.bytesPerParam.composite / r.bytesPerParam.fused : NaN))),
    ewcDispatches: ewcChosen[0]?.dispatches ?? null,
    // The MLP shapes of the "1M" row hold 999,946 parameters. Median of the per-pair ratios (interleaved samples).
    ewcFusedOverCompositeSpeedAt1MPlus: Math.min(...ewcChosen.filter((r) => r.elements >= 990_000).map((r) => r.ratio)),
    ewcRatioSpreadAt1MPlus: ewcChosen.filter((r) => r.elements >= 990_000).map((r) => ({ elements: r.elements, median: r.ratio, ...r.ratioSpread })),
    ewcCopyFractionLargest: ewcChosen[ewcChosen.length - 1]?.copyFraction ?? null,
    batchedFisherSpeedup: { webgpu: fisherBatch?.ratio ?? null, wasm: wasmFisher.ratio },
    software,
  };
}

/** "ratio 1.10 (IQR 1.02-1.18, 8 pairs)", or the plain ratio where the paths were not interleaved. */
export function ratioText(r: BenchRow): string {
  const s = r.ratioSpread;
  return s ? `ratio ${r.ratio.toFixed(2)} (IQR ${s.q1.toFixed(2)}-${s.q3.toFixed(2)}, ${s.pairs} pairs)` : `ratio ${r.ratio.toFixed(2)}`;
}

/** Wall seconds per phase of a run, printed as each ends. */
function phaseClock(): { end: (name: string) => void; seconds: Record<string, number> } {
  const seconds: Record<string, number> = { 'process start and imports': process.uptime() };
  let since = Date.now();
  return {
    seconds,
    end: (name) => {
      seconds[name] = (Date.now() - since) / 1000;
      since = Date.now();
      console.log(`  (${name}: ${seconds[name].toFixed(1)} s)`);
    },
  };
}

/** The adapter line printed first and last: which adapter, and whether its times are GPU times at all. */
function adapterBanner(description: string, software: boolean): string {
  const icd = process.env.VK_ICD_FILENAMES ? `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` : 'the system Vulkan ICDs';
  const kind = software ? 'SOFTWARE adapter (CPU emulation): these are not GPU timings' : 'hardware adapter';
  return `WebGPU adapter: "${description}" - ${kind}; Vulkan: ${icd}`;
}

/** Runs every row on the Dawn adapter, then the batched Fisher on WASM; returns the kernels-node.json body. */
export async function runNodeBenchmark(quick: boolean): Promise<Record<string, unknown>> {
  const started = Date.now();
  const phases = phaseClock();
  const setup = await startDawnWebGpu();
  const software = isSoftwareAdapter(setup.adapterDescription);
  const chosen = ewcReduction();
  console.log(`${adapterBanner(setup.adapterDescription, software)}; EWC reduction ${chosen}`);
  phases.end('Dawn start-up');
  const copyGBps = await copyBandwidthGBps();
  phases.end('copy bandwidth');
  const progress = (r: BenchRow) => {
    console.log(`${((Date.now() - started) / 1000).toFixed(0)} s: ${r.kernel} n=${r.elements}: fused ${r.fusedMs.toFixed(2)} ms, composite ${r.compositeMs.toFixed(2)} ms, ${ratioText(r)}`);
    phases.end(r.kernel);
  };
  const adapter = setup.adapterDescription;
  let options: BenchOptions = FULL;
  const rows: BenchRow[] = [];
  if (quick) {
    const q = quickOptions(chosen);
    rows.push(...(await benchmark({ ...q.otherLayout, copyGBps }, adapter, progress)));
    rows.push(...(await benchmark({ ...q.ewc, copyGBps }, adapter, progress)));
    options = q.main;
  }
  rows.push(...(await benchmark({ ...options, copyGBps }, adapter, progress)));
  // The conformance cases take ~15 s on a loaded SwiftShader: --quick leaves them to `-- --conformance` and the unit test.
  const conformanceRun = [];
  if (!quick) for (const c of NODE_CONFORMANCE_CASES) conformanceRun.push(conformancePassed(await conformance(c)));
  const float64 = await checkAgainstJs();
  phases.end(quick ? 'float64 check' : 'conformance cases and float64 check');
  await useWasmBackend();
  const [wasmFisher] = await benchmark(
    { ewcSizes: [], fisherSizes: [], klShapes: [], fisherBatch: FULL.fisherBatch, samples: 3, trainingStep: false },
    'wasm (Node)',
    progress,
  );
  rows.push(wasmFisher);
  console.table(
    rows.map((r) => ({
      backend: r.backend,
      kernel: r.kernel,
      elements: r.elements,
      fusedMs: +r.fusedMs.toFixed(2),
      compositeMs: +r.compositeMs.toFixed(2),
      ratio: +r.ratio.toFixed(2),
      'ratio q1-q3 (pairs)': r.ratioSpread ? `${r.ratioSpread.q1.toFixed(2)}-${r.ratioSpread.q3.toFixed(2)} (${r.ratioSpread.pairs})` : '',
      GBps: +r.effectiveGBps.toFixed(2),
      copyPct: r.copyFraction === null ? '' : +(100 * r.copyFraction).toFixed(1),
      dispatches: r.dispatches ? `${r.dispatches.fused} / ${r.dispatches.composite}` : '',
      bytesPerParam: r.bytesPerParam ? `${r.bytesPerParam.fused.toFixed(1)} / ${r.bytesPerParam.composite.toFixed(1)}` : '',
    })),
  );
  console.log(adapterBanner(setup.adapterDescription, software));
  return {
    date: new Date().toISOString(),
    runtime: `Node ${process.version}, tfjs ${tf.version.tfjs}, Dawn (npm webgpu)`,
    adapter: setup.adapterDescription,
    adapterKind: software ? 'software' : 'hardware',
    copyGBps,
    note:
      'fusedMs/compositeMs: median ms per call (forward + backward for EWC and KL) over samples of back-to-back calls, ' +
      'one small readback per sample; the two paths are sampled in alternation (ABBA: fused, composite, composite, ' +
      'fused, ...) and ratio is the median of the per-pair ratios composite/fused of adjacent samples, ratioSpread its ' +
      'quartiles, extremes and pair count (ratioOfMedians: compositeMs/fusedMs), so a load swing hits both sides of a ' +
      'pair. dispatches and bytesPerParam: one call counted by the dispatch-accounting wrapper ' +
      '(src/kernels/accounting.ts) around runWebGPUProgram (fused / composite). copyFraction: effective GB/s over the ' +
      'copyBufferToBuffer bandwidth measured in the same run. The Fisher batch rows: batched (fused column) vs the ' +
      'per-sample loop (composite column); in --quick the WebGPU loop is timed on a few passes (after one warm-up ' +
      'pass) and scaled to 200 (the row name says how many), the batched call timed once after one warm-up call.',
    options: quick ? quickOptions(chosen) : FULL,
    figures: {
      ...figures(rows, wasmFisher, chosen, software),
      conformance: quick
        ? { cases: 'not run in --quick (npm run bench:kernels:node -- --conformance)', float64Worst: float64.worst }
        : { cases: conformanceRun.length, passed: conformanceRun.filter(Boolean).length, float64Worst: float64.worst },
    },
    wallSeconds: Math.round((Date.now() - started) / 1000),
    phaseSeconds: phases.seconds,
    // This machine is shared: CPU seconds say how much work the run was, whatever the load.
    cpuSeconds: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1e6),
    rows,
  };
}
