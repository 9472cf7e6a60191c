/**
 * Deleting a class or a sample together with a new engine state for the latest checkpoint, in one transaction: a
 * learner that unlearns exactly (the Exact preset subtracts the deleted samples' statistics) never leaves a stored
 * model that still holds samples whose rows are gone, nor rows gone from a model that still counts them.
 */
import { ProjectStoreError } from '../errors';
import type { EngineState } from '../types';
import { deleteClassRows } from './classes';
import { validateEngineState } from './commit';
import type { ProjectStore } from './project-store';
import { deleteSampleRows } from './transaction';

/** What to delete: a whole class (its samples and thumbnails too) or one sample. */
export type UnlearnTarget = { classId: number } | { sampleId: string };

/**
 * Deletes `target` and replaces the latest checkpoint's engine state by `engineState` (the model without it), in
 * one transaction: on any failure neither happens. Returns the deleted sample ids (for the replay memory's
 * `forgetDeleted`). Refuses (`bad-input`) before the first round: there is no checkpoint to update.
 */
export async function deleteAndUpdateModel(store: ProjectStore, target: UnlearnTarget, engineState: EngineState): Promise<string[]> {
  validateEngineState(engineState);
  return store.writeTx(
    async (tx) => {
      const roundRow = await tx.objectStore('meta').get('round');
      const round = roundRow?.value as number | undefined;
      const checkpoint = round === undefined ? undefined : await tx.objectStore('checkpoints').get(round);
      if (!checkpoint) throw new ProjectStoreError('bad-input', 'there is no committed model to update');
      let ids: string[];
      if ('classId' in target) {
        ids = await deleteClassRows(tx, target.classId);
      } else {
        const row = await tx.objectStore('samples').get(target.sampleId);
        if (!row) throw new ProjectStoreError('unknown-sample', `no sample ${target.sampleId}`);
        await deleteSampleRows(tx, [row]);
        ids = [row.id];
      }
      await tx.objectStore('checkpoints').put({ ...checkpoint, engineState });
      return ids;
    },
    'default',
    'classId' in target ? 'classes' : 'samples',
  );
}
