import * as tf from '@tensorflow/tfjs';

/** A fused implementation of one of our ops on one backend: tensors in, tensors out, scalars as attributes. */
export type FusedOp = (inputs: tf.Tensor[], attrs: Record<string, number>) => tf.Tensor[];

const fusedOps = new Map<string, Map<string, FusedOp>>();

/**
 * Registers a fused implementation of an op for a backend (called by src/kernels at start-up).
 * The ops look it up per call, so the engine never picks a path by hand.
 */
export function registerFusedOp(kernelName: string, backendName: string, impl: FusedOp): void {
  let byBackend = fusedOps.get(kernelName);
  if (!byBackend) fusedOps.set(kernelName, (byBackend = new Map()));
  byBackend.set(backendName, impl);
}

/** Removes a fused implementation (tests use it to compare against the reference on the same backend). */
export function unregisterFusedOp(kernelName: string, backendName: string): void {
  fusedOps.get(kernelName)?.delete(backendName);
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

/** Throws a specific error when two lists of tensors do not pair up shape for shape. */
export function assertSameShapes(op: string, a: tf.Tensor[], b: tf.Tensor[], what: string): void {
  if (a.length !== b.length) throw new Error(`${op}: ${a.length} parameter tensors but ${b.length} ${what}`);
  for (let i = 0; i < a.length; i++) {
    const sa = a[i].shape.join('x');
    const sb = b[i].shape.join('x');
    if (sa !== sb) throw new Error(`${op}: ${what}[${i}] has shape [${sb}], expected [${sa}]`);
  }
}
