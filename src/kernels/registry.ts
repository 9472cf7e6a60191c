/** The fused-op registry: which backend has a fused implementation of which of our ops (looked up per call). */
import * as tf from '@tensorflow/tfjs';

/** Name of the fused kernel a backend may register for `ewcPenalty` (src/ops). */
export const EWC_PENALTY_KERNEL = 'RetainEwcPenalty';
/** Name of the fused kernel a backend may register for `fisherAccumulate` (src/ops). */
export const FISHER_ACCUMULATE_KERNEL = 'RetainFisherAccumulate';
/** Name of the fused kernel a backend may register for `distillationKL` (src/ops). */
export const DISTILLATION_KL_KERNEL = 'RetainDistillationKL';
/** Name of the fused backward of the arena-writing losses: `[arena, dy, ...like]` -> per-tensor gradients. */
export const SCALED_SLICES_KERNEL = 'RetainScaledSlices';
/** Name of the fused kernel a backend may register for `fisherAccumulateDense` (src/ops). */
export const FISHER_DENSE_KERNEL = 'RetainFisherDense';
/** Name of the kernel a backend may register for one diagonal block of `choleskyFactor` (src/ops/cholesky). */
export const CHOLESKY_BLOCK_KERNEL = 'RetainCholeskyBlock';
/** Name of the kernel a backend may register for `triangularSolveRows` (src/ops/cholesky). */
export const TRIANGULAR_SOLVE_ROWS_KERNEL = 'RetainTriangularSolveRows';

/** A fused implementation of one of our ops on one backend: tensors in, tensors out, scalars as attributes. */
export type FusedOp = (inputs: tf.Tensor[], attrs: Record<string, number>) => tf.Tensor[];

const fusedOps = new Map<string, Map<string, FusedOp>>();

/**
 * Registers a fused implementation of an op for a backend (called by the kernels' set-up at start-up).
 * The ops (src/ops) look it up per call, so the engine never picks a path by hand.
 */
export function registerFusedOp(kernelName: string, backendName: string, impl: FusedOp): void {
  let byBackend = fusedOps.get(kernelName);
  if (!byBackend) fusedOps.set(kernelName, (byBackend = new Map()));
  byBackend.set(backendName, impl);
}

/** Whether fused ops are switched off globally (to measure the reference path on the same device). */
let fusedDisabled = false;

/** Switches every fused op off (true) or back on (false); used by benchmarks and conformance tests. */
export function setFusedOpsEnabled(enabled: boolean): void {
  fusedDisabled = !enabled;
}

/** The fused implementation for the active backend, or undefined to use the tfjs reference. */
export function kernelFor(kernelName: string): FusedOp | undefined {
  if (fusedDisabled) return undefined;
  return fusedOps.get(kernelName)?.get(tf.getBackend());
}
