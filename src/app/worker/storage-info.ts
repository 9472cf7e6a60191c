/** The storage panel's figures: the origin's usage and quota, and what this project keeps per picture. */
import type { IdbReplayMemory } from '../../memory/store/idb-replay-memory';
import type { ProjectStore } from '../../memory/store/project-store';
import type { StorageInfo } from '../protocol';
import type { EngineModel } from './engine-contract';
import { statisticsBytesOf } from './exact-model';
import type { ProjectView } from './project-view';

/** What the storage panel shows for the open project. */
export async function storageInfo(
  store: ProjectStore,
  view: ProjectView,
  memory: IdbReplayMemory,
  model: EngineModel | null | undefined,
  featureDim: number,
): Promise<StorageInfo> {
  const report = await store.storageEstimate();
  return {
    usage: report.usage ?? 0,
    quota: report.quota ?? 0,
    persisted: report.persisted ?? false,
    samples: view.samples.size,
    memoryBudget: memory.capacity,
    // Embedding + stored logits + a ~96 px thumbnail (~3 KB) + row overhead.
    bytesPerSample: featureDim * 4 + Math.max(1, model?.numOutputs ?? 1) * 4 + 3500,
    statisticsBytes: await statisticsBytesOf(model),
  };
}
