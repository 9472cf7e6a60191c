/** Closed-form classifiers from sufficient statistics: ridge regression on one-hot targets and shrinkage LDA. */
import { solveSpd, solveSpdHost } from '../../ops/spd_solve';
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

function checkLambda(lambda: number): void {
  if (!(lambda > 0 && Number.isFinite(lambda))) throw new Error(`classifier: lambda must be > 0, got ${lambda}`);
}

/** lambda x trace / M: the shrinkage in the matrix's own scale (an all-zero matrix, e.g. one LDA sample, still gets lambda). */
function relativeShift(matrix: Float64Array, m: number, lambda: number): number {
  let trace = 0;
  for (let i = 0; i < m; i++) trace += matrix[i * m + i];
  return lambda * (trace > 0 ? trace / m : 1);
}

/** Puts each class's feature sum into the first classes.length columns of `rhs` (M x width, row-major). */
function putClassSums(rhs: Float64Array, stats: SufficientStatistics, width: number): void {
  stats.classes.forEach((c, j) => {
    const sum = stats.sum(c);
    for (let i = 0; i < stats.dim; i++) rhs[i * width + j] = sum[i];
  });
}

/**
 * Solves the classifier of `kind` with relative shrinkage `lambda` from the statistics; `residual: false` (a
 * candidate of the shrinkage search) skips the residual check where the solver allows it (then NaN).
 */
export async function solveClassifier(stats: SufficientStatistics, kind: ClassifierKind, lambda: number, options: { residual?: boolean } = {}): Promise<LinearClassifier> {
  checkLambda(lambda);
  const classes = stats.classes;
  if (classes.length === 0) throw new Error('classifier: no class has been learned');
  const m = stats.dim;
  const k = classes.length;
  const rhs = new Float64Array(m * k);
  let matrix: Float64Array;
  if (kind === 'ridge') {
    matrix = stats.gram;
    putClassSums(rhs, stats, k);
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
  const shift = relativeShift(matrix, m, lambda);
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

/** A ridge classifier on all the statistics, with the scores its fit without some of their rows gives those rows. */
export interface RidgeWithHeldOut {
  classifier: LinearClassifier;
  /** h x classes (row-major, the classifier's columns): the scores of the held-out rows by the ridge fit without them. */
  heldOutScores: Float64Array;
}

/**
 * Ridge on statistics that already include h held-out rows `held` (h x M, row-major) with labels `labels`: the
 * classifier on everything, and, from the same factorisation, what the classifier fit without those rows would
 * score them. With A = G + shift I, [W | U] = A^-1 [C | H^T], S = H U: the held-out fit's scores are
 * (I - S)^-1 (H W - S Y) (Woodbury; the k-fold formula for ridge). One factorisation per shrinkage candidate
 * instead of two (a fit without the rows, then one with them). The shift is the whole statistics' (trace / M).
 */
export async function solveRidgeWithHeldOut(
  stats: SufficientStatistics,
  lambda: number,
  held: Float64Array,
  labels: Int32Array,
  options: { residual?: boolean } = {},
): Promise<RidgeWithHeldOut> {
  checkLambda(lambda);
  const classes = stats.classes;
  const m = stats.dim;
  const k = classes.length;
  const h = labels.length;
  if (k === 0) throw new Error('classifier: no class has been learned');
  if (held.length !== h * m) throw new Error(`classifier: ${held.length} held-out values are not ${h} rows of ${m}`);
  const column = new Map(classes.map((c, j) => [c, j]));
  const width = k + h;
  const rhs = new Float64Array(m * width);
  putClassSums(rhs, stats, width);
  for (let r = 0; r < h; r++) for (let i = 0; i < m; i++) rhs[i * width + k + r] = held[r * m + i];
  // The residual covers the held-out columns too: one check of the one solve.
  const { x, relativeResidual } = await solveSpd(stats.gram, m, rhs, width, { shift: relativeShift(stats.gram, m, lambda), residual: options.residual ?? true });
  const weights = new Float32Array(m * k);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) weights[i * k + j] = x[i * width + j];
  // H W (h x k) and S = H U (h x h), then R = H W - S Y and (I - S) P = R.
  const hw = new Float64Array(h * k);
  const iMinusS = new Float64Array(h * h);
  for (let r = 0; r < h; r++) {
    const row = r * m;
    for (let i = 0; i < m; i++) {
      const v = held[row + i];
      if (v === 0) continue;
      const xi = i * width;
      for (let j = 0; j < k; j++) hw[r * k + j] += v * x[xi + j];
      for (let q = 0; q < h; q++) iMinusS[r * h + q] -= v * x[xi + k + q];
    }
    iMinusS[r * h + r] += 1;
  }
  const residualOfFit = new Float64Array(h * k);
  for (let r = 0; r < h; r++) {
    for (let j = 0; j < k; j++) residualOfFit[r * k + j] = hw[r * k + j];
    // - S Y: Y is one-hot, so column label(q) of row r loses S[r][q] = -(I - S)[r][q] (q != r) or 1 - (I - S)[r][r].
    for (let q = 0; q < h; q++) {
      const j = column.get(labels[q]);
      if (j === undefined) throw new Error(`classifier: held-out label ${labels[q]} is not in the statistics`);
      const sRq = (q === r ? 1 : 0) - iMinusS[r * h + q];
      residualOfFit[r * k + j] -= sRq;
    }
  }
  // I - S is positive definite (it equals I - H A^-1 H^T with A - H^T H = the fit's G + shift I, positive definite).
  const heldOutScores = solveSpdHost(iMinusS, h, residualOfFit, k, 0, false).x;
  return { classifier: { classes, weights, bias: new Float32Array(k), lambda, relativeResidual }, heldOutScores };
}
