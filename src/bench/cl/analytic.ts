/** The analytic (closed-form, exemplar-free) learner's runs in the MNIST benchmark: its config.json entry and its loop. */
import { AnalyticLearner } from '../../cl/analytic';
import type { AnalyticSpec } from './config';
import { MNIST_PIXELS } from './data';
import type { ScenarioData } from './scenarios';

/** Side of an MNIST image, for the deskewing step. */
const MNIST_SIDE = 28;

/** Hooks of one analytic run (a subset of runSequence's). */
export interface AnalyticRunHooks {
  signal?: AbortSignal;
  onStep?: (context: number, step: number, totalSteps: number, losses: Record<string, number>) => void;
  onMatrix?: (matrix: (number | null)[][]) => void;
  onContextEnd?: (context: number) => void;
  /** Bytes the learner keeps after the last context (its statistics; no sample). */
  onStoredBytes?: (bytes: number) => void;
}

/**
 * Learns a scenario's contexts in order with the analytic learner and returns its accuracy matrix (0-100), as
 * runSequence does for the gradient learner. Each context is one closed-form round: no iterations.
 */
export async function runAnalyticSequence(data: ScenarioData, spec: AnalyticSpec, seed: number, hooks: AnalyticRunHooks = {}): Promise<(number | null)[][]> {
  const { featureMap } = spec;
  const learner = new AnalyticLearner({
    featureMap: {
      kind: featureMap.kind,
      inputDim: MNIST_PIXELS,
      features: featureMap.features,
      gamma: featureMap.gamma,
      seed,
      ...(featureMap.deskew ? { deskew: { width: MNIST_SIDE, height: MNIST_SIDE } } : {}),
    },
    classifier: spec.classifier,
    scenario: data.spec.scenario,
    lambdas: spec.lambdas,
    validationFraction: spec.validationFraction,
    seed,
  });
  const T = data.train.length;
  const matrix: (number | null)[][] = [];
  try {
    for (let k = 0; k < T; k++) {
      const report = await learner.learnTask(data.train[k], { signal: hooks.signal });
      hooks.onStep?.(k, 1, 1, { lambda: report.lambda, seconds: report.seconds, residual: report.relativeResidual });
      hooks.onContextEnd?.(k);
      const row: (number | null)[] = new Array<number | null>(T).fill(null);
      for (let j = 0; j <= k; j++) row[j] = 100 * (await learner.evaluate(data.test[j])).accuracy;
      matrix.push(row);
      hooks.onMatrix?.(matrix.map((r) => [...r]));
    }
    hooks.onStoredBytes?.(learner.storedBytes);
    return matrix;
  } finally {
    learner.dispose();
  }
}
