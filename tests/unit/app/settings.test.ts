/** The settings table: the UI and the worker accept the same values, the presets' values, their engine mapping. */
import { describe, expect, it } from 'vitest';
import { InMemoryReplayMemory } from '../../../src/memory/replay-memory';
import type { AdvancedSettings, Preset } from '../../../src/app/protocol';
import { PRESET_IDS, SETTINGS, SETTING_KEYS } from '../../../src/app/shared/settings';
import { readSettingInput } from '../../../src/app/ui/advanced-settings';
import { PRESET_DEFAULTS, resolveSettings } from '../../../src/app/worker/settings';
import { learnerConfig, strategiesFor } from '../../../src/app/worker/engine';

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
    expect(() => resolveSettings({ preset: 'fast', advanced: { epochs: 1.5 } })).toThrow(
      /epochs must be a whole number/,
    );
    expect(() => resolveSettings({ preset: 'fast', advanced: { learningRate: 0 } })).toThrow(/learningRate/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { lwfTemperature: -1 } })).toThrow(
      /lwfTemperature/,
    );
    expect(() => resolveSettings({ preset: 'fast', advanced: { ewcMode: 'both' as never } })).toThrow(
      /ewcMode/,
    );
    expect(() => resolveSettings({ preset: 'fast', advanced: { bufferPolicy: 'fifo' as never } })).toThrow(
      /bufferPolicy/,
    );
    expect(() => resolveSettings({ preset: 'fast', advanced: { ewcGamma: 2 } })).toThrow(/ewcGamma/);
    expect(() => resolveSettings({ preset: 'fast', advanced: { laterEpochs: 0 } })).toThrow(
      /laterEpochs must be a whole number/,
    );
  });

  it("later rounds (from a trained head) train half the first round's epochs by default, each overridable", () => {
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

/** The nearest double to `x` in `direction`: "just beyond" a bound, whatever its size. */
function nextAfter(x: number, direction: 1 | -1): number {
  if (x === 0) return direction * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + (x > 0 === direction > 0 ? 1n : -1n));
  return view.getFloat64(0);
}

/** Whether the worker takes `value` for `key` in a round's settings. */
function workerAccepts(key: keyof AdvancedSettings, value: unknown): boolean {
  try {
    resolveSettings({ preset: 'balanced', advanced: { [key]: value } });
    return true;
  } catch (err) {
    expect((err as Error).message).toMatch(new RegExp(`^${key} must be `));
    return false;
  }
}

/** Whether the advanced panel takes `value` typed (or chosen) into the field of `key`. */
function uiAccepts(key: keyof AdvancedSettings, value: unknown): boolean {
  const reading = readSettingInput(key, String(value));
  if (reading.ok) expect(reading.value).toBe(value);
  return reading.ok;
}

/** Values at and just beyond each bound of a numeric setting, with whether the table allows them. */
function boundaryCases(key: keyof AdvancedSettings): [unknown, boolean][] {
  const spec = SETTINGS[key];
  if (spec.kind === 'enum')
    return [
      ...spec.options.map((o): [unknown, boolean] => [o, true]),
      ['bogus', false],
      [spec.options[0].toUpperCase(), false],
    ];
  const { min, max, minExclusive } = spec.range;
  const whole = spec.kind === 'int';
  const cases: [unknown, boolean][] = [
    [min, !minExclusive],
    [max, true],
    [nextAfter(min, -1), false],
    [nextAfter(max, 1), false],
    [Number.POSITIVE_INFINITY, false],
    [Number.NaN, false],
  ];
  if (minExclusive) cases.push([nextAfter(min, 1), true]);
  if (whole) cases.push([min - 1, false], [max + 1, false], [min + 0.5, false], [max - 0.5, false]);
  return cases;
}

describe('one settings table: the UI and the worker agree', () => {
  for (const key of SETTING_KEYS)
    it(`${key}: accepted and refused identically at and beyond each bound`, () => {
      for (const [value, allowed] of boundaryCases(key)) {
        expect({ value, ui: uiAccepts(key, value) }).toEqual({ value, ui: allowed });
        expect({ value, worker: workerAccepts(key, value) }).toEqual({ value, worker: allowed });
      }
    });

  it('refuses what the old UI let through: a learning rate of 0; allows an LwF temperature under 0.01', () => {
    expect(readSettingInput('learningRate', '0')).toEqual({
      ok: false,
      message: 'Learning rate must be a number above 0 and at most 1; it is unchanged.',
    });
    expect(() => resolveSettings({ preset: 'fast', advanced: { learningRate: 0 } })).toThrow(
      'learningRate must be a number above 0 and at most 1, got 0',
    );
    expect(readSettingInput('lwfTemperature', '0.005')).toEqual({ ok: true, value: 0.005 });
    expect(resolveSettings({ preset: 'fast', advanced: { lwfTemperature: 0.005 } }).lwfTemperature).toBe(
      0.005,
    );
  });

  it('an empty field means the preset default, and refusals name the setting and its range', () => {
    expect(readSettingInput('epochs', '  ')).toEqual({ ok: true, value: undefined });
    expect(readSettingInput('epochs', '1001')).toEqual({
      ok: false,
      message: 'Epochs, first round must be a whole number from 1 to 1000; it is unchanged.',
    });
    expect(() => resolveSettings({ preset: 'fast', advanced: { ewcMode: 'both' as never } })).toThrow(
      'ewcMode must be online or separate, got both',
    );
  });

  it('every preset default validates in the UI and in the worker', () => {
    for (const preset of PRESET_IDS) {
      expect(resolveSettings({ preset })).toEqual(PRESET_DEFAULTS[preset]);
      for (const key of SETTING_KEYS) expect(uiAccepts(key, PRESET_DEFAULTS[preset][key])).toBe(true);
    }
  });

  it('keeps the presets exactly as they were before the table', () => {
    const common: AdvancedSettings = {
      epochs: 30,
      laterEpochs: 15,
      learningRate: 1e-3,
      batchSize: 32,
      hidden: 0,
      ewcLambda: 50,
      ewcMode: 'online',
      ewcGamma: 1,
      lwfAlpha: 1,
      lwfTemperature: 2,
      replayPerBatch: 32,
      memoryBudget: 1000,
      bufferPolicy: 'class-balanced',
      exactProjection: 256,
      exactShrinkage: 'auto',
      notSureAccept: 0.95,
    };
    expect(PRESET_DEFAULTS).toEqual({
      fast: { ...common, epochs: 20, laterEpochs: 10 },
      balanced: common,
      'max-retention': { ...common, epochs: 40, laterEpochs: 20 },
      // Exact keeps every training picture: deleting a class subtracts their statistics.
      exact: { ...common, memoryBudget: 1_000_000 },
    } satisfies Record<Preset, AdvancedSettings>);
    const replay = {
      memory,
      batchSize: 32,
      weighting: 'inverse-task',
      storePerClass: 0,
      distillStored: { alpha: 1, temperature: 2 },
    };
    const lwf = { alpha: 1, temperature: 2 };
    expect(strategiesFor('fast', PRESET_DEFAULTS.fast, memory)).toEqual({ freeze: { train: 'head' } });
    expect(strategiesFor('balanced', PRESET_DEFAULTS.balanced, memory)).toEqual({
      freeze: { train: 'all' },
      replay,
      lwf,
    });
    expect(strategiesFor('max-retention', PRESET_DEFAULTS['max-retention'], memory)).toEqual({
      freeze: { train: 'all' },
      replay,
      lwf,
      ewc: { lambda: 50, mode: 'online', gamma: 1, fisher: 'true', fisherSamples: 200 },
    });
  });
});
