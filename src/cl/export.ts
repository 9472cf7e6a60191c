/** Exports the learner's classifier as a standard tfjs layers model (model.json + weights). */
import * as tf from '@tensorflow/tfjs';
import type { Learner } from './learner';

/** A model in the standard tfjs layers format: `model.json` content and its one weights file. */
export interface LayersModelExport {
  /** The model.json object (topology + weightsManifest pointing at `weightsFileName`). */
  modelJson: Record<string, unknown>;
  weightData: ArrayBuffer;
  weightsFileName: string;
}

/**
 * Exports the learner's classifier (body + head, softmax on top) as a tfjs layers model that
 * `tf.loadLayersModel` opens elsewhere; its input is the feature vector the learner was trained on.
 */
export async function exportLayersModel(
  learner: Learner,
  weightsFileName = 'weights.bin',
): Promise<LayersModelExport> {
  const model = learner.currentModel;
  if (model.numOutputs === 0) throw new Error('nothing to export: the model has not learned any class yet');
  const seq = tf.sequential();
  model.layers.forEach((layer, l) => {
    const last = l === model.layers.length - 1;
    seq.add(
      tf.layers.dense({
        units: layer.kernel.shape[1] as number,
        activation: last ? 'softmax' : 'relu',
        ...(l === 0 ? { inputShape: [model.config.inputDim] } : {}),
        name: last ? 'head' : `dense_${l}`,
      }),
    );
  });
  seq.setWeights(model.layers.flatMap((l) => [l.kernel, l.bias]));
  let out: LayersModelExport | null = null;
  await seq.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const weightData = Array.isArray(data) ? concatBuffers(data) : (data as ArrayBuffer);
      out = {
        modelJson: {
          format: 'layers-model',
          generatedBy: 'Retain',
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [weightsFileName], weights: artifacts.weightSpecs }],
        },
        weightData,
        weightsFileName,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  seq.dispose();
  if (!out) throw new Error('model export produced nothing');
  return out;
}

function concatBuffers(parts: ArrayBuffer[]): ArrayBuffer {
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out.buffer;
}
