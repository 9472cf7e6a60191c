/**
 * Measuring a model on the held-out samples (every 5th picture of a class, never trained on): the accuracy row a
 * round stores, per-class accuracy, the metrics view, and a frame's class scores.
 */
import { averageMeasuredAccuracy, forgettingOfMeasured } from '../../metrics';
import { t } from '../i18n';
import type { MetricsView, Prediction } from '../protocol';
import { joinRows } from './embeddings';
import type { EngineModel } from './engine-contract';
import type { ProjectView } from './project-view';

/** Correct and total held-out predictions of one class. */
export interface ClassTally {
  correct: number;
  total: number;
}

/** Argmax over the columns of existing classes, for stored pictures' embeddings (each `dim` wide). */
async function predictLabels(model: EngineModel, view: ProjectView, rows: readonly Float32Array[], dim: number): Promise<number[]> {
  const n = rows.length;
  if (n === 0) return [];
  const probs = model.predictProbaOfRows ? await model.predictProbaOfRows(rows) : await model.predictProba(joinRows(rows, dim), n);
  const k = model.numOutputs;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestP = -Infinity;
    for (let j = 0; j < k; j++) {
      if (!view.classes.has(j)) continue;
      const p = probs[i * k + j];
      if (p > bestP) {
        bestP = p;
        best = j;
      }
    }
    out.push(best);
  }
  return out;
}

/** Accuracy on each round's new classes and per class, on the held-out samples (embeddings `dim` wide). */
export async function evaluate(
  model: EngineModel,
  view: ProjectView,
  dim: number,
  rounds: readonly { newLabels: number[] }[],
): Promise<{ row: (number | null)[]; perClass: Map<number, ClassTally> }> {
  const trained = new Set(rounds.flatMap((r) => r.newLabels));
  const held = view.heldOutSamples(trained, model.numOutputs);
  const predicted = await predictLabels(model, view, held.map((s) => s.embedding), dim);
  const perClass = new Map<number, ClassTally>();
  held.forEach((s, i) => {
    const e = perClass.get(s.classId) ?? { correct: 0, total: 0 };
    e.total++;
    if (predicted[i] === s.classId) e.correct++;
    perClass.set(s.classId, e);
  });
  const row = rounds.map((r) => {
    let correct = 0;
    let total = 0;
    for (const label of r.newLabels) {
      const e = perClass.get(label);
      if (e) {
        correct += e.correct;
        total += e.total;
      }
    }
    return total === 0 ? null : correct / total;
  });
  return { row, perClass };
}

/** Accuracy matrix across rounds, per-class accuracy of `model` now, forgetting, loss history. */
export async function metricsView(model: EngineModel | null, view: ProjectView, dim: number): Promise<MetricsView> {
  const rounds = view.rounds;
  const n = rounds.length;
  const matrix: (number | null)[][] = rounds.map((r) => {
    const row: (number | null)[] = new Array(n).fill(null);
    r.accuracyRow.forEach((v, j) => (row[j] = v));
    return row;
  });
  const heldByLabel = view.heldOutCounts();
  let perClassAcc = new Map<number, ClassTally>();
  if (model && n > 0) perClassAcc = (await evaluate(model, view, dim, rounds)).perClass;
  const perClass = [...view.classes.values()]
    .sort((a, b) => a.id - b.id)
    .map((c) => {
      const e = perClassAcc.get(c.id);
      return { classId: String(c.id), name: c.name, accuracy: e && e.total > 0 ? e.correct / e.total : null, heldOut: heldByLabel.get(c.id) ?? 0 };
    });
  // Measured entries only: a round whose classes had no held-out picture, or were deleted since, has none.
  const avg = n > 0 ? averageMeasuredAccuracy(matrix) : null;
  const forget = n > 1 ? forgettingOfMeasured(matrix) : null;
  return {
    rounds: n,
    // Current names, so the table follows renames and deletes (a round of extra pictures has no new class).
    // A round of more pictures has no class to name it by: its name is said in the reader's language now (the
    // stored name is the English one of older versions).
    taskNames: rounds.map((r) =>
      r.newLabels.length === 0 ? t('worker.moreSamplesRound') : r.newLabels.flatMap((l) => (view.classes.has(l) ? [view.classes.get(l)!.name] : [])).join(', '),
    ),
    taskDeleted: rounds.map((r) => r.newLabels.filter((l) => !view.classes.has(l)).length),
    accuracyMatrix: matrix,
    perClass,
    averageAccuracy: avg,
    forgetting: forget,
    lossHistory: rounds.flatMap((r) => r.losses),
  };
}

/** A frame's class scores over the learned classes that still exist, renormalised to sum to 1, best first. */
export function predictionScores(probs: Float32Array, view: ProjectView): Prediction['scores'] {
  const learned = view.learnedLabels();
  const live = [...view.classes.values()].filter((c) => learned.has(c.id) && c.id < probs.length);
  const total = live.reduce((a, c) => a + probs[c.id], 0);
  return live
    .map((c) => ({ classId: String(c.id), name: c.name, p: total > 0 ? probs[c.id] / total : 1 / live.length }))
    .sort((a, b) => b.p - a.p);
}
