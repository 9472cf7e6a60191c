/** The converted MobileNetV2 backbone from disk, for Node tests (built first when missing, as `prebuild` does). */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Backbone, type BackboneConfig } from '../../../src/app/platform/backbone';
import { useWasmBackend } from './setup-wasm';

/** Where scripts/build-backbone.mjs writes the model (what the browser fetches). */
export const BACKBONE_DIR = path.resolve('public/models/mobilenet_v2');

/** Builds the backbone files if they are missing or stale (a fresh clone has none before `npm run build`). */
export function ensureBackboneFiles(): void {
  execFileSync('node', ['scripts/build-backbone.mjs']);
}

/** Loads model.json + shard from disk as an IOHandler. */
export function backboneFileLoader(): tf.io.IOHandler {
  const json = JSON.parse(readFileSync(path.join(BACKBONE_DIR, 'model.json'), 'utf8'));
  const shard = readFileSync(path.join(BACKBONE_DIR, json.weightsManifest[0].paths[0]));
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength),
  });
}

/** The app's backbone settings, with the model read from disk. */
export const TEST_BACKBONE_CONFIG: BackboneConfig = {
  url: 'file://model.json',
  cutLayer: 'flatten_1',
  inputSize: 224,
  normalisation: { scale: 1 / 255, offset: 0 },
};

/** Builds the files if needed, puts tfjs on WASM and loads the backbone as the app does. */
export async function loadTestBackbone(): Promise<Backbone> {
  ensureBackboneFiles();
  await useWasmBackend();
  return Backbone.load(TEST_BACKBONE_CONFIG, backboneFileLoader());
}
