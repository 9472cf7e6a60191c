/**
 * `npx tsx bench/analytic/solve-paths.ts`: solveSpd's two paths timed on the same ridge systems in Node (tfjs WASM):
 * the float64 host Cholesky against the backend's float32 blocked Cholesky with float64 refinement, M = 64 ... 1,024,
 * k = 15 classes (the app's Exact rounds). Median of 5; writes bench-results/solve-paths.json. It sets
 * HOST_SOLVE_MAX_SIZE in src/ops/spd_solve.ts: the largest M at which the host path is the faster one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { solveSpd } from '../../src/ops/spd_solve';
import { useWasmBackend } from '../../tests/unit/support/setup-wasm';
import { gramProblem } from '../../tests/unit/analytic/support';

await useWasmBackend();
const sizes = (process.env.SOLVE_SIZES ?? '64,128,256,512,768,1024').split(',').map(Number);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const rows = [];
for (const m of sizes) {
  const { g, c, k, shift } = await gramProblem(m, 15, m);
  const time = async (path: 'host' | 'backend') => {
    const ms: number[] = [];
    let residual = NaN;
    for (let rep = 0; rep < 5; rep++) {
      const t = performance.now();
      residual = (await solveSpd(g, m, c, k, { shift, path })).relativeResidual;
      ms.push(performance.now() - t);
    }
    return { ms: median(ms), residual };
  };
  const host = await time('host');
  const backend = await time('backend');
  const row = { m, k, hostMs: host.ms, backendMs: backend.ms, backendOverHost: backend.ms / host.ms, hostResidual: host.residual, backendResidual: backend.residual };
  console.log(JSON.stringify(row));
  rows.push(row);
}
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/solve-paths.json', `${JSON.stringify({ command: 'npx tsx bench/analytic/solve-paths.ts', backend: 'wasm (Node)', date: new Date().toISOString(), rows }, null, 2)}\n`);
