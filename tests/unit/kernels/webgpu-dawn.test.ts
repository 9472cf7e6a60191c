import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

interface NodeConformance {
  adapter: string;
  cases: { c: Record<string, unknown>; ok: boolean; r: unknown }[];
  float64Worst: number;
  leak: { snapshots: { numTensors: number; numBytesInGPU: number }[]; fusedDispatches: number; arenas: number };
}

describe('fused WGSL kernels on WebGPU in Node (Dawn; SwiftShader here)', () => {
  it('match their tfjs references on every case (both EWC layouts, both KL layouts, batched Fisher) and float64 JS, without leaks', () => {
    // A child process: the Vulkan loader's environment must be set before it starts (bench/kernels/node.ts does it).
    const child = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'bench/kernels/node.ts', '--conformance'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const json = child.stdout.slice(child.stdout.indexOf('{'));
    const result = JSON.parse(json) as NodeConformance;
    const failed = result.cases.filter((c) => !c.ok);
    expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
    expect(result.cases.length).toBeGreaterThanOrEqual(20);
    expect(result.float64Worst).toBeLessThan(1e-4);
    // 25 training steps with EWC, distillation and the Fisher update fused: nothing accumulates after step 10.
    const [early, late] = result.leak.snapshots;
    expect(result.leak.fusedDispatches).toBeGreaterThan(0);
    expect(late.numTensors).toBe(early.numTensors);
    expect(late.numBytesInGPU).toBe(early.numBytesInGPU);
  }, 660_000);
});
