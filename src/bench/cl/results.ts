/** Result rows of bench-results/cl.json: seeds aggregated, target verdicts, rows combined and merged, text table. */
import { averageAccuracy, backwardTransfer, forgetting } from '../../metrics';
import { BENCH_CONFIG, SCENARIO_IDS, STRATEGY_NAMES, type DataSource, type ScenarioId, type StrategyName } from './config';

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
  /** Bytes the learner keeps between contexts, where it reports them (the analytic learner's statistics). */
  storedBytes?: number;
  /** The paper's number for this cell, when there is one. */
  published: number | null;
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
  extra: { iterations: number; seconds: number; backend: string; quick: boolean; data?: DataSource; split?: string; validation?: boolean; storedBytes?: number },
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
    ...(extra.storedBytes !== undefined ? { storedBytes: extra.storedBytes } : {}),
    published: config.published[scenario]?.[strategy] ?? null,
  };
}

/**
 * Whether a row meets the issue's target for its cell (null when there is none). `applies` is false for quick or
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
      : `${r.scenario}/${r.strategy}${(r.data ?? 'mnist-10k') !== (BENCH_CONFIG.experiments[BENCH_CONFIG.scenarios[r.scenario].experiment].data ?? 'mnist-10k') ? `/${r.data}` : ''}`;
  const map = new Map(previous.map((r) => [key(r), r]));
  for (const r of fresh) map.set(key(r), r);
  const order = (r: ResultRow) => SCENARIO_IDS.indexOf(r.scenario) * 100 + STRATEGY_NAMES.indexOf(r.strategy);
  return [...map.values()].sort((a, b) => order(a) - order(b));
}

/** A plain-text table of rows beside the paper's numbers and the issue's targets. */
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
