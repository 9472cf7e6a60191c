/**
 * The converted MobileNetV2 backbone (scripts/build-backbone.mjs) loads, and its 1280-d features are sane:
 * deterministic, distinct for distinct images, and the original nsfwjs classifier on top of them still agrees
 * with the full network.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BACKBONE_DIR, backboneFileLoader, loadTestBackbone } from '../support/backbone-files';
import type { Backbone } from '../../../src/app/platform/backbone';


/** Synthetic scenes: a gradient background and a coloured disc at a class-specific place. */
function scene(kind: number, jitter: number): tf.Tensor3D {
  const s = 224;
  const data = new Float32Array(s * s * 3);
  const cx = 60 + 100 * (kind % 2) + jitter, cy = 60 + 100 * Math.floor(kind / 2) - jitter;
  const colour = [[1, 0.1, 0.1], [0.1, 0.8, 0.2], [0.2, 0.3, 1], [0.9, 0.9, 0.1]][kind];
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
    const i = (y * s + x) * 3;
    const inside = (x - cx) ** 2 + (y - cy) ** 2 < 45 ** 2;
    for (let c = 0; c < 3; c++) data[i + c] = inside ? colour[c] : 0.3 + 0.4 * ((x + y * (c + 1)) / (s * 4));
  }
  return tf.tensor3d(data, [s, s, 3]);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}

describe('MobileNetV2 backbone', () => {
  let backbone: Backbone;

  beforeAll(async () => {
    backbone = await loadTestBackbone();
  });

  it('embeds into 1280 finite, non-negative features, deterministically', async () => {
    expect(backbone.featureDim).toBe(1280);
    const img = tf.stack([scene(0, 0)]) as tf.Tensor4D;
    const a = await backbone.embedTensor(img);
    const b = await backbone.embedTensor(img);
    img.dispose();
    expect(a.length).toBe(1280);
    expect(Array.from(a).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(Array.from(a).some((v) => v > 0)).toBe(true);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('gives distinct images distinct embeddings, and similar images closer ones', async () => {
    const batch = tf.stack([scene(0, 0), scene(0, 6), scene(1, 0), scene(2, 0), scene(3, 0)]) as tf.Tensor4D;
    const e = await backbone.embedTensor(batch);
    batch.dispose();
    const row = (i: number) => e.subarray(i * 1280, (i + 1) * 1280);
    const same = cosine(row(0), row(1));
    for (const other of [2, 3, 4]) {
      const cross = cosine(row(0), row(other));
      expect(cross).toBeLessThan(0.995);
      expect(cross).toBeLessThan(same);
    }
  });

  it('the cut features feed the original classifier exactly like the full network', async () => {
    const batch = tf.stack([scene(1, 0), scene(3, 4)]) as tf.Tensor4D;
    const probs = await backbone.classifyTensor(batch);
    const features = await backbone.embedTensor(batch);
    batch.dispose();
    // nsfwjs's head: dense_1 (relu) -> dense_2 (relu) -> dense_3 (softmax); dropout is identity at inference.
    const json = JSON.parse(readFileSync(path.join(BACKBONE_DIR, 'model.json'), 'utf8'));
    expect(json.modelTopology.model_config.config.layers.map((l: { name: string }) => l.name)).toContain('flatten_1');
    const full = await tf.loadLayersModel(backboneFileLoader());
    const head = ['dense_1', 'dense_2', 'dense_3'].map((n) => full.getLayer(n));
    const viaHead = tf.tidy(() => {
      let h: tf.Tensor = tf.tensor2d(features, [2, 1280]);
      for (const layer of head) h = layer.apply(h) as tf.Tensor;
      return h;
    });
    const recomputed = await viaHead.data();
    viaHead.dispose();
    full.dispose();
    for (let i = 0; i < probs.length; i++) expect(recomputed[i]).toBeCloseTo(probs[i], 4);
    for (let r = 0; r < 2; r++) {
      const sum = probs.slice(r * 5, r * 5 + 5).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 4);
    }
  });

  it('does not leak tensors', async () => {
    const before = tf.memory().numTensors;
    const img = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
    await backbone.embedTensor(img);
    await backbone.embedRgba([new Uint8ClampedArray(224 * 224 * 4)]);
    img.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
