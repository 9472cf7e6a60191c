/** The fused EWC penalty + gradient on WebGPU: packed constants, one pass per five tensors, one reduction. */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { EwcPenaltyProgram, EWC_PARAMS_PER_DISPATCH, ewcPartialSlots } from '../gpu/ewc_penalty_webgpu';
import { EwcPenaltyTreeProgram, ewcTreeWorkgroups } from '../gpu/ewc_penalty_tree_webgpu';
import { SumReduceProgram } from '../gpu/sum_reduce_webgpu';
import { activeWebGpuBackend, assertFloat32, dispatchCounts, flat, toTensor, type Uniform } from './backend';

/**
 * Anchors and Fisher packed once into two flat arenas, reused while the engine passes the same tensors
 * (compared by dataId, which changes on `Variable.assign`), so a training step only reads the parameters.
 */
interface PackedConstants {
  backend: WebGPUBackend;
  sources: object[];
  shapes: string;
  anchors: tf.Tensor1D;
  fisher: tf.Tensor1D;
}

let packed: PackedConstants | null = null;

/** Elements each thread of the barrier-free EWC kernel handles (see setEwcElementsPerThread). */
let elementsPerThread = 16;

/**
 * How the EWC kernel reduces its partial sums: 'tree' (a fixed grid of workgroups, a shared-memory tree in each,
 * one partial per workgroup: for hardware GPUs) or 'threads' (barrier-free, one partial per thread: SwiftShader
 * emulates barriers slowly). Chosen per adapter by `registerWebGpuKernels`; both are conformance-tested.
 */
export type EwcReduction = 'tree' | 'threads';

let reduction: EwcReduction = 'tree';

/** Selects the EWC reduction layout (a pipeline of its own each; no recompile when switching back). */
export function setEwcReduction(layout: EwcReduction): void {
  if (layout !== 'tree' && layout !== 'threads') throw new Error(`EWC reduction must be 'tree' or 'threads', got ${String(layout)}`);
  reduction = layout;
}

/** The EWC reduction layout in use. */
export function ewcReduction(): EwcReduction {
  return reduction;
}

/**
 * Sets how many parameters each thread of the fused EWC kernel handles (a uniform, so no recompile).
 * More per thread means fewer threads and fewer partial sums to reduce; tests set 1 to exercise more than
 * 65,535 workgroups at 4M parameters. Default 16.
 */
export function setEwcElementsPerThread(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new Error(`elements per thread must be an integer in [1, 1024], got ${n}`);
  elementsPerThread = n;
}

/** Disposes the packed anchor/Fisher arenas (they are rebuilt on the next call); for tests and task changes. */
export function releaseEwcArenas(): void {
  if (packed) {
    packed.anchors.dispose();
    packed.fisher.dispose();
    packed = null;
  }
}

/** Number of tensors the EWC kernel keeps between calls (the packed arenas), for leak accounting. */
export function ewcArenaTensorCount(): number {
  return packed ? 2 : 0;
}

function packFlat(tensors: tf.Tensor[]): tf.Tensor1D {
  const live = tensors.filter((t) => t.size > 0).map((t) => tf.reshape(t, [-1]));
  return (live.length === 1 ? tf.clone(live[0]) : tf.concat(live)) as tf.Tensor1D;
}

function packedConstants(backend: WebGPUBackend, anchors: tf.Tensor[], fisher: tf.Tensor[]): PackedConstants {
  const sources = [...anchors, ...fisher].map((t) => t.dataId as object);
  const shapes = anchors.map((t) => t.shape.join('x')).join(',');
  const fresh =
    packed !== null &&
    packed.backend === backend &&
    !packed.anchors.isDisposed &&
    !packed.fisher.isDisposed &&
    packed.shapes === shapes &&
    packed.sources.length === sources.length &&
    packed.sources.every((id, i) => id === sources[i]);
  if (fresh) return packed!;
  if (packed && packed.backend === backend) releaseEwcArenas();
  packed = null;
  // tf.keep: the arenas outlive the tidy scope the op runs in; releaseEwcArenas or the next miss frees them.
  const [a, f] = tf.tidy(() => [packFlat(anchors), packFlat(fisher)]);
  packed = { backend, sources, shapes, anchors: tf.keep(a), fisher: tf.keep(f) };
  return packed;
}

/**
 * Fused `RetainEwcPenalty` on WebGPU. Inputs `[...params, ...anchors, ...fisher]`, attrs `{lambda, count}`;
 * returns `[penalty, arena]`: the arena holds every gradient `lambda F (theta - anchor)` laid end to end (then the
 * partial sums), which the op's backward scales by dy and cuts into per-tensor gradients in one pass each
 * (`RetainScaledSlices`). One dispatch per five parameter tensors, one reduction dispatch.
 */
export function ewcPenaltyWebGpu(inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] {
  // tidy: program outputs are freed even when the op is called outside a scope.
  return tf.tidy(() => ewcPenaltyWebGpuScoped(inputs, attrs));
}

function ewcPenaltyWebGpuScoped(inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] {
  const n = attrs.count;
  const lambda = attrs.lambda;
  if (!Number.isInteger(n) || n < 0 || inputs.length !== 3 * n) {
    throw new Error(`RetainEwcPenalty: expected 3 x ${n} inputs, got ${inputs.length}`);
  }
  assertFloat32('RetainEwcPenalty', inputs);
  const params = inputs.slice(0, n);
  const sizes = params.map((p) => p.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total === 0) return [tf.scalar(0), tf.zeros([0])];
  const backend = activeWebGpuBackend('RetainEwcPenalty');
  const constants = packedConstants(backend, inputs.slice(n, 2 * n), inputs.slice(2 * n));

  const offsets: number[] = [];
  sizes.reduce((acc, s, i) => ((offsets[i] = acc), acc + s), 0);
  const live = params.map((_, i) => i).filter((i) => sizes[i] > 0);
  const groups: number[][] = [];
  for (let g = 0; g < live.length; g += EWC_PARAMS_PER_DISPATCH)
    groups.push(live.slice(g, g + EWC_PARAMS_PER_DISPATCH));
  const counts = groups.map((g) => g.reduce((acc, i) => acc + sizes[i], 0));
  const layout = reduction;
  const perThread = elementsPerThread;
  const slotsOf = (count: number) => (layout === 'tree' ? ewcTreeWorkgroups(count) : ewcPartialSlots(count, perThread));
  const partialSlots = counts.reduce((acc, c) => acc + slotsOf(c), 0);
  const arenaSize = total + partialSlots;

  let arena: tf.TensorInfo | undefined;
  let partialBase = 0;
  groups.forEach((group, gi) => {
    const count = counts[gi];
    const ends: number[] = [];
    let acc = 0;
    for (let k = 0; k < EWC_PARAMS_PER_DISPATCH - 1; k++) {
      acc += k < group.length ? sizes[group[k]] : 0;
      ends.push(k < group.length ? acc : count);
    }
    const slots = Array.from({ length: EWC_PARAMS_PER_DISPATCH }, (_, k) => flat(params[group[k] ?? group[0]]));
    const program =
      layout === 'tree' ? new EwcPenaltyTreeProgram(arenaSize, count) : new EwcPenaltyProgram(arenaSize, count, perThread);
    // The tree layout's grid-stride step (all its threads) sits where the barrier-free one has perThread.
    const stride = layout === 'tree' ? program.dispatch[0] * program.workgroupSize[0] : perThread;
    const uniforms: Uniform[] = [
      { type: 'float32', data: [lambda] },
      { type: 'int32', data: [offsets[group[0]]] },
      { type: 'int32', data: [count] },
      { type: 'int32', data: [total] },
      { type: 'int32', data: [partialBase] },
      { type: 'int32', data: [stride] },
      ...ends.map((e): Uniform => ({ type: 'int32', data: [e] })),
    ];
    arena = backend.runWebGPUProgram(program, [...slots, constants.anchors, constants.fisher], 'float32', uniforms, arena);
    dispatchCounts.RetainEwcPenalty++;
    partialBase += slotsOf(count);
  });
  const arenaInfo = arena!;
  const penaltyInfo = backend.runWebGPUProgram(new SumReduceProgram(partialSlots), [arenaInfo], 'float32', [
    { type: 'int32', data: [total] },
    { type: 'int32', data: [partialSlots] },
    { type: 'float32', data: [lambda / 2] },
  ]);
  return [tf.reshape(toTensor(penaltyInfo), []), toTensor(arenaInfo)];
}
