/**
 * One learning round: train on the pending samples, offer them to the replay memory, measure on the held-out
 * samples, then commit model + memory + metrics in one transaction. A cancelled or failed round rolls the model
 * and the memory back to the last commit; nothing of it is stored.
 */
import { t } from '../i18n';
import { SeededRandom } from '../../cl/rng';
import type { IdbReplayMemory } from '../../memory/store/idb-replay-memory';
import type { CommittedRound, RoundCheckpointPart } from '../../memory/store/commit';
import type { ProjectStore } from '../../memory/store/project-store';
import type { ClassRecord, SampleRecord } from '../../memory/store/schema';
import type { EngineState, MemorySample } from '../../memory/types';
import { AppError, type AdvancedSettings, type AppEvent, type LearnSettings, type Preset, type RoundReport } from '../protocol';
import { checkpointJson, type RoundRecord } from './checkpoint-format';
import type { RoundTuning } from './engine-contract';
import { embeddingsOf } from './embeddings';
import { evaluate } from './evaluation';
import { ExactModel, isExactState } from './exact-model';
import { PRESETS } from '../shared/settings';
import type { LiveModel } from './live-model';
import type { ProjectView } from './project-view';
import { resolveSettings } from './settings';
import { storageError } from './storage-errors';

/** What a round works on; the service provides it. */
export interface RoundContext {
  view: ProjectView;
  store: ProjectStore;
  live: LiveModel;
  /** Width of the embeddings. */
  dim: number;
  emit: (event: AppEvent) => void;
  /** The replay memory for a round with these settings (the first round opens it with its budget and policy). */
  memoryFor(settings: AdvancedSettings): Promise<IdbReplayMemory>;
}

/** A promise with its resolve and reject at hand (the late part of a commit that has begun). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (reason: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** After a failed or cancelled round: the memory and the model as last committed (or no model). */
export async function rollback(ctx: RoundContext, memory: IdbReplayMemory, preset: Preset, settings: AdvancedSettings): Promise<void> {
  await memory.reload();
  ctx.live.restore(ctx.view.committed.engineState, memory, preset, settings);
}

/**
 * The replay weight of a round: the share of already-learned live classes, on a square-root scale, so every class
 * weighs about the same in the loss whatever the round. None before the first round.
 */
function roundTuning(oldLive: number, newCount: number): RoundTuning {
  return oldLive > 0 ? { replayWeight: Math.sqrt(oldLive) / (Math.sqrt(oldLive) + Math.sqrt(Math.max(1, newCount))) } : {};
}

/** Trains, measures and commits one round on `pending`; `started` is when the user asked (performance.now()). */
export async function runRound(
  ctx: RoundContext,
  preset: Preset,
  requested: AdvancedSettings,
  pending: SampleRecord[],
  controller: AbortController,
  started: number,
): Promise<RoundReport> {
  const { view, dim } = ctx;
  const committed = view.committed;
  // The head's width and the memory are fixed by the first round; later rounds keep them.
  const settings: AdvancedSettings = committed.settings
    ? { ...requested, hidden: committed.settings.hidden, memoryBudget: committed.settings.memoryBudget, bufferPolicy: committed.settings.bufferPolicy }
    : requested;
  const roundIndex = view.rounds.length;
  const memory = await ctx.memoryFor(settings);
  const learnedBefore = view.learnedLabels();
  const newLabels = [...new Set(pending.map((s) => s.classId))].filter((l) => !learnedBefore.has(l)).sort((a, b) => a - b);
  const oldLive = [...learnedBefore].filter((l) => view.classes.has(l)).length;
  const exact = PRESETS[preset].engine === 'analytic';
  // Switching between Exact and a gradient preset: the committed model is of the other kind, so a fresh one
  // learns every stored training picture (the replay members and the pending ones) in this round.
  const switching = committed.engineState !== null && exact !== isExactState(committed.engineState);
  const data = switching ? view.trainingSamples() : pending;
  const labels = [...new Set(data.map((s) => s.classId))].sort((a, b) => a - b);
  // Exact has no replay loss to weigh (and a steady key keeps its live model between rounds).
  const tuning = exact ? {} : roundTuning(oldLive, newLabels.length);
  if (switching) ctx.live.dispose();
  const model = ctx.live.forRound(switching ? null : committed.engineState, dim, memory, preset, settings, tuning);

  const tPrepared = performance.now();
  const x = embeddingsOf(data, dim);
  const y = Int32Array.from(data, (s) => s.classId);
  const trainedPerLabel: Record<string, number> = {};
  for (const s of pending) trainedPerLabel[String(s.classId)] = (trainedPerLabel[String(s.classId)] ?? 0) + 1;
  // The first round trains a fresh head; a later one starts from the trained head and needs fewer passes.
  const epochs = committed.engineState && !switching ? settings.laterEpochs : settings.epochs;
  const iterations = exact ? 1 : epochs * Math.ceil(data.length / settings.batchSize);
  const losses: number[] = [];
  let steps = 0;
  let finalLoss = NaN;
  const classEdits = labels.filter((l) => view.classes.has(l)).map((id) => ({ id }));
  // Keep this round's samples in the replay memory under their own ids (their thumbnails stay), with the
  // trained model's logits for distillation of stored outputs. The policy decides what stays.
  const offer = async (logits: Float32Array | null, k: number): Promise<void> => {
    const at = new Map(data.map((s, i) => [s.id, i]));
    const offered: MemorySample[] = pending.map((s) => ({
      id: s.id,
      x: s.embedding,
      label: s.classId,
      task: roundIndex,
      ...(logits ? { logits: logits.slice(at.get(s.id)! * k, (at.get(s.id)! + 1) * k) } : {}),
    }));
    await memory.add(offered, new SeededRandom(0x5eed + roundIndex).next);
  };
  // Exact stores no logits (its scores are not a gradient head's; it has nothing to distil), so what its memory
  // keeps is known before its model: its commit begins at once and the storage process writes the round's
  // pictures while the model is solved; the checkpoint follows when it is ready (commitRoundLate). A round that
  // fails rejects `checkpoint`, which aborts that transaction: nothing is written.
  const checkpoint = exact ? deferred<RoundCheckpointPart>() : null;
  // The commit reports a rejected part itself; until then nothing may call it unhandled.
  checkpoint?.promise.catch(() => undefined);
  let committing: Promise<CommittedRound> | null = null;
  let queued: Promise<void> | undefined;
  /** Why the commit failed on its own (another tab, a full disk), if it has: that is what the user is told. */
  let commitFailure: unknown = null;
  const abandon = async (error: unknown): Promise<void> => {
    checkpoint?.reject(error);
    await committing?.catch(() => undefined);
  };
  // A cancel (or a lost device) rejects the part at once, so the open transaction and its writer lock end now.
  const onAbort = () => checkpoint?.reject(controller.signal.reason ?? new Error('cancelled'));
  if (checkpoint) controller.signal.addEventListener('abort', onAbort, { once: true });

  try {
    if (exact) {
      await offer(null, 0);
      const writing = deferred<void>();
      committing = ctx.store.commitRoundLate({ bufferChanges: memory, classes: classEdits, trainedRows: pending }, checkpoint!.promise, writing.resolve);
      committing.catch((e) => (commitFailure ??= e));
      queued = Promise.race([writing.promise, committing.then(() => undefined, () => undefined)]);
    }
    await model.learnTask(
      { task: roundIndex, x, y, classes: labels },
      {
        iterations,
        signal: controller.signal,
        // About ten progress events per round: each one reads the losses back (a GPU sync) and yields so a cancel
        // message can arrive.
        progressEvery: Math.max(1, Math.ceil(iterations / 10)),
        onProgress: (p) => {
          steps = p.step;
          finalLoss = p.losses.total ?? Object.values(p.losses).reduce((a, b) => a + b, 0);
          losses.push(finalLoss);
          ctx.emit({ type: 'progress', step: p.step, totalSteps: p.totalSteps, losses: p.losses });
        },
        // Exact's solve holds this thread: the commit's reads are answered and its writes queued before it, so
        // the storage process writes them meanwhile (the statistics are added while the reads are in flight).
        ...(queued ? { beforeSolve: () => queued! } : {}),
      },
    );
    if (controller.signal.aborted) throw new Error('cancelled');
    if (!exact) await offer(await model.predictLogits(x, data.length), model.numOutputs);
    // Exact's statistics hold exactly the stored training pictures (so deleting a class subtracts all of it):
    // pictures the memory let go (a budget below the project's size) are subtracted too.
    if (exact && model instanceof ExactModel) {
      const dropped = view.trainingSamples().filter((s) => !memory.has(s.id));
      if (dropped.length > 0) await model.unlearn(embeddingsOf(dropped, dim), Int32Array.from(dropped, (s) => s.classId));
    }
  } catch (error) {
    // Cancelled or failed mid-round: back to the last committed model and memory; nothing is stored.
    await abandon(error);
    if (controller.signal.reason instanceof AppError) throw controller.signal.reason; // device lost: switchBackend restores
    await rollback(ctx, memory, preset, settings);
    if (controller.signal.aborted) return { round: view.rounds.length, seconds: (performance.now() - started) / 1000, steps, cancelled: true, finalLoss };
    throw error instanceof AppError ? error : new AppError('internal', t('worker.learningFailed', { reason: (error as Error).message }));
  }

  const tTrained = performance.now();
  let tEvaluated: number;
  let tExported: number;
  let engineState: EngineState;
  let rounds: RoundRecord[];
  let committedClasses: ClassRecord[];
  let storing = false;
  try {
    const roundsSoFar = [...view.rounds.map((r) => ({ newLabels: r.newLabels })), { newLabels }];
    const { row } = await evaluate(model, view, dim, roundsSoFar);
    const names = newLabels.map((l) => view.classes.get(l)?.name ?? `class ${l}`);
    const round: RoundRecord = {
      round: roundIndex,
      preset,
      newLabels,
      trainedPerLabel,
      name: names.length ? names.join(', ') : `round ${roundIndex + 1} (more samples)`,
      accuracyRow: row,
      losses,
      seconds: (performance.now() - started) / 1000,
      steps: steps || iterations,
    };
    tEvaluated = performance.now();
    engineState = await model.exportState();
    tExported = performance.now();
    rounds = [...view.rounds, round];
    const part: RoundCheckpointPart = {
      engineState,
      classToOutput: Object.fromEntries([...view.classes.keys()].map((id) => [String(id), id])),
      ...checkpointJson(preset, settings, rounds),
    };
    if (checkpoint) checkpoint.resolve(part);
    storing = true;
    const committed = committing ?? ctx.store.commitRoundWithClasses({ ...part, bufferChanges: memory, classes: classEdits, trainedRows: pending });
    committedClasses = (await committed).classes;
  } catch (error) {
    const failedCommit = commitFailure;
    await abandon(error);
    if (controller.signal.reason instanceof AppError) throw controller.signal.reason; // device lost: switchBackend restores
    await rollback(ctx, memory, preset, settings);
    // Cancelled after training: an Exact round's commit was still waiting for its model, and nothing was stored.
    if (controller.signal.aborted && (exact || !storing)) return { round: view.rounds.length, seconds: (performance.now() - started) / 1000, steps, cancelled: true, finalLoss };
    if (failedCommit || storing) throw storageError(failedCommit ?? error, 'saveRound');
    throw error instanceof AppError ? error : new AppError('internal', t('worker.learningFailed', { reason: (error as Error).message }));
  } finally {
    controller.signal.removeEventListener('abort', onAbort);
  }
  const tStored = performance.now();
  view.commitRound({ engineState, settings, preset, rounds }, pending, memory);
  for (const c of committedClasses) view.classes.set(c.id, c);
  ctx.emit({ type: 'classes', classes: view.classList() });
  const tCommitted = performance.now();
  const timings = {
    prepare: (tPrepared - started) / 1000,
    train: (tTrained - tPrepared) / 1000,
    evaluate: (tEvaluated - tTrained) / 1000,
    commit: (tCommitted - tEvaluated) / 1000,
    exportState: (tExported - tEvaluated) / 1000,
    store: (tStored - tExported) / 1000,
  };
  return { round: rounds.length, seconds: (tCommitted - started) / 1000, steps: rounds[rounds.length - 1].steps, cancelled: false, finalLoss, timings };
}

/** The settings and pictures of a requested round, checked: something new, and two classes for a first round. */
export function roundRequest(view: ProjectView, settings: LearnSettings): { requested: AdvancedSettings; pending: SampleRecord[] } {
  const requested = resolveSettings(settings);
  const pending = view.pendingSamples();
  if (pending.length === 0) throw new Error(t('worker.nothingNew'));
  if (view.rounds.length === 0 && new Set(pending.map((s) => s.classId)).size < 2) throw new Error(t('worker.needTwo'));
  return { requested, pending };
}
