/**
 * The decoder's memory on a realistic ~6.4 MB project. Run as a script (bench/memory/run.ts starts it in a child
 * Node with a small young generation) it prints the measurement as JSON.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { decodeProject, encodeProject, type ProjectRows } from '../../src/memory';
import { syntheticProjectRows } from '../../lab/fixtures/memory/semantic-fuzz';
import { APP_DECODE_OPTIONS, APP_EMBEDDING_DIM } from './semantic-fuzz';

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
  /** (JS heap peak growth during the decode, garbage not yet collected included, + the rows' typed arrays) / file size. */
  ratio: number;
  peakBytes: number;
  /** Of which the rows' typed arrays (they live outside the JS heap). */
  decodedBytes: number;
  /** Garbage collections during the worst decode. */
  gcs: number;
  decodeMs: number;
}

/**
 * Decodes a realistic project (1280-d embeddings, ~300-byte thumbnails, 10 classes x 110 samples) three times and
 * keeps the worst: peak = the highest used heap seen before any GC during the decode (V8's GCProfiler) or after
 * it, minus the heap before, plus the bytes of the typed arrays the rows hold. One small decode first compiles the
 * decoder and the schema (a one-off cost of the code, not of the data).
 */
export function measureImportHeap(perClass = 110): ImportHeapResult {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  decodeProject(encodeProject(syntheticProjectRows(APP_EMBEDDING_DIM, 3, 4)), APP_DECODE_OPTIONS);
  const file = encodeProject(syntheticProjectRows(APP_EMBEDDING_DIM, 10, perClass), { exportedAt: 0 });
  let worst: ImportHeapResult | null = null;
  for (let k = 0; k < 3; k++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const profiler = new v8.GCProfiler();
    profiler.start();
    const t0 = performance.now();
    const rows = decodeProject(file, APP_DECODE_OPTIONS);
    const ms = performance.now() - t0;
    const stats = profiler.stop();
    const peakUsed = Math.max(process.memoryUsage().heapUsed, ...stats.statistics.map((s) => s.beforeGC.heapStatistics.usedHeapSize));
    const decoded = decodedBytes(rows);
    const peak = peakUsed - before + decoded;
    if (!worst || peak > worst.peakBytes)
      worst = { importFileBytes: file.byteLength, ratio: Number((peak / file.byteLength).toFixed(2)), peakBytes: peak, decodedBytes: decoded, gcs: stats.statistics.length, decodeMs: Math.round(ms) };
  }
  return worst!;
}

if (process.argv.includes('--print-import-heap')) console.log(JSON.stringify(measureImportHeap()));
