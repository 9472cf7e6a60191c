/**
 * The non-continual baseline: a fresh classifier trained on every stored training sample with the same optimiser
 * settings, evaluated on the held-out samples. Nothing is stored; the live model is untouched.
 */
import { InMemoryReplayMemory } from '../../memory/replay-memory';
import { t } from '../i18n';
import type { FullRetrainReport, LearnSettings } from '../protocol';
import type { Engine } from './engine-contract';
import { embeddingsOf } from './embeddings';
import { evaluate } from './evaluation';
import type { ProjectView } from './project-view';
import { resolveSettings } from './settings';

/** Cancelling and following a full retrain (the comparison view does both). */
export interface RetrainControl {
  signal?: AbortSignal;
  onProgress?: (step: number, totalSteps: number) => void;
}

/**
 * Trains a throw-away model on all of `view`'s training samples (`dim`-wide embeddings) and measures it. A cancel
 * through `control.signal` rejects with "cancelled" (nothing was stored either way).
 */
export async function fullRetrain(
  engine: Engine,
  view: ProjectView,
  dim: number,
  settings: LearnSettings,
  control: RetrainControl = {},
): Promise<FullRetrainReport> {
  const resolved = resolveSettings(settings);
  const train = view.trainingSamples();
  if (new Set(train.map((s) => s.classId)).size < 2) throw new Error(t('worker.retrainNeedsTwo'));
  const started = performance.now();
  const x = embeddingsOf(train, dim);
  const y = Int32Array.from(train, (s) => s.classId);
  const labels = [...new Set(train.map((s) => s.classId))].sort((a, b) => a - b);
  // The 'fast' preset has no replay: the memory only fills the engine's argument.
  const scratch = new InMemoryReplayMemory({ policy: 'reservoir', capacity: 1 });
  const model = engine.create(dim, resolved, 'fast', scratch);
  const iterations = resolved.epochs * Math.ceil(train.length / resolved.batchSize);
  try {
    await model.learnTask(
      { task: 0, x, y, classes: labels },
      {
        iterations,
        signal: control.signal,
        // About twenty progress events when someone follows it (each one yields, so a cancel can arrive).
        progressEvery: control.onProgress ? Math.max(1, Math.ceil(iterations / 20)) : Math.max(10, iterations),
        onProgress: control.onProgress ? (p) => control.onProgress?.(p.step, p.totalSteps) : undefined,
      },
    );
    if (control.signal?.aborted) throw new Error('cancelled');
    const seconds = (performance.now() - started) / 1000;
    const { perClass } = await evaluate(model, view, dim, [{ newLabels: labels }]);
    return {
      seconds,
      steps: iterations,
      samples: train.length,
      perClass: [...perClass].map(([id, e]) => ({ classId: String(id), correct: e.correct, total: e.total })),
    };
  } finally {
    model.dispose();
  }
}
