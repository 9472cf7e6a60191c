/**
 * The semantic fuzz through the app (issue 14, item 7): every mutation of lab/fixtures/memory/semantic-fuzz.ts
 * imported by the real worker service in Node (fake-indexeddb, src/cl on tfjs WASM, the unit tests' colour-mean
 * backbone and frame reader) over a project the service taught itself. Refused: every object store of the current
 * project must be byte-identical after (else it counts in `importsDestroyingProject`). Accepted: the app restarts
 * (a new service on the same database), predicts a picture and learns a round, all three checked (else it counts
 * in `semanticImportsAcceptedThenBroken`); then the taught project is put back by importing its own export.
 */
import 'fake-indexeddb/auto';
import { decodeProject, encodeProject } from '../../src/memory/project-file';
import { ProjectStore } from '../../src/memory/store/project-store';
import { AppError, type Prediction } from '../../src/app/protocol';
import type { LearnerService } from '../../src/app/worker/service';
import { digestStores } from '../../lab/fixtures/memory/full-disk';
import { semanticMutations, syntheticProjectRows } from '../../lab/fixtures/memory/semantic-fuzz';
import { QUICK, openService, picture, teach, type Colour } from '../../tests/unit/support/service-harness';
import { useWasmBackend } from '../../tests/unit/support/setup-wasm';

/** What importing every mutation through the app found. */
export interface AppImportFuzzResult {
  semanticImportsThroughApp: number;
  /** Refused by the app (decoder, model check or staged open) with an `import-refused` message. */
  appImportsRefused: number;
  /** Refused only when opened in staging (the decoder had accepted them). */
  appImportsRefusedAtOpen: string[];
  appImportsAccepted: number;
  /** A refusal that changed any object store of the current project, or left the service showing another state. */
  importsDestroyingProject: number;
  /** Accepted, but the restarted app could not predict or learn a round. */
  semanticImportsAcceptedThenBroken: number;
  /** Every wrong outcome, with its mutation and reason. */
  appImportProblems: string[];
  /** Valid files (by the generator) the app refused, with the message (a check stricter than the generator's). */
  appValidRefused: string[];
  /** Mutations that leave the file unchanged at this width (then valid by definition). */
  appNoOpMutations: string[];
  appImportSeconds: number;
}

const DB = 'bench-app-import-fuzz';

async function digest(name: string): Promise<string> {
  const store = await ProjectStore.open({ name });
  try {
    return JSON.stringify(await digestStores(store.db as never));
  } finally {
    store.close();
  }
}

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Throws unless `p` is a well-formed prediction: finite scores summing to 1 and a top class among them, when `learned`. */
function checkPrediction(p: Prediction, learned: boolean, when: string): void {
  const sum = p.scores.reduce((a, s) => a + s.p, 0);
  if (!p.scores.every((s) => Number.isFinite(s.p)) || (p.scores.length > 0 && Math.abs(sum - 1) > 1e-3))
    throw new Error(`${when}: scores are not a distribution (${p.scores.length} scores, sum ${sum})`);
  if (learned && (p.top === null || !p.scores.some((s) => s.classId === p.top))) throw new Error(`${when}: no class predicted although classes are learned`);
}

/** Restarts the app on the imported project, predicts one picture and learns a round; throws what failed. */
async function restartPredictLearn(k: number): Promise<void> {
  const { service } = await openService(DB);
  try {
    const { rounds, classes } = service.status();
    const colour: Colour = (['red', 'green', 'blue', 'yellow'] as const)[k % 4];
    checkPrediction(await service.predict(picture(colour, 50_000 + k)), rounds > 0 && classes.some((c) => c.learned), 'after restart');
    if (classes.every((c) => c.pending === 0)) await teach(service, `Fuzz ${k}`, colour, 6);
    const report = await service.learn(QUICK);
    if (report.cancelled || service.status().rounds !== rounds + 1) throw new Error(`the round did not commit (rounds ${rounds} -> ${service.status().rounds})`);
    checkPrediction(await service.predict(picture(colour, 60_000 + k)), true, 'after the round');
  } finally {
    service.dispose();
  }
}

/** Puts the taught project back (a fresh database, its own export imported) and returns the service on it. */
async function restoreTaught(file: ArrayBuffer): Promise<LearnerService> {
  await ProjectStore.deleteDatabase(DB);
  const { service } = await openService(DB);
  await service.importProject(file);
  return service;
}

/** Imports every semantic mutation through the service; a few seconds per accepted file, milliseconds per refused one. */
export async function runAppImportFuzz(): Promise<AppImportFuzzResult> {
  await useWasmBackend();
  const t0 = performance.now();
  await ProjectStore.deleteDatabase(DB);
  let { service } = await openService(DB);
  await teach(service, 'Red', 'red');
  await teach(service, 'Green', 'green');
  await service.learn(QUICK);
  await teach(service, 'Blue', 'blue', 4);
  const taught = await service.exportProject();
  // The baseline as every later one is made (a pending write of the round, the packed snapshot, settled too).
  service.dispose();
  service = await restoreTaught(taught);
  const dim = decodeProject(taught).samples[0].embedding.length;
  const good = encodeProject(syntheticProjectRows(dim), { exportedAt: 1_700_000_000_000 });
  const result: AppImportFuzzResult = {
    semanticImportsThroughApp: 0,
    appImportsRefused: 0,
    appImportsRefusedAtOpen: [],
    appImportsAccepted: 0,
    importsDestroyingProject: 0,
    semanticImportsAcceptedThenBroken: 0,
    appImportProblems: [],
    appValidRefused: [],
    appNoOpMutations: [],
    appImportSeconds: 0,
  };
  let k = 0;
  for (const generated of semanticMutations(good)) {
    k++;
    // At this backbone's width a few edits change nothing (a [3, 3] shape reversed): the file is then the valid original.
    const noOp = generated.bytes.length === good.length && generated.bytes.every((b, i) => b === good[i]);
    if (noOp) result.appNoOpMutations.push(generated.name);
    const m = { ...generated, expectValid: generated.expectValid || noOp };
    result.semanticImportsThroughApp++;
    const before = await digest(DB);
    const status = JSON.stringify(service.status());
    const err = await service.importProject(arrayBuffer(m.bytes)).then(
      () => null,
      (e: unknown) => e,
    );
    if (err) {
      result.appImportsRefused++;
      const message = (err as Error)?.message ?? String(err);
      const specific = err instanceof AppError && err.code === 'import-refused' && message.length > 'This file cannot be imported: '.length;
      if ((await digest(DB)) !== before || JSON.stringify(service.status()) !== status) {
        result.importsDestroyingProject++;
        result.appImportProblems.push(`destroyed by ${m.name}: ${message}`);
      } else if (!specific) result.appImportProblems.push(`refused without a specific import-refused message: ${m.name}: ${message}`);
      if (/does not open as a project/.test(message)) result.appImportsRefusedAtOpen.push(`${m.name}: ${message}`);
      if (m.expectValid) result.appValidRefused.push(`${m.name}: ${message}`);
      continue;
    }
    result.appImportsAccepted++;
    if (!m.expectValid) result.appImportProblems.push(`accepted although invalid: ${m.name}`);
    service.dispose();
    try {
      await restartPredictLearn(k);
    } catch (e) {
      result.semanticImportsAcceptedThenBroken++;
      result.appImportProblems.push(`accepted then broken: ${m.name}: ${(e as Error)?.message ?? String(e)}`);
    }
    service = await restoreTaught(taught);
  }
  service.dispose();
  await ProjectStore.deleteDatabase(DB);
  result.appImportSeconds = Math.round((performance.now() - t0) / 1000);
  return result;
}
