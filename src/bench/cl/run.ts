/** The benchmark's run loop, shared by Node (bench:cl) and the browser (bench.html): learners in, result rows out. */
import { Learner } from '../../cl';
import type { LearnerConfig } from '../../cl/config';
import { BENCH_CONFIG, SCENARIO_IDS, type ScenarioId, type StrategyName } from './config';
import { MNIST_PIXELS, dataSourceOf, describeSplit, splitDigits, validationSplit, type DataSplit, type MnistDigits } from './data';
import { runAnalyticSequence } from './analytic';
import { aggregateRow, type ResultRow } from './results';
import { buildScenario, jointTask, runShape, stepsOf, strategiesFor, strategyIterations, type RunLength, type ScenarioData } from './scenarios';

/** Where a run is, for progress bars and live heatmaps. */
export interface RunProgress {
  scenario: ScenarioId;
  strategy: StrategyName;
  /** 1-based seed index and the number of seeds. */
  seed: number;
  seeds: number;
  /** Context being trained (0-based); for joint training always 0. */
  context: number;
  contexts: number;
  step: number;
  totalSteps: number;
  /** Fraction of the whole benchmark done, in [0, 1]. */
  fraction: number;
  losses?: Record<string, number>;
}

/** What to run (and how long: RunLength). */
export interface BenchOptions extends RunLength {
  scenarios: ScenarioId[];
  strategies: StrategyName[];
  /** The first seed (default 1): seeds firstSeed .. firstSeed + seeds - 1 run, so processes can split them. */
  firstSeed?: number;
  backend: string;
  /** The whole MNIST (official split), for experiments whose `data` is mnist-70k; without it they use the 10k. */
  fullDigits?: MnistDigits;
  /** Hold out this many training images per digit and measure on them instead of the test set (validationSplit). */
  validationPerClass?: number;
  signal?: AbortSignal;
  /** Progress every few steps. */
  onProgress?: (p: RunProgress) => void;
  /** The seed's accuracy matrix (0-100) after each context, as it fills. */
  onMatrix?: (scenario: ScenarioId, strategy: StrategyName, seed: number, matrix: (number | null)[][]) => void;
  /** A learner is about to train (one scenario x strategy x seed); `first` is true for the benchmark's first run. */
  onRunStart?: (p: { scenario: ScenarioId; strategy: StrategyName; seed: number; seeds: number; contexts: number; first: boolean }) => void;
  /** A context's training ended; the harness now tests on the contexts seen so far. */
  onContextEnd?: (scenario: ScenarioId, strategy: StrategyName, seed: number, context: number) => void;
  /** A finished row. */
  onRow?: (row: ResultRow) => void;
  /** Seconds clock (performance.now() / 1000 by default). */
  now?: () => number;
  /** Read losses back (and report progress) every this many steps; default 25. */
  progressEvery?: number;
}

/** Trains one learner through a scenario and returns its accuracy matrix (0-100). */
export async function runSequence(
  data: ScenarioData,
  strategy: StrategyName,
  seed: number,
  iterations: number,
  hooks: {
    signal?: AbortSignal;
    progressEvery?: number;
    onStep?: (context: number, step: number, totalSteps: number, losses: Record<string, number>) => void;
    onMatrix?: (matrix: (number | null)[][]) => void;
    /** Training of a context is done; its end-of-context work (memory, Fisher, tests) starts. */
    onContextEnd?: (context: number) => void;
    /** Bytes the learner keeps between contexts, where it reports them. */
    onStoredBytes?: (bytes: number) => void;
  } = {},
): Promise<(number | null)[][]> {
  const spec = data.spec.strategies[strategy];
  if (!spec) throw new Error(`scenario ${data.id} has no strategy "${strategy}" in config.json`);
  if (spec.analytic) return runAnalyticSequence(data, spec.analytic, seed, hooks);
  const { experiment } = data;
  const config: LearnerConfig = {
    model: { inputDim: MNIST_PIXELS, hidden: experiment.hidden, scenario: data.spec.scenario, outputs: data.outputs, seed },
    strategies: strategiesFor(spec, data),
    optimizer: 'adam',
    learningRate: experiment.learningRate,
    batchSize: experiment.batchSize,
    seed,
  };
  const learner = new Learner(config);
  const T = data.train.length;
  try {
    if (spec.joint) {
      const all = jointTask(data.train);
      await learner.learnTask(all, {
        iterations: iterations * T,
        signal: hooks.signal,
        progressEvery: hooks.progressEvery ?? 25,
        onProgress: (p) => hooks.onStep?.(0, p.step, p.totalSteps, p.losses),
      });
      hooks.onContextEnd?.(0);
      const row: (number | null)[] = [];
      for (const t of data.test) row.push(100 * (await learner.evaluate(t)).accuracy);
      hooks.onMatrix?.([row]);
      return [row];
    }
    const matrix: (number | null)[][] = [];
    for (let k = 0; k < T; k++) {
      await learner.learnTask(data.train[k], {
        iterations,
        signal: hooks.signal,
        progressEvery: hooks.progressEvery ?? 25,
        onProgress: (p) => hooks.onStep?.(k, p.step, p.totalSteps, p.losses),
      });
      hooks.onContextEnd?.(k);
      // Only contexts seen so far: the metrics need the lower triangle, and evaluation is not free.
      const row: (number | null)[] = new Array<number | null>(T).fill(null);
      for (let j = 0; j <= k; j++) row[j] = 100 * (await learner.evaluate(data.test[j])).accuracy;
      matrix.push(row);
      hooks.onMatrix?.(matrix.map((r) => [...r]));
    }
    return matrix;
  } finally {
    learner.dispose();
  }
}

/**
 * Runs scenarios x strategies x seeds in order and returns one row per cell. The data split and scenario
 * contexts are built once per scenario; every run gets a fresh learner (and memory).
 */
export async function runBenchmark(digits: MnistDigits, options: BenchOptions, config = BENCH_CONFIG): Promise<ResultRow[]> {
  const now = options.now ?? (() => performance.now() / 1000);
  for (const s of options.scenarios) {
    if (!config.scenarios[s]) throw new Error(`unknown scenario "${s}" (known: ${SCENARIO_IDS.join(', ')})`);
    for (const st of options.strategies) {
      if (!config.scenarios[s].strategies[st]) throw new Error(`scenario ${s} has no strategy "${st}"`);
    }
  }
  if (options.seeds !== undefined && !(Number.isInteger(options.seeds) && options.seeds >= 1)) {
    throw new Error(`seeds must be a positive integer, got ${options.seeds}`);
  }
  if (options.iterations !== undefined && !(Number.isInteger(options.iterations) && options.iterations >= 1)) {
    throw new Error(`iterations must be a positive integer, got ${options.iterations}`);
  }
  const splits = new Map<MnistDigits, DataSplit>();
  const splitFor = (s: ScenarioId) => {
    const source = config.experiments[config.scenarios[s].experiment].data ?? 'mnist-10k';
    const d = source === 'mnist-70k' && options.fullDigits ? options.fullDigits : digits;
    if (!splits.has(d)) {
      const split = splitDigits(d, config.data.testPerClass, config.data.splitSeed);
      splits.set(d, options.validationPerClass ? validationSplit(split, options.validationPerClass, config.data.splitSeed) : split);
    }
    return splits.get(d)!;
  };
  // Total steps of the whole benchmark, to report one fraction.
  let total = 0;
  for (const s of options.scenarios) {
    const { seeds, iterations } = runShape(s, options, config);
    for (const st of options.strategies) {
      const its = strategyIterations(config.scenarios[s].strategies[st], iterations, options);
      total += seeds * stepsOf({ experiment: config.experiments[config.scenarios[s].experiment] }, its);
    }
  }
  let done = 0;
  const rows: ResultRow[] = [];
  for (const s of options.scenarios) {
    const split = splitFor(s);
    const data = buildScenario(s, split, config);
    const { seeds, iterations: scenarioIterations } = runShape(s, options, config);
    const T = data.train.length;
    for (const strategy of options.strategies) {
      const iterations = strategyIterations(config.scenarios[s].strategies[strategy], scenarioIterations, options);
      const started = now();
      const matrices: (number | null)[][][] = [];
      let storedBytes: number | undefined;
      const firstSeed = options.firstSeed ?? 1;
      for (let k = firstSeed; k < firstSeed + seeds; k++) {
        const base = done;
        options.onRunStart?.({ scenario: s, strategy, seed: k, seeds, contexts: T, first: base === 0 });
        const matrix = await runSequence(data, strategy, k, iterations, {
          signal: options.signal,
          progressEvery: options.progressEvery,
          onStep: (context, step, totalSteps, losses) => {
            const stepsSoFar = config.scenarios[s].strategies[strategy]?.joint ? step : context * iterations + step;
            options.onProgress?.({
              scenario: s,
              strategy,
              seed: k,
              seeds,
              context,
              contexts: T,
              step,
              totalSteps,
              fraction: total > 0 ? (base + stepsSoFar) / total : 1,
              losses,
            });
          },
          onMatrix: (m) => options.onMatrix?.(s, strategy, k, m),
          onContextEnd: (context) => options.onContextEnd?.(s, strategy, k, context),
          onStoredBytes: (bytes) => (storedBytes = bytes),
        });
        done = base + T * iterations;
        matrices.push(matrix);
      }
      const row = aggregateRow(s, strategy, matrices, {
        iterations,
        seconds: now() - started,
        backend: options.backend,
        quick: options.quick,
        data: dataSourceOf(split.digits),
        split: split.validationPerClass
          ? `validation: ${split.validationPerClass} of each digit's training images held out of ${describeSplit(split.digits, config)}; test images unused`
          : describeSplit(split.digits, config),
        ...(split.validationPerClass ? { validation: true } : {}),
        storedBytes,
      }, config);
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}
