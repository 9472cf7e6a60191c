/**
 * `npm run bench:kernels:node`: the kernels benchmark in Node, no browser: tfjs's WebGPU backend on Dawn (the
 * `webgpu` npm package) runs the same rows as `npm run bench:kernels` (lab/kernels/bench.ts), plus the batched
 * Fisher on WASM, and writes bench-results/kernels-node.json (`--quick`: kernels-node-quick.json; `--out` elsewhere).
 *
 *   npm run bench:kernels:node                   # full set
 *   npm run bench:kernels:node -- --quick        # one size per row, Fisher loop scaled (under 3 minutes on SwiftShader)
 *   npm run bench:kernels:node -- --conformance  # fused vs reference cases on this adapter, JSON on stdout
 *   npm run bench:kernels:node -- --ewc-breakdown  # EWC 1M per program from GPU timestamps (kernels-node-ewc-breakdown.json)
 *
 * Without a system Vulkan loader (or with `--swiftshader`) it uses Chromium's loader and SwiftShader (software).
 * On a GPU machine the vendor's Vulkan ICD is found as usual (see README, "Kernels on a GPU machine"); the first
 * and last lines say which adapter ran and whether it is software.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const CHROMIUM_DIR = '/usr/lib/chromium';
const SYSTEM_VULKAN = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];

/** Re-runs this file with the Vulkan environment set (the loader reads it at process start) and the ?raw hooks. */
function relaunch(): number {
  const env: NodeJS.ProcessEnv = { ...process.env, RETAIN_DAWN_CHILD: '1' };
  const swiftShader = args.includes('--swiftshader') || !SYSTEM_VULKAN.some((p) => existsSync(p));
  if (swiftShader && existsSync(path.join(CHROMIUM_DIR, 'libvulkan.so.1'))) {
    env.LD_LIBRARY_PATH = [CHROMIUM_DIR, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    env.VK_ICD_FILENAMES ??= path.join(CHROMIUM_DIR, 'vk_swiftshader_icd.json');
  }
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', path.join(root, 'bench/kernels/node/raw-loader.mjs'), import.meta.filename, ...args],
    { cwd: root, env, stdio: 'inherit' },
  );
  return child.status ?? 1;
}

if (!process.env.RETAIN_DAWN_CHILD) {
  process.exit(relaunch());
}

const { runNodeBenchmark, runNodeConformance } = await import('./node/session');
const outArg = args.indexOf('--out');
const quick = args.includes('--quick');
const out = outArg >= 0 ? path.resolve(args[outArg + 1]) : path.join(root, `bench-results/kernels-node${quick ? '-quick' : ''}.json`);
if (args.includes('--ewc-breakdown')) {
  const { startDawnWebGpu } = await import('./node/dawn');
  const { runEwcBreakdown } = await import('./node/ewc-breakdown');
  const setup = await startDawnWebGpu();
  const loadBefore = os.loadavg();
  const rows = await runEwcBreakdown();
  console.log(`adapter "${setup.adapterDescription}", timestamp queries ${setup.device.features.has('timestamp-query') ? 'on' : 'OFF (GPU ms are 0)'}`);
  console.table(rows.map((r) => ({ variant: r.name, wallMs: +r.wallMs.toFixed(1), gpuMs: +r.gpuMs.toFixed(1), programs: Object.entries(r.programs).map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', ') })));
  const file = path.join(root, 'bench-results/kernels-node-ewc-breakdown.json');
  const loadAverage = { before: loadBefore.map((x) => +x.toFixed(2)), after: os.loadavg().map((x) => +x.toFixed(2)) };
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), command: 'npm run bench:kernels:node -- --ewc-breakdown', adapter: setup.adapterDescription, loadAverage, rows }, null, 2) + '\n');
  console.log(`wrote ${path.relative(root, file)}`);
} else if (args.includes('--conformance')) {
  const results = await runNodeConformance();
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  // The machine may be shared: the load average says how much to trust the absolute times.
  const loadBefore = os.loadavg();
  const result = await runNodeBenchmark(quick);
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  mkdirSync(path.dirname(out), { recursive: true });
  const loadAverage = { before: loadBefore.map((x) => +x.toFixed(2)), after: os.loadavg().map((x) => +x.toFixed(2)) };
  console.log(`load average (1, 5, 15 min) before ${loadAverage.before.join(', ')}, after ${loadAverage.after.join(', ')}`);
  writeFileSync(out, JSON.stringify({ ...result, machine, loadAverage, command: `npm run bench:kernels:node${quick ? ' -- --quick' : ''}` }, null, 2) + '\n');
  console.log(`wrote ${path.relative(root, out)}`);
}
process.exit(0);
