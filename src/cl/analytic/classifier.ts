/** Closed-form classifiers from sufficient statistics: ridge regression on one-hot targets and shrinkage LDA. */
import { solveSpd } from '../../ops/spd_solve';
import type { SufficientStatistics } from './statistics';

/**
 * `ridge`: W = (G + lambda tr(G)/M I)^-1 C with C the class sums (one-hot targets), no bias.
 * `lda`: class means mu_c and the pooled within-class covariance S; W = (S + lambda tr(S)/M I)^-1 mu_c,
 * bias_c = -mu_c^T w_c / 2 (equal priors). The shrinkage is scaled to the trace in both, so its meaning does
 * not change with the number of samples.
 */
export type ClassifierKind = 'ridge' | 'lda';

/** A linear classifier over the statistics' classes: scores = phi W + bias. */
export interface LinearClassifier {
  /** The class of each column, ascending. */
  classes: number[];
  /** M x classes.length, row-major. */
  weights: Float32Array;
  bias: Float32Array;
  /** The relative shrinkage it was solved with. */
  lambda: number;
  /** ||B - (A + shift I) W|| / ||B|| of the solve, in float64 (NaN when not computed). */
  relativeResidual: number;
}

/**
 * Solves the classifier of `kind` with relative shrinkage `lambda` from the statistics; `residual: false` (a
 * candidate of the shrinkage search) skips the residual check where the solver allows it (then NaN).
 */
export async function solveClassifier(stats: SufficientStatistics, kind: ClassifierKind, lambda: number, options: { residual?: boolean } = {}): Promise<LinearClassifier> {
  if (!(lambda > 0 && Number.isFinite(lambda))) throw new Error(`classifier: lambda must be > 0, got ${lambda}`);
  const classes = stats.classes;
  if (classes.length === 0) throw new Error('classifier: no class has been learned');
  const m = stats.dim;
  const k = classes.length;
  const rhs = new Float64Array(m * k);
  let matrix: Float64Array;
  if (kind === 'ridge') {
    matrix = stats.gram;
    classes.forEach((c, j) => {
      const s = stats.sum(c);
      for (let i = 0; i < m; i++) rhs[i * k + j] = s[i];
    });
  } else {
    // S = (G - sum_c n_c mu_c mu_c^T) / n = (G - sum_c s_c s_c^T / n_c) / n.
    const n = stats.total;
    matrix = new Float64Array(stats.gram);
    for (const c of classes) {
      const s = stats.sum(c);
      const inv = 1 / stats.count(c);
      for (let i = 0; i < m; i++) {
        const si = s[i] * inv;
        const row = i * m;
        for (let j = 0; j < m; j++) matrix[row + j] -= si * s[j];
      }
    }
    for (let i = 0; i < matrix.length; i++) matrix[i] /= n;
    classes.forEach((c, j) => {
      const s = stats.sum(c);
      const inv = 1 / stats.count(c);
      for (let i = 0; i < m; i++) rhs[i * k + j] = s[i] * inv;
    });
  }
  let trace = 0;
  for (let i = 0; i < m; i++) trace += matrix[i * m + i];
  // An all-zero matrix (one sample of one class in LDA) still gets a positive shift.
  const shift = lambda * (trace > 0 ? trace / m : 1);
  const { x, relativeResidual } = await solveSpd(matrix, m, rhs, k, { shift, residual: options.residual ?? true });
  const bias = new Float32Array(k);
  if (kind === 'lda') {
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += rhs[i * k + j] * x[i * k + j];
      bias[j] = -dot / 2;
    }
  }
  return { classes, weights: Float32Array.from(x), bias, lambda, relativeResidual };
}
