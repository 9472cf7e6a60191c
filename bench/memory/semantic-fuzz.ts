/**
 * The Node part of bench:memory's import figures: the semantic fuzz (every mutation of
 * lab/fixtures/memory/semantic-fuzz.ts through `decodeProject` with the app's embedding width and settings check)
 * and the decoder's peak heap on a realistic ~6.4 MB project.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { ImportError, decodeProject, encodeProject, type DecodeOptions, type ProjectRows } from '../../src/memory';
import { resolveSettings } from '../../src/app/worker/settings';
import type { AdvancedSettings } from '../../src/app/protocol';
import { semanticMutations, syntheticProjectRows } from '../../lab/fixtures/memory/semantic-fuzz';

/** The app's backbone width (MobileNetV2's pooled features). */
const APP_EMBEDDING_DIM = 1280;

/** The options the app's import passes: its backbone width and its own settings check. */
export const APP_DECODE_OPTIONS: DecodeOptions = {
  embeddingDim: APP_EMBEDDING_DIM,
  validateStrategy: (s) => void resolveSettings({ preset: s.preset, advanced: s.settings as unknown as Partial<AdvancedSettings> }),
};

/** What the semantic fuzz found. */
export interface SemanticFuzzResult {
  semanticImportsTried: number;
  semanticImportsRefused: number;
  semanticImportsAcceptedByDecoder: number;
  /** Names of the accepted mutations (each one a valid project by the generator's account). */
  semanticAccepted: string[];
  /** Mutations decided against the generator's expectation (refused valid files, accepted invalid ones): must be empty. */
  semanticWrong: string[];
  /** How many refusals each ImportError code gave. */
  semanticRefusalCodes: Record<string, number>;
}

/** Decodes every mutation of a valid 1280-d project. */
export function runSemanticFuzz(): SemanticFuzzResult {
  const good = encodeProject(syntheticProjectRows(APP_EMBEDDING_DIM), { exportedAt: 1_700_000_000_000 });
  decodeProject(good, APP_DECODE_OPTIONS);
  const result: SemanticFuzzResult = { semanticImportsTried: 0, semanticImportsRefused: 0, semanticImportsAcceptedByDecoder: 0, semanticAccepted: [], semanticWrong: [], semanticRefusalCodes: {} };
  for (const m of semanticMutations(good)) {
    result.semanticImportsTried++;
    let error: unknown = null;
    try {
      decodeProject(m.bytes, APP_DECODE_OPTIONS);
    } catch (e) {
      error = e;
    }
    if (error === null) {
      result.semanticImportsAcceptedByDecoder++;
      result.semanticAccepted.push(m.name);
      if (!m.expectValid) result.semanticWrong.push(`accepted: ${m.name}`);
      continue;
    }
    result.semanticImportsRefused++;
    if (!(error instanceof ImportError)) {
      result.semanticWrong.push(`refused without an ImportError: ${m.name}: ${String(error)}`);
      continue;
    }
    result.semanticRefusalCodes[error.code] = (result.semanticRefusalCodes[error.code] ?? 0) + 1;
    if (m.expectValid) result.semanticWrong.push(`refused a valid file: ${m.name}: ${error.message}`);
  }
  return result;
}

function decodedBytes(rows: ProjectRows): number {
  let n = 0;
  for (const s of rows.samples) n += s.embedding.byteLength + (s.logits?.byteLength ?? 0);
  for (const t of rows.thumbnails) n += t.bytes.byteLength;
  for (const c of rows.checkpoints) for (const t of c.engineState.tensors) n += t.data.byteLength;
  return n;
}

/** Peak heap of one decode. */
export interface ImportHeapResult {
  importFileBytes: number;
  /** (JS heap peak growth during the decode, garbage included, + the decoded rows' typed arrays) / file size. */
  importPeakHeapRatio: number;
  importPeakHeapBytes: number;
  importDecodeMs: number;
}

/**
 * Decodes a realistic project (1280-d embeddings, ~3 KB-class thumbnails, 10 classes) three times and keeps the
 * worst: peak = the highest used heap seen before any GC during the decode (V8's GCProfiler) or after it, minus
 * the heap before, plus the bytes of the typed arrays the rows hold (ArrayBuffers live outside the JS heap).
 */
export function measureImportHeap(perClass = 110): ImportHeapResult {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const file = encodeProject(syntheticProjectRows(APP_EMBEDDING_DIM, 10, perClass), { exportedAt: 0 });
  let worst = 0;
  let ms = Infinity;
  for (let k = 0; k < 3; k++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const profiler = new v8.GCProfiler();
    profiler.start();
    const t0 = performance.now();
    const rows = decodeProject(file, APP_DECODE_OPTIONS);
    ms = Math.min(ms, performance.now() - t0);
    const stats = profiler.stop();
    const peakUsed = Math.max(process.memoryUsage().heapUsed, ...stats.statistics.map((s) => s.beforeGC.heapStatistics.usedHeapSize));
    worst = Math.max(worst, peakUsed - before + decodedBytes(rows));
  }
  return { importFileBytes: file.byteLength, importPeakHeapRatio: Number((worst / file.byteLength).toFixed(2)), importPeakHeapBytes: worst, importDecodeMs: Math.round(ms) };
}
