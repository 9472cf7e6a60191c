/**
 * The learner in RAM: rebuilt from the committed state when a round needs other strategies or settings, and
 * after anything that may have left it differing from what is stored (cancel, failure, device loss).
 */
import * as tf from '@tensorflow/tfjs';
import type { EngineState, ReplayMemory } from '../../memory/types';
import type { AdvancedSettings, Preset } from '../protocol';
import type { Engine, EngineModel, RoundTuning } from './engine-contract';

/** What decides whether the live learner can be reused for a round (else it is rebuilt from the checkpoint). */
function modelKey(preset: Preset, s: AdvancedSettings, tuning: RoundTuning): string {
  const { epochs: _epochs, laterEpochs: _laterEpochs, ...rest } = s;
  return `${preset}:${JSON.stringify(rest)}:${JSON.stringify(tuning)}`;
}

/** The one live learner and the settings it was built with. */
export class LiveModel {
  private live: EngineModel | null = null;
  private key: string | null = null;

  constructor(private readonly engine: Engine) {}

  /** The learner, or null before the first round. */
  get model(): EngineModel | null {
    return this.live;
  }

  /** Rebuilds the learner from a committed state (restart, cancel, device loss, preset change); none: no model. */
  restore(committed: EngineState | null, memory: ReplayMemory, preset: Preset, settings: AdvancedSettings, tuning: RoundTuning = {}): void {
    this.dispose();
    if (!committed) return;
    this.live = this.engine.restore(committed, settings, preset, memory, tuning);
    this.key = modelKey(preset, settings, tuning);
  }

  /**
   * The learner a round trains: the live one when it was built with these settings, else one restored from the
   * committed state, or a new one (`inputDim` wide) before the first round.
   */
  forRound(
    committed: EngineState | null,
    inputDim: number,
    memory: ReplayMemory,
    preset: Preset,
    settings: AdvancedSettings,
    tuning: RoundTuning,
  ): EngineModel {
    if (this.live && this.key === modelKey(preset, settings, tuning)) return this.live;
    if (committed) this.restore(committed, memory, preset, settings, tuning);
    else {
      this.dispose();
      this.live = this.engine.create(inputDim, settings, preset, memory, tuning);
      this.key = modelKey(preset, settings, tuning);
    }
    return this.live!;
  }

  /** Frees the learner's tensors. */
  dispose(): void {
    this.live?.dispose();
    this.live = null;
    this.key = null;
  }
}

/** tfjs's memory counters (leak checks; bytes on the GPU where the backend reports them). */
export function tensorMemory(): { numTensors: number; numBytes: number; numBytesInGPU?: number } {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return { numTensors: m.numTensors, numBytes: m.numBytes, numBytesInGPU: m.numBytesInGPU };
}
