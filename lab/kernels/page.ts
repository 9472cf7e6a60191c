/**
 * Lab page for the fused WGSL kernels: exposes `window.kernelsLab` to the Playwright tests and the benchmark.
 * Everything runs in the page on the active tfjs backend; results come back as small JSON summaries.
 */
import * as tf from '@tensorflow/tfjs';
import {
  registerWebGpuKernels,
  fusedDispatchCounts,
  setEwcElementsPerThread,
  type KernelSetup,
} from '../../src/kernels';
import { distillationKL, ewcPenalty, fisherAccumulate, setFusedOpsEnabled } from '../../src/ops';
import { benchmark, type BenchOptions, type BenchRow } from './bench';
import { checkAgainstJs, conformance } from './conformance';
import { leakCheck, snapshot, trainingRun, type MemorySnapshot } from './training';

declare global {
  interface Window {
    kernelsLab: {
      ready: Promise<KernelSetup>;
      conformance: typeof conformance;
      checkAgainstJs: typeof checkAgainstJs;
      leakCheck: typeof leakCheck;
      trainingRun: typeof trainingRun;
      benchmark: (o: BenchOptions) => Promise<BenchRow[]>;
      dispatchCounts: typeof fusedDispatchCounts;
      memory: () => MemorySnapshot;
      tf: typeof tf;
      ops: {
        ewcPenalty: typeof ewcPenalty;
        fisherAccumulate: typeof fisherAccumulate;
        distillationKL: typeof distillationKL;
        setFusedOpsEnabled: typeof setFusedOpsEnabled;
        setEwcElementsPerThread: typeof setEwcElementsPerThread;
      };
    };
  }
}

const ready = registerWebGpuKernels();
window.kernelsLab = {
  ready,
  conformance,
  checkAgainstJs,
  leakCheck,
  trainingRun,
  benchmark: async (o) => benchmark(o, (await ready).adapter),
  dispatchCounts: fusedDispatchCounts,
  memory: () => snapshot(0),
  tf,
  ops: { ewcPenalty, fisherAccumulate, distillationKL, setFusedOpsEnabled, setEwcElementsPerThread },
};
ready.then(
  (s) => (document.getElementById('status')!.textContent = JSON.stringify(s)),
  (e) => (document.getElementById('status')!.textContent = `error: ${e}`),
);
