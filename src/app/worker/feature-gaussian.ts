/**
 * Class means with one shared (tied) covariance in feature space, and the Mahalanobis distance to a class's mean
 * (Lee et al. 2018, "A Simple Unified Framework for Detecting Out-of-Distribution Samples"). With n stored
 * pictures much fewer than the d features, the covariance is shrunk, S = Xc^T Xc / n + lambda I, and applied
 * through Woodbury's identity on the n x n Gram matrix:
 *   (x - mu)^T S^-1 (x - mu) = (|v|^2 - u^T (n lambda I + Xc Xc^T)^-1 u) / lambda,  v = x - mu,  u = Xc v.
 * lambda = alpha * trace(Xc^T Xc / n) / d: a large alpha tends to the Euclidean distance to the mean, a small one
 * weighs most the directions in which the taught classes barely vary.
 *
 * The relative Mahalanobis distance (Ren et al. 2021, "A Simple Fix to Mahalanobis Distance for Improving Near-OOD
 * Detection") subtracts the distance to one Gaussian of all the stored pictures (the background): directions in
 * which every picture varies (lighting, framing) stop counting as "far", and what is left is how much more the
 * picture looks like its nearest class than like pictures in general.
 *
 * Leave-one-out distances of the stored pictures themselves (what "Not sure" calibrates on, beside the held-out
 * pictures) come in closed form: leaving picture i of class c out moves its class mean to mu_c - r/(n_c - 1),
 * r = x_i - mu_c, and takes c r r^T (c = n_c / (n_c - 1)) off the scatter; Sherman-Morrison then gives every
 * quadratic form from the full fit's, v^T (A - c r r^T)^-1 w = v^T A^-1 w + c (v^T A^-1 r)(r^T A^-1 w) / (1 - c r^T A^-1 r).
 * Only the shrinkage is kept at the full fit's (it would shrink by |r|^2 / trace, well under 1 %).
 */

/** The shrunk tied-covariance Gaussian of the stored pictures' (unit-length) embeddings. */
export class TiedGaussian {
  private readonly means = new Map<number, Float32Array>();
  /** Centred rows, n x d, and each row's class. */
  private readonly centred: Float32Array[];
  private readonly rowClass: number[];
  /** Xc Xc^T, row-major n x n (float64), kept for the leave-one-out distances. */
  private readonly gram: Float64Array;
  /** Lower Cholesky factor L of n lambda I + Xc Xc^T, row-major n x n (float64). */
  private readonly chol: Float64Array;
  private readonly lambda: number;
  /** Per class: Xc mu, L^-1 Xc mu (n each) and |mu|^2, so one picture's distances to every class share one solve. */
  private readonly projected = new Map<number, { xcMu: Float64Array; solvedMu: Float64Array; muNorm: number }>();

  /** `raw`: the rows' X X^T when already computed (rawGram), shared by the Gaussians of one RelativeMahalanobis. */
  constructor(rows: readonly { classId: number; x: Float32Array }[], alpha: number, raw: Float64Array = rawGram(rows.map((r) => r.x))) {
    const d = rows[0]?.x.length ?? 0;
    const sums = new Map<number, { sum: Float64Array; n: number }>();
    for (const r of rows) {
      const e = sums.get(r.classId) ?? { sum: new Float64Array(d), n: 0 };
      for (let i = 0; i < d; i++) e.sum[i] += r.x[i];
      e.n++;
      sums.set(r.classId, e);
    }
    for (const [id, e] of sums) this.means.set(id, Float32Array.from(e.sum, (v) => v / e.n));
    this.rowClass = rows.map((r) => r.classId);
    this.centred = rows.map((r) => {
      const mu = this.means.get(r.classId)!;
      return r.x.map((v, i) => v - mu[i]);
    });
    const n = this.centred.length;
    const gram = centredGram(raw, this.rowClass);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += gram[i * n + i];
    this.gram = gram.slice();
    // A floor keeps lambda positive when every picture of a class is identical.
    this.lambda = Math.max(1e-9, (alpha * trace) / Math.max(1, n) / Math.max(1, d));
    for (let i = 0; i < n; i++) gram[i * n + i] += n * this.lambda;
    this.chol = cholesky(gram, n);
    for (const [id, mu] of this.means) {
      const xcMu = this.project(mu);
      this.projected.set(id, { xcMu, solvedMu: this.solve(xcMu.slice()), muNorm: dot(mu, mu) });
    }
  }

  /** Xc y (n). */
  private project(y: Float32Array): Float64Array {
    return Float64Array.from(this.centred, (r) => dot(r, y));
  }

  /** L^-1 u, in place. */
  private solve(u: Float64Array): Float64Array {
    const n = u.length;
    for (let i = 0; i < n; i++) {
      let s = u[i];
      for (let k = 0; k < i; k++) s -= this.chol[i * n + k] * u[k];
      u[i] = s / this.chol[i * n + i];
    }
    return u;
  }

  /** Squared Mahalanobis distance of `x` to every class's mean, by class id. */
  distances(x: Float32Array): Map<number, number> {
    // v = x - mu: |v|^2 = |x|^2 - 2 x.mu + |mu|^2 and L^-1 Xc v = L^-1 Xc x - L^-1 Xc mu.
    const solvedX = this.solve(this.project(x));
    const xx = dot(x, x);
    const out = new Map<number, number>();
    for (const [id, mu] of this.means) {
      const { solvedMu, muNorm } = this.projected.get(id)!;
      const vv = xx - 2 * dot(x, mu) + muNorm;
      let quad = 0;
      for (let i = 0; i < solvedX.length; i++) quad += (solvedX[i] - solvedMu[i]) ** 2;
      out.set(id, Math.max(0, vv - quad) / this.lambda);
    }
    return out;
  }

  /**
   * Each stored picture's squared distance to its nearest class had it been left out of the fit (NaN for a
   * picture whose class has no other picture), in the order the rows were given.
   */
  leaveOneOut(): Float64Array {
    const n = this.centred.length;
    const kappa = n * this.lambda;
    const ids = [...this.means.keys()];
    const means = ids.map((id) => this.means.get(id)!);
    const solvedMus = ids.map((id) => this.projected.get(id)!.solvedMu);
    const muNorms = ids.map((id) => this.projected.get(id)!.muNorm);
    const muDots = means.map((a) => means.map((b) => dot(a, b)));
    const counts = new Map<number, number>();
    for (const c of this.rowClass) counts.set(c, (counts.get(c) ?? 0) + 1);
    const out = new Float64Array(n).fill(NaN);
    const solvedR = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const nc = counts.get(this.rowClass[i])!;
      if (nc < 2) continue;
      const own = ids.indexOf(this.rowClass[i]);
      const r = this.centred[i];
      // L^-1 Xc x_i with Xc x_i = Xc r + Xc mu_own, Xc r being column i of the Gram matrix.
      const solvedX = this.solve(Float64Array.from(this.projected.get(ids[own])!.xcMu, (v, j) => v + this.gram[j * n + i]));
      // Bilinear forms v^T A^-1 w = (v.w - (L^-1 Xc v).(L^-1 Xc w)) / kappa, A = Xc^T Xc + kappa I, L^-1 Xc v = solvedX - L^-1 Xc mu.
      for (let j = 0; j < n; j++) solvedR[j] = solvedX[j] - solvedMus[own][j];
      const rr = this.gram[i * n + i];
      const c = nc / (nc - 1);
      const q = (rr - dot(solvedR, solvedR)) / kappa;
      if (!(1 - c * q > 0)) continue;
      let nearest = (c * c * q) / (1 - c * q);
      const rOwn = dot(r, means[own]);
      for (let k = 0; k < ids.length; k++) {
        if (k === own) continue;
        // v = x_i - mu = r + (mu_own - mu): v.v and v.r from r's and the means' dot products.
        const rMu = dot(r, means[k]) - rOwn;
        const vr = rr - rMu;
        const vv = rr - 2 * rMu + muNorms[k] - 2 * muDots[own][k] + muNorms[own];
        let svv = 0;
        let svr = 0;
        const sm = solvedMus[k];
        for (let j = 0; j < n; j++) {
          const sv = solvedX[j] - sm[j];
          svv += sv * sv;
          svr += sv * solvedR[j];
        }
        const qvr = (vr - svr) / kappa;
        nearest = Math.min(nearest, (vv - svv) / kappa + (c * qvr * qvr) / (1 - c * q));
      }
      out[i] = (n - 1) * nearest;
    }
    return out;
  }

  /** Whether class `classId` has a mean. */
  has(classId: number): boolean {
    return this.means.has(classId);
  }

  /** Squared Mahalanobis distance of `x` to class `classId`'s mean (Infinity: unknown class). */
  distance(x: Float32Array, classId: number): number {
    const mu = this.means.get(classId);
    if (!mu) return Infinity;
    const v = x.map((value, i) => value - mu[i]);
    const solved = this.solve(this.project(v));
    return Math.max(0, dot(v, v) - dot(solved, solved)) / this.lambda;
  }
}

/**
 * Relative Mahalanobis distance: the distance to the nearest class's mean under the classes' tied covariance,
 * minus the distance to the mean of all the pictures under their own covariance (one background Gaussian).
 * Both are shrunk alike. With a single class there is no background to compare with: the plain distance.
 */
export class RelativeMahalanobis {
  private readonly classes: TiedGaussian;
  private readonly background: TiedGaussian | null;

  constructor(rows: readonly { classId: number; x: Float32Array }[], alpha: number) {
    // Both Gaussians centre the same X X^T: the one O(n^2 d) product is computed once.
    const raw = rawGram(rows.map((r) => r.x));
    this.classes = new TiedGaussian(rows, alpha, raw);
    const classCount = new Set(rows.map((r) => r.classId)).size;
    this.background = classCount > 1 ? new TiedGaussian(rows.map((r) => ({ classId: 0, x: r.x })), alpha, raw) : null;
  }

  /** How much nearer `x` is to its nearest class than to the pictures as a whole (smaller: more familiar). */
  distance(x: Float32Array): number {
    const nearest = Math.min(...this.classes.distances(x).values());
    return this.background ? nearest - this.background.distance(x, 0) : nearest;
  }

  /** Each stored picture's distance had it been left out of both fits (NaN where its class has no other picture). */
  leaveOneOut(): Float64Array {
    const nearest = this.classes.leaveOneOut();
    if (!this.background) return nearest;
    const background = this.background.leaveOneOut();
    return nearest.map((v, i) => v - background[i]);
  }
}

/** X X^T of the rows, row-major n x n (float64). */
export function rawGram(rows: readonly Float32Array[]): Float64Array {
  const n = rows.length;
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = rows[i];
    for (let j = 0; j <= i; j++) {
      const b = rows[j];
      let s = 0;
      for (let k = 0; k < a.length; k++) s += a[k] * b[k];
      gram[i * n + j] = s;
      gram[j * n + i] = s;
    }
  }
  return gram;
}

/**
 * Xc Xc^T from X X^T and each row's class, in O(n^2): (x_i - mu_a).(x_j - mu_b) = x_i.x_j - x_i.mu_b - x_j.mu_a +
 * mu_a.mu_b, where x_i.mu_b is the mean of row i of X X^T over class b and mu_a.mu_b that over class a's rows.
 */
function centredGram(raw: Float64Array, rowClass: readonly number[]): Float64Array {
  const n = rowClass.length;
  const ids = [...new Set(rowClass)];
  const c = ids.length;
  const classOf = rowClass.map((id) => ids.indexOf(id));
  const counts = new Float64Array(c);
  for (const k of classOf) counts[k]++;
  const rowMean = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) rowMean[i * c + classOf[j]] += raw[i * n + j];
    for (let k = 0; k < c; k++) rowMean[i * c + k] /= counts[k];
  }
  const meanDot = new Float64Array(c * c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) meanDot[classOf[i] * c + k] += rowMean[i * c + k] / counts[classOf[i]];
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = classOf[i];
    for (let j = 0; j < n; j++) {
      const b = classOf[j];
      out[i * n + j] = raw[i * n + j] - rowMean[i * c + b] - rowMean[j * c + a] + meanDot[a * c + b];
    }
  }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Lower Cholesky factor of a symmetric positive-definite n x n matrix (row-major; the input is overwritten). */
function cholesky(a: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let diag = a[j * n + j];
    for (let k = 0; k < j; k++) diag -= a[j * n + k] * a[j * n + k];
    if (!(diag > 0)) throw new Error('The feature covariance is not positive definite');
    const l = Math.sqrt(diag);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return a;
}
