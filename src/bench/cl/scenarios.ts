/** Each scenario's contexts built from a split, each strategy's engine config, and a run's seeds and iterations. */
import type { StrategyConfig } from '../../cl/config';
import type { TaskData } from '../../cl/types';
import { InMemoryReplayMemory } from '../../memory';
import { BENCH_CONFIG, type BenchConfig, type ExperimentSpec, type ScenarioId, type ScenarioSpec, type StrategySpec } from './config';
import { MNIST_PIXELS, makePermutations, type DataSplit, type MnistDigits } from './data';

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

/** How long a run is: seeds and iterations per context (defaults from the config), or the quick run's. */
export interface RunLength {
  /** Seeds per cell (default: the experiment's `seeds`, 1 with quick). */
  seeds?: number;
  /** Iterations per context (default: the experiment's `iterations`, `quickIterations` with quick). */
  iterations?: number;
  quick: boolean;
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
export function runShape(id: ScenarioId, options: RunLength, config = BENCH_CONFIG) {
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
  options: Omit<RunLength, 'seeds'>,
): number {
  if (options.iterations !== undefined || options.quick) return scenarioIterations;
  return spec?.iterations ?? scenarioIterations;
}

/** Training steps a strategy costs in a scenario (joint trains contexts x iterations once). */
export function stepsOf(data: { experiment: ExperimentSpec }, iterations: number): number {
  return data.experiment.contexts * iterations;
}
