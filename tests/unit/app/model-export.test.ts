/**
 * The exported image model (src/app/worker/model-export.ts): built on the real MobileNetV2 backbone, saved,
 * reloaded with plain `tf.loadLayersModel`, it gives the app's probabilities (backbone embedding -> head ->
 * softmax over the live classes) on pictures scaled the Teachable Machine way; the zip holds the three files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { unzipSync, strFromU8 } from 'fflate';
import { TEST_BACKBONE_CONFIG, loadTestBackbone } from '../support/backbone-files';
import type { Backbone } from '../../../src/app/platform/backbone';
import type { DenseHead } from '../../../src/app/worker/engine-contract';
import { exportImageModel, selectColumns } from '../../../src/app/worker/model-export';


/** A deterministic RGBA picture: smooth gradients plus a block whose colour depends on `k`. */
function picture(k: number, s = 224): Uint8ClampedArray {
  const out = new Uint8ClampedArray(s * s * 4);
  for (let y = 0; y < s; y++)
    for (let x = 0; x < s; x++) {
      const i = (y * s + x) * 4;
      const inBlock = Math.abs(x - 60 - 30 * k) < 40 && Math.abs(y - 110) < 40;
      out[i] = inBlock ? (k * 97) % 256 : (x + k * 31) % 256;
      out[i + 1] = inBlock ? (k * 53 + 80) % 256 : (y * 2) % 256;
      out[i + 2] = (x * y + k * 17) % 256;
      out[i + 3] = 255;
    }
  return out;
}

/** A seeded dense head: one ReLU hidden layer of 8 then `outputs` logits. */
function seededHead(dim: number, outputs: number): DenseHead {
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  const layer = (inputDim: number, units: number, activation: 'relu' | 'linear') => ({
    inputDim,
    units,
    activation,
    kernel: Float32Array.from({ length: inputDim * units }, rand),
    bias: Float32Array.from({ length: units }, rand),
  });
  return { layers: [layer(dim, 8, 'relu'), layer(8, outputs, 'linear')] };
}

/** What the app computes: embedding -> head -> softmax over `columns`. */
function appProbabilities(embedding: Float32Array, head: DenseHead, columns: number[]): number[] {
  let x = Array.from(embedding);
  for (const l of head.layers) {
    const y = Array.from(l.bias);
    for (let i = 0; i < l.inputDim; i++) for (let j = 0; j < l.units; j++) y[j] += x[i] * l.kernel[i * l.units + j];
    x = l.activation === 'relu' ? y.map((v) => Math.max(0, v)) : y;
  }
  const logits = columns.map((c) => x[c]);
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

describe('exported image model', () => {
  let backbone: Backbone;
  const config = TEST_BACKBONE_CONFIG;

  beforeAll(async () => {
    backbone = await loadTestBackbone();
  }, 120_000);

  it('reloads with tf.loadLayersModel and matches the app on TM-scaled pictures, without leaking tensors', async () => {
    const head = seededHead(backbone.featureDim, 4);
    // Column 1 is a deleted class: the export keeps columns 0, 2, 3 in that order.
    const columns = [0, 2, 3];
    const labels = ['Red', 'Green', 'Blue'];
    const before = tf.memory().numTensors;
    const out = await exportImageModel(
      { featureModel: backbone.featureModel, inputSize: 224, normalisation: config.normalisation },
      selectColumns(head, columns),
      labels,
    );
    expect(tf.memory().numTensors).toBe(before);

    const files = unzipSync(out.zip);
    expect(Object.keys(files).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const metadata = JSON.parse(strFromU8(files['metadata.json']));
    expect(metadata).toMatchObject({ labels, imageSize: 224, packageName: '@teachablemachine/image', tfjsVersion: tf.version.tfjs });
    const json = JSON.parse(strFromU8(files['model.json']));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const weights = files['weights.bin'];
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
    expect(loaded.inputs[0].shape).toEqual([null, 224, 224, 3]);
    expect(loaded.outputs[0].shape).toEqual([null, 3]);

    for (const k of [0, 1, 2]) {
      const rgba = picture(k);
      const expected = appProbabilities(await backbone.embedRgba([rgba]), head, columns);
      // Teachable Machine's capture(): pixels / 127 - 1.
      const input = tf.tidy(() => {
        const rgb = tf.tensor4d(Float32Array.from(rgba), [1, 224, 224, 4]).slice([0, 0, 0, 0], [-1, -1, -1, 3]);
        return rgb.div(127).sub(1);
      });
      const probs = loaded.predict(input) as tf.Tensor;
      const got = Array.from(await probs.data());
      tf.dispose([input, probs]);
      got.forEach((p, j) => expect(Math.abs(p - expected[j])).toBeLessThan(1e-4));
    }
    loaded.dispose();
    // The backbone still works after the export freed its own layers.
    expect((await backbone.embedRgba([picture(0)])).length).toBe(backbone.featureDim);
  }, 300_000);

  it('refuses a label count that differs from the head and an unknown column', async () => {
    const head = seededHead(backbone.featureDim, 2);
    const part = { featureModel: backbone.featureModel, inputSize: 224, normalisation: config.normalisation };
    await expect(exportImageModel(part, head, ['only one'])).rejects.toThrow(/2 outputs but 1 labels/);
    expect(() => selectColumns(head, [0, 5])).toThrow(/column 5 is not in the head/);
  });
});
