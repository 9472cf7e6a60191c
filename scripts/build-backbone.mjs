#!/usr/bin/env node
/**
 * Converts the MobileNetV2 bundled in the `nsfwjs` package (MIT) into a tfjs layers model that Vite serves and the
 * service worker precaches: public/models/mobilenet_v2/model.json + group1-shard1of1.bin.
 *
 * nsfwjs ships its model as two UMD JavaScript modules: `model.min.js` exports the Keras topology and the weights
 * manifest (uint8-quantised weights), `group1-shard1of1.min.js` exports the weight shard as a base64 string.
 * We decode them unchanged; the app cuts the network at its global pooling (`flatten_1`, 1280 features).
 * Skips the work when the output is newer than the package's files.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(root, 'node_modules/nsfwjs/dist/models/mobilenet_v2');
const outDir = path.join(root, 'public/models/mobilenet_v2');
const topologyFile = path.join(sourceDir, 'model.min.js');
const shardFile = path.join(sourceDir, 'group1-shard1of1.min.js');
const modelJsonOut = path.join(outDir, 'model.json');
const shardName = 'group1-shard1of1.bin';

if (!existsSync(topologyFile) || !existsSync(shardFile)) {
  console.error(`build-backbone: ${sourceDir} is missing its model files: run \`npm ci\` first (nsfwjs is a devDependency).`);
  process.exit(1);
}

const newest = Math.max(statSync(topologyFile).mtimeMs, statSync(shardFile).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs);
if (existsSync(modelJsonOut) && existsSync(path.join(outDir, shardName)) && statSync(modelJsonOut).mtimeMs >= newest) {
  console.log('build-backbone: public/models/mobilenet_v2 is up to date');
  process.exit(0);
}

// The files are UMD bundles: in CommonJS they assign module.exports (the package's `exports` map hides them from
// bare specifiers, so load them by absolute path).
const require = createRequire(import.meta.url);
const model = require(topologyFile);
const shardBase64 = require(shardFile);
if (!model?.modelTopology || !Array.isArray(model.weightsManifest) || typeof shardBase64 !== 'string') {
  console.error('build-backbone: unexpected nsfwjs model format (expected { modelTopology, weightsManifest } and a base64 shard)');
  process.exit(1);
}
const shard = Buffer.from(shardBase64, 'base64');

// Check the shard holds exactly the bytes the manifest describes, so a format change fails here, not in the browser.
const bytesPerElement = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };
let expected = 0;
for (const group of model.weightsManifest) {
  for (const w of group.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    expected += n * bytesPerElement[w.quantization?.dtype ?? w.dtype];
  }
}
if (expected !== shard.length) {
  console.error(`build-backbone: shard has ${shard.length} bytes, manifest describes ${expected}`);
  process.exit(1);
}
if (model.weightsManifest.length !== 1) {
  console.error('build-backbone: expected one weight group');
  process.exit(1);
}

const modelJson = {
  format: 'layers-model',
  generatedBy: 'nsfwjs mobilenet_v2 (MIT), repackaged by scripts/build-backbone.mjs',
  convertedBy: null,
  modelTopology: model.modelTopology,
  weightsManifest: [{ paths: [shardName], weights: model.weightsManifest[0].weights }],
};
mkdirSync(outDir, { recursive: true });
// Written to a temporary name and renamed: two test processes may build at once, and a reader must never see
// half a file. model.json goes last, so its presence means the shard is complete.
const writeAtomic = (file, data) => {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
};
writeAtomic(path.join(outDir, shardName), shard);
writeAtomic(modelJsonOut, JSON.stringify(modelJson));
console.log(`build-backbone: wrote ${path.relative(root, outDir)} (${(shard.length / 1e6).toFixed(2)} MB weights)`);
