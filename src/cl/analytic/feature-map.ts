/** Fixed, seeded feature maps of the analytic learner: random Fourier features, a random ReLU projection, identity. */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../rng';
import { deskewImages, type ImageShape } from './deskew';

/** Which map: `rff` = sqrt(2/M) cos(x W + b), W ~ N(0, 2 gamma) (RBF kernel exp(-gamma |x - x'|^2)); `relu` = max(0, x W), W ~ N(0, 1) (RanPAC); `identity` = x. */
export type FeatureMapKind = 'rff' | 'relu' | 'identity';

/** A feature map's definition; the map itself is rebuilt from it (nothing random is stored). */
export interface FeatureMapConfig {
  kind: FeatureMapKind;
  /** Width of an input row. */
  inputDim: number;
  /** Width M of a feature row (ignored by `identity`, whose width is inputDim). */
  features: number;
  /** RBF kernel width of `rff`, on the input's scale (MNIST pixels in [0, 1]: ~0.01). */
  gamma?: number;
  seed: number;
  /** Deskew each input as an image of this size first (fixed preprocessing; MNIST: 28 x 28). */
  deskew?: ImageShape;
}

/** Standard normal numbers from a seeded generator (Box-Muller). */
function gaussians(count: number, rng: SeededRandom): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - rng.next();
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Checks a feature-map config; throws a specific error. */
export function validateFeatureMapConfig(c: FeatureMapConfig): void {
  if (!['rff', 'relu', 'identity'].includes(c.kind)) throw new Error(`feature map: unknown kind "${c.kind}" (rff, relu or identity)`);
  if (!Number.isInteger(c.inputDim) || c.inputDim < 1) throw new Error(`feature map: inputDim must be a positive integer, got ${c.inputDim}`);
  if (c.kind !== 'identity' && (!Number.isInteger(c.features) || c.features < 1)) throw new Error(`feature map: features must be a positive integer, got ${c.features}`);
  if (c.kind === 'rff' && !(c.gamma !== undefined && c.gamma > 0 && Number.isFinite(c.gamma))) throw new Error(`feature map: rff needs gamma > 0, got ${c.gamma}`);
  if (c.deskew && c.deskew.width * c.deskew.height !== c.inputDim) {
    throw new Error(`feature map: deskew images of ${c.deskew.width} x ${c.deskew.height} do not match inputDim ${c.inputDim}`);
  }
}

/** A fixed feature map on the tfjs backend: the projection is drawn once from the seed and never trained. */
export class RandomFeatureMap {
  readonly config: FeatureMapConfig;
  /** Width of a feature row. */
  readonly outputDim: number;
  private readonly projection: tf.Tensor2D | null;
  private readonly phase: tf.Tensor1D | null;

  /** Draws the projection (and phases) from `config.seed`. */
  constructor(config: FeatureMapConfig) {
    validateFeatureMapConfig(config);
    this.config = { ...config };
    if (config.kind === 'identity') {
      this.outputDim = config.inputDim;
      this.projection = null;
      this.phase = null;
      return;
    }
    const m = config.features;
    this.outputDim = m;
    const rng = new SeededRandom(config.seed);
    const w = gaussians(config.inputDim * m, rng);
    if (config.kind === 'rff') {
      const scale = Math.sqrt(2 * config.gamma!);
      for (let i = 0; i < w.length; i++) w[i] *= scale;
      const b = new Float32Array(m);
      for (let j = 0; j < m; j++) b[j] = 2 * Math.PI * rng.next();
      this.phase = tf.tensor1d(b);
    } else {
      this.phase = null;
    }
    this.projection = tf.tensor2d(w, [config.inputDim, m]);
  }

  /** Inputs after the fixed preprocessing (deskewing), still on the host. */
  preprocess(x: Float32Array, n: number): Float32Array {
    return this.config.deskew ? deskewImages(x, n, this.config.deskew) : x;
  }

  /** Features of n preprocessed input rows, as one [n, outputDim] tensor (caller disposes). */
  applyPreprocessed(x: Float32Array, n: number): tf.Tensor2D {
    if (x.length !== n * this.config.inputDim) throw new Error(`feature map: ${x.length} values are not ${n} rows of ${this.config.inputDim}`);
    return tf.tidy(() => {
      const input = tf.tensor2d(x, [n, this.config.inputDim]);
      if (!this.projection) return input;
      const z = tf.matMul(input, this.projection);
      if (this.config.kind === 'relu') return tf.relu(z) as tf.Tensor2D;
      return tf.mul(tf.cos(tf.add(z, this.phase!)), Math.sqrt(2 / this.outputDim)) as tf.Tensor2D;
    });
  }

  /** Features of n raw input rows (preprocess + map), [n, outputDim] (caller disposes). */
  apply(x: Float32Array, n: number): tf.Tensor2D {
    return this.applyPreprocessed(this.preprocess(x, n), n);
  }

  /** Frees the projection. */
  dispose(): void {
    this.projection?.dispose();
    this.phase?.dispose();
  }
}
