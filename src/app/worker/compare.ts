/**
 * "Compare with retraining": the user's incremental model beside a model retrained from scratch on every stored
 * training picture (full-retrain.ts), on the same held-out pictures: time, old-class and new-class accuracy, and
 * the storage each approach needs. Nothing is stored; the live model is untouched.
 */
import type { LearnSettings, RetrainComparison, StrategyFigures } from '../protocol';
import type { Engine, EngineModel } from './engine-contract';
import { evaluate, type ClassTally } from './evaluation';
import { statisticsBytesOf } from './exact-model';
import { fullRetrain, type RetrainControl } from './full-retrain';
import type { ProjectView } from './project-view';

/** What the comparison works on; the service provides it. */
export interface CompareContext {
  engine: Engine;
  view: ProjectView;
  model: EngineModel;
  dim: number;
  /** Bytes one stored picture takes (embedding, stored logits, thumbnail: the storage panel's estimate). */
  bytesPerPicture: number;
}

/** Share of correct held-out predictions over `labels` (null without held-out pictures). */
function accuracyOver(perClass: ReadonlyMap<number, ClassTally>, labels: readonly number[]): number | null {
  let correct = 0;
  let total = 0;
  for (const l of labels) {
    const e = perClass.get(l);
    if (e) {
      correct += e.correct;
      total += e.total;
    }
  }
  return total === 0 ? null : correct / total;
}

/** Runs the full retrain and measures both models; rejects with "cancelled" when `control.signal` aborts. */
export async function compareWithRetraining(ctx: CompareContext, settings: LearnSettings, control: RetrainControl): Promise<RetrainComparison> {
  const { view, model, dim } = ctx;
  const rounds = view.rounds;
  const last = rounds[rounds.length - 1];
  if (!last) throw new Error('Learn a first round before comparing: there is no incremental model yet');
  const learned = view.learnedLabels();
  const live = [...view.classes.keys()].filter((id) => learned.has(id)).sort((a, b) => a - b);
  // "New": the classes the last round introduced; "old": every other learned class still here.
  const newLabels = last.newLabels.filter((l) => view.classes.has(l));
  const oldLabels = live.filter((l) => !newLabels.includes(l));

  const incrementalEval = await evaluate(model, view, dim, rounds);
  const retrain = await fullRetrain(ctx.engine, view, dim, settings, control);
  const retrainPerClass = new Map(retrain.perClass.map((c) => [Number(c.classId), { correct: c.correct, total: c.total }]));

  const liveSet = new Set(live);
  const members = [...view.samples.values()].filter((s) => s.replay === 1 && liveSet.has(s.classId)).length;
  const pending = view.pendingSamples().length;
  // Retraining from scratch needs every training picture ever taken of the classes still taught.
  const everTrained = rounds.reduce((a, r) => a + live.reduce((b, l) => b + (r.trainedPerLabel[String(l)] ?? 0), 0), 0);
  const incremental: StrategyFigures = {
    seconds: last.seconds,
    oldAccuracy: accuracyOver(incrementalEval.perClass, oldLabels),
    newAccuracy: accuracyOver(incrementalEval.perClass, newLabels),
    storedPictures: members + pending,
    // Exact also keeps its running sums (0.3 MB with the 256-wide projection) beside the pictures.
    storageBytes: (members + pending) * ctx.bytesPerPicture + (await statisticsBytesOf(model)),
    trainedOn: Object.values(last.trainedPerLabel).reduce((a, b) => a + b, 0),
  };
  const full: StrategyFigures = {
    seconds: retrain.seconds,
    oldAccuracy: accuracyOver(retrainPerClass, oldLabels),
    newAccuracy: accuracyOver(retrainPerClass, newLabels),
    storedPictures: everTrained + pending,
    storageBytes: (everTrained + pending) * ctx.bytesPerPicture,
    trainedOn: retrain.samples,
  };
  const name = (l: number) => view.classes.get(l)?.name ?? `class ${l}`;
  return {
    incremental,
    retrain: full,
    oldClasses: oldLabels.map(name),
    newClasses: newLabels.map(name),
    preset: last.preset,
    heldOut: view.heldOutSamples(liveSet, model.numOutputs).length,
  };
}
