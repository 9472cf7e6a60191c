/** Start-up of the faster tfjs-backend-wasm kernels (transposed matMul, row gather) and the WASM distillation KL. */
import { registerFastWasmMatMul } from './wasm_batch_matmul';
import { registerWasmDistillationKL } from './wasm_distillation_kl';
import { registerFastWasmGather } from './wasm_gather';

/**
 * Replaces the tfjs-backend-wasm 4.22 kernels that are slow on a training step (transposed matMul, row gather)
 * and registers our fused distillation KL for WASM; call once the `wasm` backend is set.
 */
export function registerFastWasmKernels(): boolean {
  const matMul = registerFastWasmMatMul();
  const gather = registerFastWasmGather();
  registerWasmDistillationKL();
  return matMul && gather;
}
