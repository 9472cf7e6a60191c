/**
 * Prints bench-results/cl.json as a Markdown table beside the paper's numbers and the issue's targets (for
 * BENCHMARKS.md). With several files, merges their rows into the first (later files win):
 *   npx tsx bench/cl/table.ts bench-results/cl.json [more.json...]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { checkTarget, mergeRows, type ResultRow } from '../../src/bench/cl';

const files = process.argv.slice(2);
if (files.length === 0) files.push('bench-results/cl.json');
const read = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { rows: ResultRow[] }).rows;
let rows = read(files[0]);
if (files.length > 1) {
  for (const f of files.slice(1)) rows = mergeRows(rows, read(f));
  const doc = JSON.parse(readFileSync(files[0], 'utf8')) as Record<string, unknown>;
  writeFileSync(files[0], JSON.stringify({ ...doc, updated: new Date().toISOString(), rows }, null, 1) + '\n');
}
const fmt = (v: number | null, d = 1) => (v === null ? '–' : v.toFixed(d));
console.log('| scenario | strategy | seeds | iterations / context | accuracy % (± s.e.m.) | paper | target | BWT | forgetting | seconds |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const t = checkTarget(r);
  console.log(
    `| ${r.scenario}${r.validation ? ' (validation)' : ''} | ${r.strategy}${r.ewcLambda !== undefined ? ` (lambda ${r.ewcLambda})` : ''} | ${r.seeds} | ${r.iterations}${r.strategy === 'joint' ? ' (x contexts, one task)' : ''} | ` +
      `**${r.avgAccuracy.toFixed(2)}** ± ${r.sem.toFixed(2)} | ${r.published === null ? '–' : r.published.toFixed(2)} | ` +
      `${t ? `${t.text} ${t.applies ? (t.ok ? 'met' : '**missed**') : r.validation || r.ewcLambda !== undefined ? '(search: no verdict)' : '(full-run target)'}` : '–'} | ${fmt(r.bwt)} | ${fmt(r.forgetting)} | ${r.seconds.toFixed(0)} |`,
  );
}
