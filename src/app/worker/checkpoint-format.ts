/** What the app keeps in each checkpoint besides the engine state: the round history and the learning settings. */
import type { CheckpointRecord } from '../../memory/store/schema';
import type { EngineState } from '../../memory/types';
import type { AdvancedSettings, Preset } from '../protocol';
import { isExactState } from './exact-model';

/** What one committed round measured (kept, cumulatively, in each checkpoint's metrics). */
export interface RoundRecord {
  round: number;
  preset: Preset;
  /** Labels (class ids) introduced in this round: the round's "task" in the accuracy matrix. */
  newLabels: number[];
  /** Training samples per label this round (for the every-5th hold-out count). */
  trainedPerLabel: Record<string, number>;
  /** Names of the new classes when the round ran. */
  name: string;
  /** Accuracy on each round's new classes (0..round), on held-out samples; null where none. */
  accuracyRow: (number | null)[];
  /** Total loss at each progress event. */
  losses: number[];
  seconds: number;
  steps: number;
}

/** The checkpoint's `metrics` JSON: every round so far. */
export interface CheckpointMetrics {
  format: 'retain-app-metrics';
  rounds: RoundRecord[];
}

/** The checkpoint's `strategy` JSON: the preset and settings the model was trained with. */
export interface CheckpointStrategy {
  preset: Preset;
  settings: AdvancedSettings;
}

/** What the service resumes from: the committed model, its settings and the round history. */
export interface CommittedState {
  engineState: EngineState | null;
  /** Settings of the committed model (the hidden width and the memory are fixed by the first round); null before it. */
  settings: AdvancedSettings | null;
  preset: Preset;
  rounds: RoundRecord[];
}

/** The learning settings a checkpoint was trained with, or null when it has none (not made by this app). */
export function checkpointStrategy(checkpoint: CheckpointRecord | null | undefined): CheckpointStrategy | null {
  const strategy = checkpoint?.strategy as Partial<CheckpointStrategy> | null | undefined;
  return strategy?.settings && strategy.preset ? (strategy as CheckpointStrategy) : null;
}

/**
 * The preset of a checkpoint that names none: Exact for a project with no model yet (the default since it beat
 * Balanced on old-class accuracy and on time in bench:app, 2026-12-02), else the kind of model it holds.
 */
function defaultPreset(engineState: EngineState | null): Preset {
  return !engineState || isExactState(engineState) ? 'exact' : 'balanced';
}

/** Reads the committed state out of the latest checkpoint (none: a project before its first round). */
export function readCheckpoint(checkpoint: CheckpointRecord | null | undefined): CommittedState {
  const strategy = checkpoint?.strategy as CheckpointStrategy | null | undefined;
  const metrics = checkpoint?.metrics as CheckpointMetrics | null | undefined;
  return {
    engineState: checkpoint?.engineState ?? null,
    settings: strategy?.settings ?? null,
    preset: strategy?.preset ?? defaultPreset(checkpoint?.engineState ?? null),
    rounds: metrics?.format === 'retain-app-metrics' ? metrics.rounds : [],
  };
}

/** The checkpoint's `strategy` and `metrics` JSON for a round committed with these settings and history. */
export function checkpointJson(preset: Preset, settings: AdvancedSettings, rounds: RoundRecord[]): { strategy: Record<string, unknown>; metrics: CheckpointMetrics } {
  return {
    strategy: { preset, settings } satisfies CheckpointStrategy as unknown as Record<string, unknown>,
    metrics: { format: 'retain-app-metrics', rounds },
  };
}
