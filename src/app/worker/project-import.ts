/**
 * The app's own checks of an imported project, run by src/memory's `importProject` after it decoded and validated
 * the file and before it writes anything: features of this backbone's width, and a model that restores.
 */
import { ImportError } from '../../memory/errors';
import { InMemoryReplayMemory } from '../../memory/replay-memory';
import type { ProjectRows } from '../../memory/store/project-store';
import { t } from '../i18n';
import { AppError } from '../protocol';
import { checkpointStrategy } from './checkpoint-format';
import type { Engine } from './engine-contract';

/** Refuses (AppError 'import-refused') a project this app cannot run: other features, or a model that does not restore. */
export function checkImportedProject(rows: ProjectRows, featureDim: number, engine: Engine): void {
  for (const s of rows.samples) {
    if (s.embedding.length !== featureDim)
      throw new AppError('import-refused', t('worker.otherBackbone', { theirs: s.embedding.length, ours: featureDim }));
  }
  const latest = [...rows.checkpoints].sort((a, b) => b.round - a.round)[0];
  if (!latest) return;
  const strategy = checkpointStrategy(latest);
  if (!strategy) throw new AppError('import-refused', t('worker.noStrategy'));
  // Prove the model restores before touching storage.
  const scratch = new InMemoryReplayMemory({ policy: strategy.settings.bufferPolicy, capacity: strategy.settings.memoryBudget });
  try {
    engine.restore(latest.engineState, strategy.settings, strategy.preset, scratch).dispose();
  } catch (error) {
    throw new AppError('import-refused', t('worker.modelNotRestored', { reason: (error as Error).message }));
  }
}

/** Why a file was refused, as the user reads it (the project is unchanged). */
export function importRefused(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const detail = error instanceof ImportError || error instanceof Error ? error.message : String(error);
  return new AppError('import-refused', t('worker.cannotImport', { reason: detail }));
}
