/**
 * The exported image model: one tfjs layers model from a 224x224 RGB picture to class probabilities (the input
 * scaling as a standard Rescaling layer, the backbone up to its cut, the head as Dense + softmax), Teachable
 * Machine's `metadata.json`, and the three files in one zip. `tf.loadLayersModel` and `@teachablemachine/image`'s
 * `load(modelURL, metadataURL)` both open it unchanged: only layers tfjs serialises natively are used.
 */
import * as tf from '@tensorflow/tfjs';
import { t } from '../i18n';
import { strToU8, zipSync } from 'fflate';
import type { ImageModelZip } from '../protocol';
import type { DenseHead, Engine, EngineModel, FeatureExtractor } from './engine-contract';
import type { ProjectView } from './project-view';

/**
 * The input range of the exported model: pixel p in [0, 255] is fed as p / 127 - 1 (about [-1, 1]), exactly what
 * Teachable Machine's `predict(canvas)` feeds, so its library needs no option; plain tfjs users scale the same way.
 */
export const EXPORT_INPUT = { scale: 1 / 127, offset: -1 } as const;

/** Teachable Machine's image-model metadata (what `@teachablemachine/image`'s `load` reads). */
export interface TeachableMachineMetadata {
  tfjsVersion: string;
  tmVersion: string;
  packageVersion: string;
  packageName: string;
  modelName: string;
  timeStamp: string;
  labels: string[];
  imageSize: number;
  grayscale: boolean;
  userMetadata: Record<string, unknown>;
}

/** What the backbone contributes: its feature model, input edge and the pixel scaling it was trained with. */
export interface BackbonePart {
  featureModel: tf.LayersModel;
  inputSize: number;
  /** Pixel p in [0, 255] is fed to the backbone as p * scale + offset. */
  normalisation: { scale: number; offset: number };
}

/** The three files of an export and the zip that holds them. */
export interface ImageModelExport {
  zip: Uint8Array;
  modelJson: string;
  weights: ArrayBuffer;
  metadata: TeachableMachineMetadata;
}

/** The Teachable Machine format release whose image metadata this follows (its library reads no version). */
const TM_FORMAT_VERSION = '2.4.10';
/** The `@teachablemachine/image` release the export was checked against (tests/e2e/export.spec.ts). */
const TM_PACKAGE_VERSION = '0.8.5';

/**
 * Keeps only `columns` of the last layer (live, learned classes, in label order): a softmax over those logits
 * equals the app's prediction, which renormalises the probabilities over the same classes.
 */
export function selectColumns(head: DenseHead, columns: readonly number[]): DenseHead {
  const last = head.layers[head.layers.length - 1];
  if (!last) throw new Error('The head has no layer to export');
  for (const c of columns) {
    if (!Number.isInteger(c) || c < 0 || c >= last.units) throw new Error(`Output column ${c} is not in the head (0..${last.units - 1})`);
  }
  const kernel = new Float32Array(last.inputDim * columns.length);
  for (let i = 0; i < last.inputDim; i++) {
    columns.forEach((c, j) => (kernel[i * columns.length + j] = last.kernel[i * last.units + c]));
  }
  const bias = Float32Array.from(columns, (c) => last.bias[c]);
  return { layers: [...head.layers.slice(0, -1), { ...last, kernel, bias, units: columns.length }] };
}

/**
 * Builds the image model. The Rescaling layer maps the export's input (p / 127 - 1) to the backbone's
 * (p * scale + offset). The returned model shares the backbone's weights: free it with `disposeHeadLayers`.
 */
export function buildImageModel(backbone: BackbonePart, head: DenseHead): tf.LayersModel {
  const s = backbone.inputSize;
  const { scale, offset } = backbone.normalisation;
  // p = (x - EXPORT_INPUT.offset) / EXPORT_INPUT.scale, so p * scale + offset = x * a + b with:
  const a = scale / EXPORT_INPUT.scale;
  const b = offset - (EXPORT_INPUT.offset * scale) / EXPORT_INPUT.scale;
  const input = tf.input({ shape: [s, s, 3], name: 'image' });
  const scaled = tf.layers.rescaling({ scale: a, offset: b, name: 'preprocess' }).apply(input) as tf.SymbolicTensor;
  let x = backbone.featureModel.apply(scaled) as tf.SymbolicTensor;
  const dense: tf.layers.Layer[] = [];
  head.layers.forEach((l, i) => {
    const last = i === head.layers.length - 1;
    const layer = tf.layers.dense({ units: l.units, activation: last ? 'softmax' : l.activation, name: last ? 'retain_head' : `retain_hidden_${i}` });
    x = layer.apply(x) as tf.SymbolicTensor;
    dense.push(layer);
  });
  const model = tf.model({ inputs: input, outputs: x, name: 'retain_image_model' });
  head.layers.forEach((l, i) => {
    const kernel = tf.tensor2d(l.kernel, [l.inputDim, l.units]);
    const bias = tf.tensor1d(l.bias);
    dense[i].setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
  });
  return model;
}

/** Frees the head's layers of a model from `buildImageModel` (the backbone's weights stay in use by the app). */
export function disposeHeadLayers(model: tf.LayersModel): void {
  for (const layer of model.layers) if (layer.name.startsWith('retain_')) layer.dispose();
}

/** The model.json (weights in `weights.bin`) and its one weights file. */
export async function modelArtifacts(model: tf.LayersModel): Promise<{ modelJson: string; weights: ArrayBuffer }> {
  let out: { modelJson: string; weights: ArrayBuffer } | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const weights = data instanceof ArrayBuffer ? data : tf.io.concatenateArrayBuffers(data as ArrayBuffer[]);
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'Retain',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      out = { modelJson: JSON.stringify(json), weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!out) throw new Error('Saving the model produced nothing');
  return out;
}

/** Teachable Machine's image metadata for `labels` (output order) and an input edge of `imageSize`. */
export function teachableMachineMetadata(labels: string[], imageSize: number, modelName: string, extra: Record<string, unknown> = {}): TeachableMachineMetadata {
  return {
    tfjsVersion: tf.version.tfjs,
    tmVersion: TM_FORMAT_VERSION,
    packageVersion: TM_PACKAGE_VERSION,
    packageName: '@teachablemachine/image',
    modelName,
    timeStamp: new Date().toISOString(),
    labels,
    imageSize,
    grayscale: false,
    userMetadata: {
      generatedBy: 'Retain',
      input: `${imageSize}x${imageSize} RGB, pixel p in [0, 255] fed as p / 127 - 1 (Teachable Machine's scaling)`,
      ...extra,
    },
  };
}

/** Builds, saves and zips the image model: model.json, weights.bin and metadata.json. */
export async function exportImageModel(backbone: BackbonePart, head: DenseHead, labels: string[], extra: Record<string, unknown> = {}): Promise<ImageModelExport> {
  const units = head.layers[head.layers.length - 1]?.units;
  if (units !== labels.length) throw new Error(`The head has ${units ?? 0} outputs but ${labels.length} labels were given`);
  const model = buildImageModel(backbone, head);
  try {
    const { modelJson, weights } = await modelArtifacts(model);
    const metadata = teachableMachineMetadata(labels, backbone.inputSize, 'retain-model', extra);
    const zip = zipSync({
      'model.json': strToU8(modelJson),
      'weights.bin': [new Uint8Array(weights), { level: 0 }],
      'metadata.json': strToU8(JSON.stringify(metadata, null, 2)),
    });
    return { zip, modelJson, weights, metadata };
  } finally {
    disposeHeadLayers(model);
  }
}

/** The project's image model: the live learned classes (by id) as outputs, named as they are now. */
export async function projectImageModel(engine: Engine, model: EngineModel, view: ProjectView, backbone: FeatureExtractor): Promise<ImageModelZip> {
  const { featureModel } = backbone;
  const { normalisation, inputSize } = backbone.config;
  if (!featureModel || !normalisation) throw new Error('This backbone cannot be exported (it is not a tfjs layers model)');
  const learned = view.learnedLabels();
  const live = [...view.classes.values()].filter((c) => learned.has(c.id) && c.id < model.numOutputs).sort((a, b) => a.id - b.id);
  if (live.length === 0) throw new Error(t('worker.allLearnedDeleted'));
  const head = selectColumns(await engine.denseHead(model), live.map((c) => c.id));
  const out = await exportImageModel({ featureModel, inputSize, normalisation }, head, live.map((c) => c.name), { rounds: view.rounds.length });
  const zip = out.zip.buffer.slice(out.zip.byteOffset, out.zip.byteOffset + out.zip.byteLength) as ArrayBuffer;
  return { zip, labels: out.metadata.labels, inputSize };
}

/** The classifier alone as a tfjs layers model (the head on the backbone's features); class names by output column. */
export async function exportClassifier(
  engine: Engine,
  model: EngineModel | null | undefined,
  view: ProjectView,
): Promise<{ modelJson: string; weights: ArrayBuffer; classes: string[] }> {
  if (!model || view.rounds.length === 0) throw new Error(t('worker.noModel'));
  const { modelJson, weightData } = await engine.exportModel(model);
  const classes = Array.from({ length: model.numOutputs }, (_, j) => view.classes.get(j)?.name ?? `(deleted class ${j})`);
  return { modelJson: JSON.stringify(modelJson), weights: weightData, classes };
}
