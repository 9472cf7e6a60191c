import * as tf from '@tensorflow/tfjs';
// Side effect: registers the 'webgpu' backend (priority above WebGL); tfjs falls back when it cannot start.
import '@tensorflow/tfjs-backend-webgpu';
import {
  DISTILLATION_KL_KERNEL,
  EWC_PENALTY_KERNEL,
  FISHER_ACCUMULATE_KERNEL,
  registerFusedOp,
} from './registry';
import { dispatchCounts } from './backend';
import { distillationKLWebGpu } from './distillation_kl';
import { ewcPenaltyWebGpu } from './ewc_penalty';
import { fisherAccumulateWebGpu } from './fisher_accumulate';
import { registerSolverWebGpuKernels } from './cholesky';

export { releaseEwcArenas, ewcArenaTensorCount, setEwcElementsPerThread } from './ewc_penalty';

/** What the kernel set-up found: whether the fused WGSL path is active, on which backend and adapter. */
export interface KernelSetup {
  fused: boolean;
  backend: string;
  adapter: string;
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
  registerSolverWebGpuKernels();
  await tf.ready();
  const backend = tf.getBackend();
  const fused = backend === 'webgpu';
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
  return { fused, backend, adapter: fused ? adapterName() : '' };
}

/** How many fused dispatches each kernel has issued since the page loaded (tests check the fused path ran). */
export function fusedDispatchCounts(): Record<string, number> {
  return { ...dispatchCounts };
}
