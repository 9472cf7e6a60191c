/** Sufficient statistics of the analytic learner: Gram matrix, per-class feature sums and counts, in float64. */
import * as tf from '@tensorflow/tfjs';

/**
 * G = sum phi phi^T (M x M), s_c = sum over class c of phi (M), n_c = count, accumulated in float64 on the host
 * from float32 batch products (each batch's product is exact to float32 rounding; the running sums lose
 * nothing more). Everything a ridge or LDA classifier needs, and nothing from which a sample can be read back.
 */
export class SufficientStatistics {
  readonly dim: number;
  readonly gram: Float64Array;
  private readonly sums = new Map<number, Float64Array>();
  private readonly counts = new Map<number, number>();

  /** Empty statistics for features of width `dim`. */
  constructor(dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`statistics: feature width must be a positive integer, got ${dim}`);
    this.dim = dim;
    this.gram = new Float64Array(dim * dim);
  }

  /** Classes with at least one sample, ascending. */
  get classes(): number[] {
    return [...this.counts.keys()].sort((a, b) => a - b);
  }

  /** Samples of a class (0 if none). */
  count(label: number): number {
    return this.counts.get(label) ?? 0;
  }

  /** Samples in all. */
  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** Feature sum of a class (zeros if none); a view, do not modify. */
  sum(label: number): Float64Array {
    return this.sums.get(label) ?? new Float64Array(this.dim);
  }

  /**
   * Adds (sign +1) or removes (sign -1) a batch: features `phi` [n, dim] and their labels. Removing exactly the
   * samples that were added gives back the statistics without them (to float32 rounding of the batch products):
   * exact unlearning.
   */
  async update(phi: tf.Tensor2D, labels: Int32Array, sign: 1 | -1): Promise<void> {
    const [n, dim] = phi.shape;
    const { present, batchCounts } = this.checkBatch(n, dim, labels, sign);
    if (n === 0) return;
    const column = new Map(present.map((c, i) => [c, i]));
    const oneHot = new Float32Array(n * present.length);
    for (let i = 0; i < n; i++) oneHot[i * present.length + column.get(labels[i])!] = 1;
    const [gramT, sumsT] = tf.tidy(() => [
      tf.matMul(phi, phi, true, false),
      tf.matMul(phi, tf.tensor2d(oneHot, [n, present.length]), true, false),
    ]);
    const [g, s] = await Promise.all([gramT.data() as Promise<Float32Array>, sumsT.data() as Promise<Float32Array>]);
    tf.dispose([gramT, sumsT]);
    const gram = this.gram;
    for (let i = 0; i < g.length; i++) gram[i] += sign * g[i];
    this.addClassSums(present, batchCounts, s, sign);
  }

  /**
   * `update` for feature rows already on the host (n x dim, row-major): the products in float64 here, with no
   * backend round trip. For a few rows (a round's new pictures) that is faster than a matMul and two read-backs.
   */
  updateHost(values: Float32Array, n: number, labels: Int32Array, sign: 1 | -1): void {
    const dim = this.dim;
    if (values.length !== n * dim) throw new Error(`statistics: ${values.length} feature values are not ${n} rows of ${dim}`);
    const { present, batchCounts } = this.checkBatch(n, dim, labels, sign);
    if (n === 0) return;
    const column = new Map(present.map((c, i) => [c, i]));
    const k = present.length;
    const gram = this.gram;
    const s = new Float64Array(dim * k);
    for (let r = 0; r < n; r++) {
      const row = r * dim;
      const j = column.get(labels[r])!;
      for (let a = 0; a < dim; a++) {
        const va = values[row + a];
        s[a * k + j] += va;
        if (va === 0) continue;
        const ga = a * dim;
        const scaled = sign * va;
        // Lower triangle only; mirrored below (the Gram is symmetric).
        for (let b = 0; b <= a; b++) gram[ga + b] += scaled * values[row + b];
      }
    }
    for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) gram[b * dim + a] = gram[a * dim + b];
    this.addClassSums(present, batchCounts, s, sign);
  }

  /** Checks a batch's width and labels (and, when removing, that its samples were added); its classes and counts. */
  private checkBatch(n: number, dim: number, labels: Int32Array, sign: 1 | -1): { present: number[]; batchCounts: Map<number, number> } {
    if (dim !== this.dim) throw new Error(`statistics: features have width ${dim}, expected ${this.dim}`);
    if (labels.length !== n) throw new Error(`statistics: ${labels.length} labels for ${n} feature rows`);
    const present = [...new Set(labels)].sort((a, b) => a - b);
    for (const c of present) {
      if (!Number.isInteger(c) || c < 0) throw new Error(`statistics: label ${c} is not a class index`);
    }
    const batchCounts = new Map<number, number>();
    for (const c of labels) batchCounts.set(c, (batchCounts.get(c) ?? 0) + 1);
    if (sign < 0) {
      for (const [c, k] of batchCounts) {
        if (k > this.count(c)) throw new Error(`statistics: cannot remove ${k} samples of class ${c}, only ${this.count(c)} were added`);
      }
    }
    return { present, batchCounts };
  }

  /** Adds a batch's per-class sums `s` (dim x present.length, row-major) and counts. */
  private addClassSums(present: number[], batchCounts: Map<number, number>, s: ArrayLike<number>, sign: 1 | -1): void {
    const dim = this.dim;
    present.forEach((c, j) => {
      let acc = this.sums.get(c);
      if (!acc) this.sums.set(c, (acc = new Float64Array(dim)));
      for (let i = 0; i < dim; i++) acc[i] += sign * s[i * present.length + j];
      const left = this.count(c) + sign * batchCounts.get(c)!;
      if (left === 0) {
        this.counts.delete(c);
        this.sums.delete(c);
      } else {
        this.counts.set(c, left);
      }
    });
  }

  /** The statistics as plain arrays (G's lower triangle, packed row by row), for a checkpoint. */
  toArrays(): { gramLower: Float64Array; classes: number[]; counts: number[]; sums: Float64Array } {
    const m = this.dim;
    const gramLower = new Float64Array((m * (m + 1)) / 2);
    let o = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) gramLower[o++] = this.gram[i * m + j];
    const classes = this.classes;
    const sums = new Float64Array(classes.length * m);
    classes.forEach((c, k) => sums.set(this.sums.get(c)!, k * m));
    return { gramLower, classes, counts: classes.map((c) => this.count(c)), sums };
  }

  /** Rebuilds statistics from `toArrays()`; throws a specific error on inconsistent sizes. */
  static fromArrays(dim: number, a: { gramLower: Float64Array; classes: number[]; counts: number[]; sums: Float64Array }): SufficientStatistics {
    const s = new SufficientStatistics(dim);
    if (a.gramLower.length !== (dim * (dim + 1)) / 2) throw new Error(`statistics: Gram triangle has ${a.gramLower.length} values, expected ${(dim * (dim + 1)) / 2}`);
    if (a.counts.length !== a.classes.length || a.sums.length !== a.classes.length * dim) throw new Error('statistics: class sums and counts do not match the classes');
    let o = 0;
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j <= i; j++) {
        const v = a.gramLower[o++];
        s.gram[i * dim + j] = v;
        s.gram[j * dim + i] = v;
      }
    }
    a.classes.forEach((c, k) => {
      if (!(Number.isInteger(a.counts[k]) && a.counts[k] > 0)) throw new Error(`statistics: class ${c} has count ${a.counts[k]}`);
      s.counts.set(c, a.counts[k]);
      s.sums.set(c, a.sums.slice(k * dim, (k + 1) * dim));
    });
    return s;
  }

  /** Bytes a checkpoint of these statistics holds (G's triangle and the class sums in float64, the counts). */
  get storedBytes(): number {
    const m = this.dim;
    return 8 * ((m * (m + 1)) / 2 + this.counts.size * m) + 8 * this.counts.size;
  }
}
