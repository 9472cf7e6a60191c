/** Start-up of the fused WGSL kernels: registers them for 'webgpu', installs dispatch accounting, reports. */
import * as tf from '@tensorflow/tfjs';
// Side effect: registers the 'webgpu' backend (priority above WebGL); tfjs falls back when it cannot start.
import '@tensorflow/tfjs-backend-webgpu';
import {
  DISTILLATION_KL_KERNEL,
  EWC_PENALTY_KERNEL,
  FISHER_ACCUMULATE_KERNEL,
  FISHER_DENSE_KERNEL,
  SCALED_SLICES_KERNEL,
  registerFusedOp,
} from './registry';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { installDispatchAccounting, programLaunchCounts } from './accounting';
import { dispatchCounts } from './backend';
import { KL_ROWS_MAX_COLUMNS, KL_ROWS_MAX_COLUMNS_HARDWARE } from '../gpu/distillation_kl_rows_webgpu';
import { distillationKLWebGpu, setKlRowThreadMaxColumns } from './distillation_kl';
import { ewcPenaltyWebGpu, setEwcReduction, type EwcReduction } from './ewc_penalty';
import { fisherAccumulateWebGpu } from './fisher_accumulate';
import { fisherDenseWebGpu } from './fisher_dense';
import { scaledSlicesWebGpu } from './scaled_slices';
import { registerSolverWebGpuKernels } from './cholesky';

export {
  releaseEwcArenas,
  ewcArenaTensorCount,
  setEwcElementsPerThread,
  setEwcReduction,
  ewcReduction,
  type EwcReduction,
} from './ewc_penalty';
export { setKlRowThreadMaxColumns } from './distillation_kl';
export {
  installDispatchAccounting,
  dispatchTotals,
  resetDispatchTotals,
  traceDispatches,
  programLaunchCounts,
  type DispatchRecord,
  type DispatchTotals,
} from './accounting';

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|warp/i;

/** Whether an adapter description names an emulated (CPU) adapter, which must not win a backend choice untimed. */
export function isSoftwareAdapter(description: string): boolean {
  return SOFTWARE_ADAPTER.test(description) || /\bcpu\b/i.test(description);
}

/**
 * The EWC reduction for an adapter: software adapters emulate workgroup barriers slowly, so they keep the
 * barrier-free layout (bench:kernels:node measures both on SwiftShader); hardware GPUs take the tree.
 */
export function ewcReductionFor(adapter: string): EwcReduction {
  return isSoftwareAdapter(adapter) ? 'threads' : 'tree';
}

/** What the kernel set-up found: whether the fused WGSL path is active, on which backend and adapter. */
export interface KernelSetup {
  fused: boolean;
  backend: string;
  adapter: string;
  /** The EWC kernel's reduction layout for this adapter ('' off WebGPU). */
  ewcReduction: EwcReduction | '';
}

let fallbackNoticeShown = false;

/** Describes the WebGPU adapter of the active backend, e.g. "google swiftshader", or '' when there is none. */
function adapterName(): string {
  const backend = tf.backend() as unknown as {
    device?: GPUDevice;
    adapterInfo?: { vendor?: string; architecture?: string };
  };
  const info = backend.device?.adapterInfo as GPUAdapterInfo | undefined;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s);
  return parts.length ? parts.join(' ') : backend.device ? 'webgpu' : '';
}

/**
 * Registers the fused WGSL implementations of RetainEwcPenalty, RetainFisherAccumulate and RetainDistillationKL
 * for the 'webgpu' backend, waits for tfjs to pick its backend, and reports what is active. Without a WebGPU
 * adapter tfjs runs on another backend, the ops use their tfjs reference, and one console.info says so.
 */
export async function registerWebGpuKernels(): Promise<KernelSetup> {
  registerFusedOp(EWC_PENALTY_KERNEL, 'webgpu', ewcPenaltyWebGpu);
  registerFusedOp(FISHER_ACCUMULATE_KERNEL, 'webgpu', fisherAccumulateWebGpu);
  registerFusedOp(DISTILLATION_KL_KERNEL, 'webgpu', distillationKLWebGpu);
  registerFusedOp(SCALED_SLICES_KERNEL, 'webgpu', scaledSlicesWebGpu);
  registerFusedOp(FISHER_DENSE_KERNEL, 'webgpu', fisherDenseWebGpu);
  registerSolverWebGpuKernels();
  await tf.ready();
  const backend = tf.getBackend();
  const fused = backend === 'webgpu';
  let reductionLayout: EwcReduction | '' = '';
  if (fused) {
    installDispatchAccounting(tf.backend() as WebGPUBackend);
    const adapter = adapterName();
    reductionLayout = ewcReductionFor(adapter);
    setEwcReduction(reductionLayout);
    setKlRowThreadMaxColumns(isSoftwareAdapter(adapter) ? KL_ROWS_MAX_COLUMNS : KL_ROWS_MAX_COLUMNS_HARDWARE);
    // Diagnostics: the app's worker has no other channel for these; tests read them with worker.evaluate.
    (globalThis as { retainProgramLaunchCounts?: () => Record<string, number> }).retainProgramLaunchCounts =
      programLaunchCounts;
  }
  if (!fused && !fallbackNoticeShown) {
    fallbackNoticeShown = true;
    const reason =
      typeof navigator !== 'undefined' && 'gpu' in navigator
        ? 'no WebGPU adapter'
        : 'no WebGPU in this browser';
    console.info(
      `Retain: ${reason}; the continual-learning losses use the tfjs reference ops on the '${backend}' backend.`,
    );
  }
  return { fused, backend, adapter: fused ? adapterName() : '', ewcReduction: reductionLayout };
}

/** How many fused dispatches each kernel has issued since the page loaded (tests check the fused path ran). */
export function fusedDispatchCounts(): Record<string, number> {
  return { ...dispatchCounts };
}
