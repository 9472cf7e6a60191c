/** The learner's model: a ReLU MLP body and a linear head that grows as classes arrive, as plain tf.Variables. */
import * as tf from '@tensorflow/tfjs';
import type { TensorRecord } from '../memory/types';
import { LIMITS, type FreezeSpec, type ModelConfig } from './config';
import { checkInteger, validateFreeze, validateModelConfig } from './validate';

/** One dense layer's parameters: kernel [in, out] and bias [out]. */
export interface DenseParams {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

let modelCounter = 0;

/**
 * The trainable part of a continual learner: a ReLU MLP body and a linear head whose outputs can grow.
 * Parameters are plain tf.Variables (not tf.layers) so that the head can grow in place, the model can be
 * copied as a frozen teacher, and strategies can address every tensor by a stable name.
 */
export class ContinualModel {
  /** Body layers followed by the head (the last entry). */
  readonly layers: DenseParams[] = [];
  readonly config: ModelConfig;
  private readonly id = modelCounter++;
  private growCount = 0;

  /** Builds a freshly initialised model (PyTorch-style uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)) init). */
  constructor(config: ModelConfig, init = true) {
    validateModelConfig(config);
    this.config = { ...config, hidden: [...config.hidden] };
    if (!init) return;
    const dims = [config.inputDim, ...config.hidden, config.outputs];
    for (let l = 0; l < dims.length - 1; l++) {
      this.layers.push(this.initLayer(dims[l], dims[l + 1], config.seed * 7919 + l));
    }
  }

  private initLayer(fanIn: number, fanOut: number, seed: number): DenseParams {
    const bound = 1 / Math.sqrt(fanIn);
    const l = this.layers.length;
    return tf.tidy(() => ({
      kernel: tf.variable(
        tf.randomUniform([fanIn, fanOut], -bound, bound, 'float32', seed) as tf.Tensor2D,
        true,
        this.varName(l, 'kernel'),
      ),
      bias: tf.variable(
        tf.randomUniform([fanOut], -bound, bound, 'float32', seed + 1) as tf.Tensor1D,
        true,
        this.varName(l, 'bias'),
      ),
    }));
  }

  private varName(layer: number, what: string): string {
    return `retain_m${this.id}_g${this.growCount}_L${layer}_${what}`;
  }

  /** Number of outputs of the head now. */
  get numOutputs(): number {
    return this.head.kernel.shape[1];
  }

  /** The classification head (last layer). */
  get head(): DenseParams {
    return this.layers[this.layers.length - 1];
  }

  /** Width of the head's input (the body's feature size). */
  get featureDim(): number {
    return this.head.kernel.shape[0];
  }

  /** Logits for a batch of inputs [B, inputDim] -> [B, numOutputs]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      this.layers.forEach((layer, l) => {
        h = tf.add(tf.matMul(h, layer.kernel), layer.bias) as tf.Tensor2D;
        if (l < this.layers.length - 1) h = tf.relu(h);
      });
      return h;
    });
  }

  /**
   * Logits for n host rows (row-major n x inputDim), in chunks of `chunk` rows so the activations of a large set
   * stay bounded, as one tensor (caller disposes).
   */
  logitsOfRows(x: Float32Array, n: number, chunk = 1024): tf.Tensor2D {
    const d = this.config.inputDim;
    if (x.length !== n * d) throw new Error(`expected ${n} x ${d} input values, got ${x.length}`);
    const parts: tf.Tensor2D[] = [];
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      parts.push(tf.tidy(() => this.logits(tf.tensor2d(x.subarray(s * d, (s + m) * d), [m, d]))));
    }
    if (parts.length === 1) return parts[0];
    const out = tf.concat(parts) as tf.Tensor2D;
    tf.dispose(parts);
    return out;
  }

  /**
   * Grows the head to `total` outputs. The old columns are copied exactly (bit-identical logits for old
   * classes); the new ones are initialised like a fresh layer. Old variables are disposed.
   */
  growHead(total: number): void {
    checkInteger('growHead: the number of outputs', total, 0, LIMITS.maxOutputs);
    const old = this.head;
    const current = old.kernel.shape[1];
    if (total < current)
      throw new Error(`growHead: cannot shrink the head from ${current} to ${total} outputs`);
    if (total === current) return;
    this.growCount++;
    const fanIn = old.kernel.shape[0];
    const bound = 1 / Math.sqrt(fanIn);
    const seed = this.config.seed * 104729 + total;
    const l = this.layers.length - 1;
    const grown = tf.tidy(() => ({
      kernel: tf.variable(
        tf.concat(
          [
            old.kernel,
            tf.randomUniform([fanIn, total - current], -bound, bound, 'float32', seed) as tf.Tensor2D,
          ],
          1,
        ),
        true,
        this.varName(l, 'kernel'),
      ),
      bias: tf.variable(
        tf.concat([
          old.bias,
          tf.randomUniform([total - current], -bound, bound, 'float32', seed + 1) as tf.Tensor1D,
        ]),
        true,
        this.varName(l, 'bias'),
      ),
    }));
    old.kernel.dispose();
    old.bias.dispose();
    this.layers[l] = grown;
  }

  /** Every parameter, body first, as [kernel0, bias0, kernel1, bias1, ...]. */
  allVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.kernel, l.bias]);
  }

  /** The parameters that train under a freeze specification. */
  trainableVariables(freeze: FreezeSpec = { train: 'all' }): tf.Variable[] {
    validateFreeze(freeze);
    const n = this.layers.length;
    const from =
      freeze.train === 'all' ? 0 : freeze.train === 'head' ? n - 1 : Math.max(0, n - freeze.layers);
    return this.layers.slice(from).flatMap((l) => [l.kernel, l.bias]);
  }

  /** A deep copy with its own variables (not trainable): the frozen teacher for LwF, or a snapshot. */
  clone(trainable = false): ContinualModel {
    const copy = new ContinualModel(this.config, false);
    for (const layer of this.layers) {
      const l = copy.layers.length;
      // tf.variable keeps its own reference to the data: tidy frees the temporary clones.
      copy.layers.push(
        tf.tidy(() => ({
          kernel: tf.variable(layer.kernel.clone(), trainable, copy.varName(l, 'kernel')),
          bias: tf.variable(layer.bias.clone(), trainable, copy.varName(l, 'bias')),
        })),
      );
    }
    return copy;
  }

  /** Replaces this model's parameters with another's (same architecture; used to roll back a cancelled round). */
  copyFrom(other: ContinualModel): void {
    if (other.layers.length !== this.layers.length) throw new Error('copyFrom: different number of layers');
    this.layers.forEach((layer, l) => {
      const src = other.layers[l];
      if (src.kernel.shape.join() !== layer.kernel.shape.join()) {
        this.growCount++;
        layer.kernel.dispose();
        layer.bias.dispose();
        this.layers[l] = tf.tidy(() => ({
          kernel: tf.variable(src.kernel.clone(), true, this.varName(l, 'kernel')),
          bias: tf.variable(src.bias.clone(), true, this.varName(l, 'bias')),
        }));
      } else {
        layer.kernel.assign(src.kernel);
        layer.bias.assign(src.bias);
      }
    });
  }

  /** The weights as plain records (for checkpoints and export). */
  async exportWeights(prefix: string): Promise<TensorRecord[]> {
    const out: TensorRecord[] = [];
    for (let l = 0; l < this.layers.length; l++) {
      for (const what of ['kernel', 'bias'] as const) {
        const v = this.layers[l][what];
        out.push({
          name: `${prefix}L${l}/${what}`,
          shape: [...v.shape],
          dtype: 'float32',
          data: (await v.data()) as Float32Array,
        });
      }
    }
    return out;
  }

  /** Builds a model from records written by `exportWeights`, validating every shape. */
  static fromWeights(
    config: ModelConfig,
    records: TensorRecord[],
    prefix: string,
    trainable = true,
  ): ContinualModel {
    const m = new ContinualModel(config, false);
    const byName = new Map(records.map((r) => [r.name, r]));
    const layers: { k: TensorRecord; b: TensorRecord; inDim: number; outDim: number }[] = [];
    let prevOut = config.inputDim;
    // Every layer is checked before any variable is made: a refused checkpoint allocates nothing.
    for (let l = 0; l < config.hidden.length + 1; l++) {
      const k = byName.get(`${prefix}L${l}/kernel`);
      const b = byName.get(`${prefix}L${l}/bias`);
      if (!k || !b) throw new Error(`model weights: layer ${l} is missing`);
      const outDim = l < config.hidden.length ? config.hidden[l] : k.shape[1];
      if (
        k.shape.length !== 2 ||
        k.shape[0] !== prevOut ||
        k.shape[1] !== outDim ||
        b.shape.join() !== `${outDim}`
      ) {
        throw new Error(
          `model weights: layer ${l} has shapes [${k.shape}] / [${b.shape}], expected [${prevOut},${outDim}] / [${outDim}]`,
        );
      }
      if (l === config.hidden.length) checkInteger('model weights: the head outputs', outDim, 0, LIMITS.maxOutputs);
      if (k.data.length !== prevOut * outDim || b.data.length !== outDim)
        throw new Error(`model weights: layer ${l} has the wrong size`);
      layers.push({ k, b, inDim: prevOut, outDim });
      prevOut = outDim;
    }
    for (const [l, { k, b, inDim, outDim }] of layers.entries()) {
      m.layers.push(
        tf.tidy(() => ({
          kernel: tf.variable(
            tf.tensor2d(k.data as Float32Array, [inDim, outDim]),
            trainable,
            m.varName(l, 'kernel'),
          ),
          bias: tf.variable(tf.tensor1d(b.data as Float32Array), trainable, m.varName(l, 'bias')),
        })),
      );
    }
    return m;
  }

  /** Frees every variable. */
  dispose(): void {
    for (const l of this.layers) {
      l.kernel.dispose();
      l.bias.dispose();
    }
    this.layers.length = 0;
  }
}
