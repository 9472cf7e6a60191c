/**
 * The frozen image backbone: a pretrained CNN cut at its global pooling, used as a feature extractor.
 * Pluggable through `BackboneConfig` (any tfjs layers model with a named cut layer).
 */
import * as tf from '@tensorflow/tfjs';

/** Where a backbone comes from and how to feed it. */
export interface BackboneConfig {
  /** URL of the tfjs layers model's model.json. */
  url: string;
  /** Name of the layer whose output is the embedding (the global pooling, flattened). */
  cutLayer: string;
  /** Edge of the square input, in pixels. */
  inputSize: number;
  /** Pixel value p in [0, 255] is fed as p * scale + offset. */
  normalisation: { scale: number; offset: number };
}

/** Base URL the app is served under (Vite's BASE_URL; '/' outside Vite). */
function baseUrl(): string {
  const env = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env;
  return env?.BASE_URL ?? '/';
}

/**
 * MobileNetV2 (ImageNet-pretrained, fine-tuned by nsfwjs, MIT), converted by scripts/build-backbone.mjs.
 * nsfwjs feeds pixels / 255; `flatten_1` follows the 7x7 average pooling: 1280 features.
 */
export function mobileNetV2Config(origin: string = self.location.origin): BackboneConfig {
  return {
    url: new URL(`${baseUrl()}models/mobilenet_v2/model.json`, origin).href,
    cutLayer: 'flatten_1',
    inputSize: 224,
    normalisation: { scale: 1 / 255, offset: 0 },
  };
}

/** A loaded backbone: the full network (for checks) and the feature extractor that shares its weights. */
export class Backbone {
  private constructor(
    readonly config: BackboneConfig,
    private readonly full: tf.LayersModel,
    private readonly extractor: tf.LayersModel,
    /** Width of the embedding. */
    readonly featureDim: number,
  ) {}

  /** Loads the model (from the network or the service worker's cache) and warms the shaders up. */
  static async load(config: BackboneConfig, loader?: tf.io.IOHandler): Promise<Backbone> {
    const full = await tf.loadLayersModel(loader ?? config.url);
    let cut: tf.SymbolicTensor;
    try {
      cut = full.getLayer(config.cutLayer).output as tf.SymbolicTensor;
    } catch {
      full.dispose();
      throw new Error(`The backbone at ${config.url} has no layer named "${config.cutLayer}"`);
    }
    if (cut.shape.length !== 2 || cut.shape[1] == null) {
      full.dispose();
      throw new Error(`Layer "${config.cutLayer}" must output a flat vector, got shape [${cut.shape.join(', ')}]`);
    }
    const extractor = tf.model({ inputs: full.inputs, outputs: cut });
    extractor.trainable = false;
    const backbone = new Backbone(config, full, extractor, cut.shape[1]);
    await backbone.warmUp();
    return backbone;
  }

  /** The layers model from a normalised batch to the embedding (shares the weights; the model export reuses it). */
  get featureModel(): tf.LayersModel {
    return this.extractor;
  }

  /** Compiles the shaders once so the first real frame is not slow. */
  private async warmUp(): Promise<void> {
    const s = this.config.inputSize;
    const out = tf.tidy(() => this.extractor.predict(tf.zeros([1, s, s, 3])) as tf.Tensor);
    await out.data();
    out.dispose();
  }

  /** Normalised input batch from RGBA frames of inputSize x inputSize. */
  private inputFromRgba(frames: readonly Uint8ClampedArray[]): tf.Tensor4D {
    const s = this.config.inputSize;
    for (const f of frames) {
      if (f.length !== s * s * 4) throw new Error(`A frame must be ${s}x${s} RGBA (${s * s * 4} bytes), got ${f.length}`);
    }
    const { scale, offset } = this.config.normalisation;
    return tf.tidy(() => {
      const rgba = tf.stack(frames.map((f) => tf.tensor3d(new Uint8Array(f.buffer, f.byteOffset, f.length), [s, s, 4], 'int32'))) as tf.Tensor4D;
      const rgb = tf.slice(rgba, [0, 0, 0, 0], [-1, -1, -1, 3]);
      return tf.add(tf.mul(tf.cast(rgb, 'float32'), scale), offset) as tf.Tensor4D;
    });
  }

  /** Embeddings of RGBA frames (inputSize x inputSize each), row-major n x featureDim. */
  async embedRgba(frames: readonly Uint8ClampedArray[]): Promise<Float32Array> {
    const out = tf.tidy(() => this.extractor.predict(this.inputFromRgba(frames)) as tf.Tensor2D);
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /** Embeddings of a normalised batch [n, inputSize, inputSize, 3] (tests, benchmarks). */
  async embedTensor(input: tf.Tensor4D): Promise<Float32Array> {
    const out = tf.tidy(() => this.extractor.predict(input) as tf.Tensor2D);
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /** The original network's outputs (nsfwjs's 5 classes) for a normalised batch: used to check the weights. */
  async classifyTensor(input: tf.Tensor4D): Promise<Float32Array> {
    const out = tf.tidy(() => this.full.predict(input) as tf.Tensor2D);
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /** Frees the weights. */
  dispose(): void {
    this.full.dispose();
  }
}
