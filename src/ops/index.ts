/** Typed ops with gradients that continual learning adds to a training step (tfjs reference, fused on WebGPU). */
export { ewcPenalty, EWC_PENALTY_KERNEL } from './ewc_penalty';
export { fisherAccumulate, FISHER_ACCUMULATE_KERNEL } from './fisher_accumulate';
export { distillationKL, DISTILLATION_KL_KERNEL } from './distillation_kl';
export { fisherAccumulateDense, FISHER_DENSE_KERNEL, type DenseLayerBatch } from './fisher_dense';
export {
  registerFusedOp,
  setFusedOpsEnabled,
  kernelFor,
  type FusedOp,
} from '../kernels/registry';
