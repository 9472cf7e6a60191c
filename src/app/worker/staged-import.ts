/**
 * The staged import: a project file is decoded with the app's checks, written to a staging database, opened there
 * by the code the app runs at start (project-open.ts) and used as the app first uses a project (its class list,
 * one prediction on a stored embedding, the metrics view). Only a project that opened is made current, by the
 * service, in one transaction. Why a copy and not a pointer: IndexedDB has no transaction spanning two databases,
 * so "switch to the staging database" would need a pointer that every tab, writer lock, change feed and reset
 * follows by name; one readwrite transaction over every store of the current database (clear, then the rows the
 * staging database opened with) is atomic by IndexedDB's own guarantee: all of it commits or none of it does.
 */
import { ImportError, isQuotaError } from '../../memory/errors';
import { decodeProject } from '../../memory/project-file';
import { ProjectStore, type ProjectRows } from '../../memory/store/project-store';
import { withWriterLock } from '../../memory/store/writer-lock';
import type { Engine } from './engine-contract';
import { metricsView, predictionScores } from './evaluation';
import { appDecodeOptions } from './import-options';
import { LiveModel } from './live-model';
import { openProject, type OpenedProject } from './project-open';
import { checkImportedProject, importRefused } from './project-import';
import { storageError } from './storage-errors';

/** Suffix of the staging database's name (after the current project's database name). */
export const STAGING_SUFFIX = '~import-staging';
/** Tolerance on the sum of a prediction's probabilities. */
const PROBABILITY_SUM_TOLERANCE = 1e-3;

/** The staging database of project database `dbName`. */
export function stagingName(dbName: string): string {
  return `${dbName}${STAGING_SUFFIX}`;
}

/**
 * Runs `body` as the only import of project `dbName` across tabs (a lock of its own: the staging database is
 * shared by name, and `body` takes the project's writer lock itself when it swaps).
 */
export function withImportLock<T>(dbName: string, body: () => Promise<T>): Promise<T> {
  return withWriterLock(`${dbName}~import`, body);
}

/** What a staged import needs: the current project's database name, the engine and the backbone's width. */
export interface StagingContext {
  dbName: string;
  engine: Engine;
  featureDim: number;
}

/** A project that failed to open: the import is refused with the reason. */
function didNotOpen(reason: string): never {
  throw new ImportError('inconsistent', `it does not open as a project: ${reason}`);
}

/** Uses an opened project as the app does right after start: class list, one prediction, metrics. */
async function useAsAtStart({ view }: OpenedProject, live: LiveModel, featureDim: number): Promise<void> {
  view.classList();
  const model = live.model;
  if (view.rounds.length > 0 && !model) didNotOpen('it has learning rounds but no model');
  // The app counts rounds from the latest checkpoint's history: without it a model would sit under "no round yet".
  if (model && view.rounds.length === 0) didNotOpen("its model comes without the app's round history (the latest checkpoint has no metrics)");
  if (!model) return;
  const stored = view.samples.values().next().value;
  const x = stored ? stored.embedding : new Float32Array(featureDim);
  const probs = await model.predictProba(x, 1);
  if (probs.length !== model.numOutputs) didNotOpen(`its model gave ${probs.length} scores for ${model.numOutputs} outputs`);
  let sum = 0;
  for (const p of probs) {
    if (!Number.isFinite(p)) didNotOpen('its model predicts a non-finite score for a stored picture');
    sum += p;
  }
  if (probs.length > 0 && Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) didNotOpen(`its model's probabilities sum to ${sum}`);
  predictionScores(probs, view);
  await metricsView(model, view, featureDim);
}

/** Deletes the staging database; a failure is left for the next import to retry (the staging copy is never read). */
async function dropStaging(name: string): Promise<void> {
  await ProjectStore.deleteDatabase(name).catch(() => undefined);
}

/**
 * Decodes `file` with the app's checks, writes it to the staging database, opens it there as the app does at
 * start and uses it once; returns the rows of the project exactly as it opened (every store), ready to be made
 * current. Any failure throws `AppError('import-refused')` saying why; the current project is never touched and
 * the staging database is deleted in every case.
 */
export async function stageImport(ctx: StagingContext, file: ArrayBuffer): Promise<ProjectRows> {
  const name = stagingName(ctx.dbName);
  let staging: ProjectStore | null = null;
  let phase: 'checking' | 'staging' | 'opening' = 'checking';
  const live = new LiveModel(ctx.engine);
  try {
    const rows = decodeProject(file, appDecodeOptions(ctx.featureDim));
    checkImportedProject(rows, ctx.featureDim, ctx.engine);
    phase = 'staging';
    // A staging copy left by an interrupted import.
    await dropStaging(name);
    staging = await ProjectStore.open({ name });
    await staging.replaceAll(rows);
    phase = 'opening';
    const opened = await openProject(staging, live);
    await useAsAtStart(opened, live, ctx.featureDim);
    return await staging.readAll();
  } catch (error) {
    // Writing the staging copy failed: the disk (full, or the browser refused), not the file; said as any other write.
    if (phase === 'staging' || isQuotaError(error)) throw storageError(error, 'import');
    if (phase === 'opening' && !(error instanceof ImportError)) throw importRefused(new ImportError('inconsistent', `it does not open as a project: ${(error as Error)?.message ?? String(error)}`));
    throw importRefused(error);
  } finally {
    live.dispose();
    staging?.close();
    await dropStaging(name);
  }
}
