/** The app's presets and their mapping onto the engine's strategies. */
import { describe, expect, it } from 'vitest';
import { InMemoryReplayMemory } from '../../src/memory/replay-memory';
import { PRESET_DEFAULTS, resolveSettings } from '../../src/app/worker/settings';
import { learnerConfig, strategiesFor } from '../../src/app/worker/engine';

const memory = new InMemoryReplayMemory({ policy: 'class-balanced', capacity: 10 });

describe('learning settings', () => {
  it('fills in the preset and applies overrides', () => {
    expect(resolveSettings({ preset: 'balanced' })).toEqual(PRESET_DEFAULTS.balanced);
    const s = resolveSettings({ preset: 'fast', advanced: { epochs: 7, learningRate: 0.01 } });
    expect(s.epochs).toBe(7);
    expect(s.learningRate).toBe(0.01);
    expect(s.batchSize).toBe(PRESET_DEFAULTS.fast.batchSize);
  });

  it('refuses bad values with a message naming the setting', () => {
    expect(() => resolveSettings({ preset: 'nope' as never })).toThrow(/Unknown preset "nope"/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { epochs: 1.5 } })).toThrow(/epochs must be a whole number/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { learningRate: 0 } })).toThrow(/learningRate/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { lwfTemperature: -1 } })).toThrow(/lwfTemperature/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { ewcMode: 'both' as never } })).toThrow(/ewcMode/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { bufferPolicy: 'fifo' as never } })).toThrow(/bufferPolicy/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { ewcGamma: 2 } })).toThrow(/ewcGamma/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { laterEpochs: 0 } })).toThrow(/laterEpochs must be a whole number/);
  });

  it('later rounds (from a trained head) train half the first round\'s epochs by default, each overridable', () => {
    for (const preset of ['fast', 'balanced', 'max-retention'] as const) {
      const d = PRESET_DEFAULTS[preset];
      expect(d.laterEpochs).toBe(d.epochs / 2);
    }
    expect(resolveSettings({ preset: 'balanced', advanced: { laterEpochs: 30 } }).laterEpochs).toBe(30);
  });
});

describe('presets on the engine', () => {
  it('Fast fine-tunes only, Balanced adds replay + LwF, Max retention adds EWC', () => {
    const s = PRESET_DEFAULTS.balanced;
    const fast = strategiesFor('fast', s, memory);
    expect(fast.replay).toBeUndefined();
    expect(fast.lwf).toBeUndefined();
    expect(fast.ewc).toBeUndefined();
    const balanced = strategiesFor('balanced', s, memory);
    expect(balanced.replay?.memory).toBe(memory);
    expect(balanced.replay?.batchSize).toBe(s.replayPerBatch);
    // The app offers samples to the memory itself (under their stored ids): the plugin must not.
    expect(balanced.replay?.storePerClass).toBe(0);
    expect(balanced.lwf).toEqual({ alpha: s.lwfAlpha, temperature: s.lwfTemperature });
    expect(balanced.ewc).toBeUndefined();
    const max = strategiesFor('max-retention', { ...s, ewcLambda: 123, ewcMode: 'separate' }, memory);
    expect(max.ewc).toMatchObject({ lambda: 123, mode: 'separate' });
    expect(max.replay).toBeDefined();
    expect(max.lwf).toBeDefined();
  });

  it('uses the per-round replay weight when given, the preset weighting otherwise', () => {
    const s = PRESET_DEFAULTS.balanced;
    expect(strategiesFor('balanced', s, memory, { replayWeight: 0.75 }).replay?.weighting).toBe(0.75);
    expect(strategiesFor('balanced', s, memory).replay?.weighting).toBe('inverse-task');
  });

  it('builds a class-incremental learner on the embedding, hidden layer optional', () => {
    const linear = learnerConfig(1280, 'balanced', PRESET_DEFAULTS.balanced, memory);
    expect(linear.model).toMatchObject({ inputDim: 1280, hidden: [], scenario: 'class-il', outputs: 0 });
    const deep = learnerConfig(1280, 'fast', { ...PRESET_DEFAULTS.fast, hidden: 128 }, memory);
    expect(deep.model.hidden).toEqual([128]);
    expect(deep.learningRate).toBe(PRESET_DEFAULTS.fast.learningRate);
  });
});
