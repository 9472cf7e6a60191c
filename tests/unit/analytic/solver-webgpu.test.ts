import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registerSolverWebGpuKernels } from '../../../src/kernels/cholesky';
import { dispatchCounts } from '../../../src/kernels/backend';
import { solveSpd } from '../../../src/ops/spd_solve';
import { gramProblem, relativeResidual } from './support';

// The Vulkan loader is chosen when a process starts, so the WebGPU cases run in a child vitest with Chromium's
// loader and SwiftShader (or the system's loader and GPU where there is one); this process only spawns it.
const CHILD = process.env.RETAIN_SOLVER_DAWN === '1';
const CHROMIUM = '/usr/lib/chromium';
const SYSTEM_VULKAN = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'];

describe.runIf(!CHILD)('solveSpd on WebGPU (Dawn in Node)', () => {
  it('passes its conformance cases in a process with a Vulkan loader', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, RETAIN_SOLVER_DAWN: '1', NO_COLOR: '1', FORCE_COLOR: '0' };
    if (!SYSTEM_VULKAN.some(existsSync)) {
      expect(existsSync(path.join(CHROMIUM, 'libvulkan.so.1')), 'no Vulkan loader: install chromium (npm run setup:chromium)').toBe(true);
      env.LD_LIBRARY_PATH = [CHROMIUM, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
      env.VK_ICD_FILENAMES ??= path.join(CHROMIUM, 'vk_swiftshader_icd.json');
    }
    const child = spawnSync('npx', ['vitest', 'run', path.relative(process.cwd(), fileURLToPath(import.meta.url))], { env, encoding: 'utf8', timeout: 1_500_000 });
    expect(child.status, `${child.stdout}\n${child.stderr}`).toBe(0);
    expect(child.stdout).toMatch(/Tests\s+\d+ passed/);
  }, 1_600_000);
});

describe.runIf(CHILD)('WebGPU child: blocked Cholesky kernels', () => {
  it('runs on a WebGPU adapter with the solver kernels registered', async () => {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter();
    expect(adapter, 'Dawn found no WebGPU adapter (no Vulkan ICD)').toBeTruthy();
    const l = adapter!.limits;
    const device = await adapter!.requestDevice({
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    });
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter!.info as unknown as ConstructorParameters<typeof WebGPUBackend>[1]), 10);
    expect(await tf.setBackend('webgpu')).toBe(true);
    registerSolverWebGpuKernels();
    console.log(`adapter: ${[adapter!.info.vendor, adapter!.info.architecture, adapter!.info.description].filter(Boolean).join(' / ')}`);
  });

  // M = 2048 and 4096 (minutes on SwiftShader) run with RETAIN_SOLVER_LARGE=1.
  const sizes = [1, 63, 64, 65, 127, 128, 129, 1000, ...(process.env.RETAIN_SOLVER_LARGE ? [2048, 4096] : [])];
  for (const m of sizes) {
    it(`relative residual <= 1e-4 at M = ${m}, through the WGSL kernels`, async () => {
      const { g, c, k, shift } = await gramProblem(m, 10, 7 + m);
      const blocks = dispatchCounts.RetainCholeskyBlock ?? 0;
      const solves = dispatchCounts.RetainTriangularSolveRows ?? 0;
      const before = tf.memory().numTensors;
      const started = performance.now();
      const { x, refinements } = await solveSpd(g, m, c, k, { shift, path: 'backend' });
      const seconds = (performance.now() - started) / 1000;
      expect(tf.memory().numTensors).toBe(before);
      const r = relativeResidual(g, m, shift, x, c, k);
      console.log(`M = ${m}: residual ${r.toExponential(2)} after ${refinements} refinements, ${seconds.toFixed(1)} s`);
      expect(r).toBeLessThanOrEqual(1e-4);
      expect((dispatchCounts.RetainCholeskyBlock ?? 0) - blocks).toBe(Math.ceil(m / 128));
      expect((dispatchCounts.RetainTriangularSolveRows ?? 0) - solves).toBeGreaterThan(0);
    }, 600_000);
  }

  it('the WGSL block factor matches the host loops on a small matrix (without refinement)', async () => {
    const m = 100;
    const { g, c, k, shift } = await gramProblem(m, 3, 99);
    const { x } = await solveSpd(g, m, c, k, { shift, maxRefinements: 0, path: 'backend' });
    expect(relativeResidual(g, m, shift, x, c, k)).toBeLessThan(1e-2);
  });
});
