/** Binds the app's learning settings to the continual-learning engine (src/cl). */
import * as tf from '@tensorflow/tfjs';
import { Learner, exportLayersModel } from '../../cl';
import type { LearnerConfig, StrategyConfig } from '../../cl/config';
import type { EngineState, ReplayMemory } from '../../memory/types';
import type { AdvancedSettings, Preset } from '../protocol';
import type { DenseHead, Engine, EngineModel, RoundTuning } from './engine-contract';
import { ExactModel, isExactState } from './exact-model';
import { PRESETS } from '../shared/settings';
import { presetStrategies } from './settings';

/** The preset's strategies with the user's tuned values (`presetStrategies`) and this round's replay weight. */
export function strategiesFor(preset: Preset, settings: AdvancedSettings, memory: ReplayMemory, tuning: RoundTuning = {}): StrategyConfig {
  const out = presetStrategies(preset, settings, memory);
  if (out.replay && tuning.replayWeight !== undefined) out.replay = { ...out.replay, weighting: tuning.replayWeight };
  return out;
}

/** The learner's configuration for the app: class-incremental head on the backbone's embedding. */
export function learnerConfig(
  inputDim: number,
  preset: Preset,
  settings: AdvancedSettings,
  memory: ReplayMemory,
  tuning: RoundTuning = {},
): LearnerConfig {
  return {
    model: { inputDim, hidden: settings.hidden > 0 ? [settings.hidden] : [], scenario: 'class-il', outputs: 0, seed: 1 },
    strategies: strategiesFor(preset, settings, memory, tuning),
    optimizer: 'adam',
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    seed: 1,
  };
}

/** The engine the app uses: src/cl's `Learner`. */
export const clEngine: Engine = {
  create(inputDim, settings, preset, memory, tuning): EngineModel {
    if (PRESETS[preset].engine === 'analytic') return ExactModel.create(inputDim, settings);
    return new Learner(learnerConfig(inputDim, preset, settings, memory, tuning));
  },

  restore(state: EngineState, settings, preset, memory, tuning): EngineModel {
    // The state's own kind decides (a round after a preset switch restores the old kind only to roll back to it).
    if (isExactState(state)) return ExactModel.fromState(state, settings);
    // The checkpoint carries the config it was trained with; a round may use another preset or other values,
    // so swap the strategies and optimiser settings in (the model's shape stays the checkpoint's).
    const json = state.json as { config: LearnerConfig & { model: LearnerConfig['model'] } };
    const stored = json.config;
    const { replay, ...rest } = strategiesFor(preset, settings, memory, tuning);
    const strategies = { ...rest, ...(replay ? { replay: { ...replay, memory: undefined } } : {}) };
    if (strategies.replay) delete (strategies.replay as { memory?: unknown }).memory;
    const patched: EngineState = {
      ...state,
      json: {
        ...state.json,
        config: { ...stored, strategies, learningRate: settings.learningRate, batchSize: settings.batchSize },
      },
    };
    return Learner.fromState(patched, { memory });
  },

  async exportModel(model): Promise<{ modelJson: object; weightData: ArrayBuffer }> {
    if (model instanceof ExactModel) return denseHeadModel(await model.denseHead());
    const out = await exportLayersModel(model as Learner);
    return { modelJson: out.modelJson, weightData: out.weightData };
  },

  async denseHead(model): Promise<DenseHead> {
    if (model.denseHead) return model.denseHead();
    // src/cl's model is a ReLU MLP body and a linear head, [in, out] kernels: already dense layers.
    const layers = (model as Learner).currentModel.layers;
    return {
      layers: await Promise.all(
        layers.map(async (l, i) => ({
          kernel: (await l.kernel.data()) as Float32Array,
          bias: (await l.bias.data()) as Float32Array,
          inputDim: l.kernel.shape[0],
          units: l.kernel.shape[1],
          activation: i === layers.length - 1 ? ('linear' as const) : ('relu' as const),
        })),
      ),
    };
  },
};

/** A dense head (softmax on top) as tfjs layers-model artifacts: the Exact model's classifier export. */
async function denseHeadModel(head: DenseHead): Promise<{ modelJson: object; weightData: ArrayBuffer }> {
  const seq = tf.sequential();
  head.layers.forEach((l, i) => {
    const last = i === head.layers.length - 1;
    seq.add(tf.layers.dense({ units: l.units, activation: last ? 'softmax' : l.activation, ...(i === 0 ? { inputShape: [l.inputDim] } : {}), name: last ? 'head' : `dense_${i}` }));
  });
  const weights = head.layers.flatMap((l) => [tf.tensor2d(l.kernel, [l.inputDim, l.units]), tf.tensor1d(l.bias)]);
  seq.setWeights(weights);
  tf.dispose(weights);
  let out: { modelJson: object; weightData: ArrayBuffer } | null = null;
  await seq.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      out = {
        modelJson: { format: 'layers-model', generatedBy: 'Retain', convertedBy: null, modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] },
        weightData: (Array.isArray(data) ? data[0] : data) as ArrayBuffer,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  seq.dispose();
  if (!out) throw new Error('model export produced nothing');
  return out;
}
