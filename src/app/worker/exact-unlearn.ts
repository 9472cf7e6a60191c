/**
 * Deleting under the Exact preset: the deleted class's (or picture's) stored training samples are subtracted from
 * the statistics, and the model without them is stored in the same transaction as the deletion (exact unlearning).
 */
import type { IdbReplayMemory } from '../../memory/store/idb-replay-memory';
import type { ProjectStore } from '../../memory/store/project-store';
import { deleteAndUpdateModel, type UnlearnTarget } from '../../memory/store/unlearning';
import { ExactModel, isExactState } from './exact-model';
import type { LiveModel } from './live-model';
import type { ProjectView } from './project-view';
import { embeddingsOf } from './embeddings';

/** What a deletion under the Exact preset works on; the service provides it. */
export interface UnlearnContext {
  view: ProjectView;
  store: ProjectStore;
  live: LiveModel;
  memory: IdbReplayMemory;
  /** Width of the embeddings. */
  dim: number;
}

/**
 * Deletes `target` and unlearns its trained samples when the committed model is an Exact one; returns false (and
 * does nothing) otherwise, for the caller to delete as usual. On failure nothing is stored and the live model is
 * restored from the last commit.
 */
export async function deleteUnlearning(ctx: UnlearnContext, target: UnlearnTarget): Promise<boolean> {
  const { view, live, memory } = ctx;
  const committed = view.committed;
  const model = live.model;
  if (!isExactState(committed.engineState) || !committed.settings || !(model instanceof ExactModel)) return false;
  // The statistics hold exactly the stored training pictures the memory keeps (replay = 1), never held-out ones.
  const rows = [...view.samples.values()].filter(
    (s) => s.replay === 1 && !s.heldOut && ('classId' in target ? s.classId === target.classId : s.id === target.sampleId),
  );
  let ids: string[];
  let engineState: typeof committed.engineState;
  try {
    if (rows.length > 0) await model.unlearn(embeddingsOf(rows, ctx.dim), Int32Array.from(rows, (s) => s.classId));
    engineState = await model.exportState();
    ids = await deleteAndUpdateModel(ctx.store, target, engineState);
  } catch (error) {
    live.restore(committed.engineState, memory, committed.preset, committed.settings);
    throw error;
  }
  view.committed = { ...committed, engineState };
  await memory.forgetDeleted(ids);
  return true;
}
