import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { solveSpdWasm, spdHostKernel } from '../../../src/kernels/spd_host_wasm';
import { choleskyHost, choleskySolveHost } from '../../../src/ops/spd_solve';
import { gramProblem, relativeResidual } from '../analytic/support';
// @ts-expect-error: a plain .mjs script without types.
import { assemble, bytesModule } from '../../../scripts/build-wasm.mjs';

describe('the WebAssembly float64 Cholesky solve (src/kernels/spd_host.wat)', () => {
  it('is the assembled source: the committed bytes are what scripts/build-wasm.mjs makes of spd_host.wat', async () => {
    const bytes = (await assemble('src/kernels/spd_host.wat')) as Buffer;
    expect(readFileSync('src/kernels/spd_host_wasm.bytes.ts', 'utf8')).toBe(
      bytesModule('SPD_HOST_WASM', 'src/kernels/spd_host.wat', bytes),
    );
  });

  it('runs here and agrees with the JavaScript loops to float64 rounding, for odd and even sizes and widths', async () => {
    expect(spdHostKernel()).not.toBeNull();
    for (const m of [1, 2, 3, 63, 64, 65, 129, 256]) {
      for (const width of [1, 2, 3, 26]) {
        const { g, c, k, shift } = await gramProblem(m, width, 17 * m + width);
        const wasm = solveSpdWasm(g, m, c, k, shift)!;
        const js = choleskySolveHost(choleskyHost(g, m, shift), m, c, k);
        let diff = 0;
        let norm = 0;
        for (let i = 0; i < js.length; i++) {
          diff = Math.max(diff, Math.abs(wasm[i] - js[i]));
          norm = Math.max(norm, Math.abs(js[i]));
        }
        expect(diff / norm).toBeLessThan(1e-12);
        expect(relativeResidual(g, m, shift, wasm, c, k)).toBeLessThan(1e-10);
      }
    }
  });

  it('refuses a matrix that is not positive definite, naming the row, and solves the next system as before', async () => {
    const bad = Float64Array.from([4, 2, 0, 2, 1, 0, 0, 0, 1]); // the second pivot is 1 - 1 = 0
    expect(() => solveSpdWasm(bad, 3, Float64Array.from([1, 1, 1]), 1, 0)).toThrow(
      /not positive definite \(at row 1\)/,
    );
    expect(() =>
      solveSpdWasm(Float64Array.from([1, NaN, NaN, 1]), 2, Float64Array.from([1, 1]), 1, 0),
    ).toThrow(/not positive definite/);
    const { g, c, k, shift } = await gramProblem(40, 3, 5);
    expect(relativeResidual(g, 40, shift, solveSpdWasm(g, 40, c, k, shift)!, c, k)).toBeLessThan(1e-10);
  });
});
