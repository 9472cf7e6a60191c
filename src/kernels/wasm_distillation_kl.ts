/** The fused distillation KL loss + gradient on WASM, in JS over the WASM heap. */
import * as tf from '@tensorflow/tfjs';
import { DISTILLATION_KL_KERNEL, registerFusedOp } from './registry';
import type { WasmHeapBackend } from './wasm_heap';

/** tfjs kernel name of the WASM implementation (runs in JS on the WASM heap). */
export const DISTILLATION_KL_WASM_KERNEL = 'RetainDistillationKLWasm';

/**
 * Distillation KL on the WASM backend in one pass per row, in JS over the WASM heap: the same math as the
 * reference chain in `src/ops/distillation_kl.ts` (log-softmax of student/T and teacher/T on the first
 * `columns` outputs, KL, T^2 batch mean, gradient T (p_s - p_t) / B, 0 on the other columns), term for term so
 * NaN and Inf propagate the same way. On WASM every tfjs op costs ~30 us of dispatch, and the reference chain is
 * ~20 ops forward; for the app's head (batch 32 x 15 classes) that dispatch, not arithmetic, was most of a
 * Balanced training step. Outputs: [loss (scalar), dLoss/dStudent (B x C_student)].
 */
const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { student, teacher } = inputs as { student: tf.TensorInfo; teacher: tf.TensorInfo };
  const { temperature: T, columns } = attrs as unknown as { temperature: number; columns: number };
  const wasm = backend as WasmHeapBackend;
  const [b, cs] = student.shape;
  const ct = teacher.shape[1];
  const loss = wasm.makeOutput([], 'float32');
  const grad = wasm.makeOutput([b, cs], 'float32');
  // Views after every allocation: growing the heap detaches earlier views.
  const s = wasm.typedArrayFromHeap(student) as Float32Array;
  const t = wasm.typedArrayFromHeap(teacher) as Float32Array;
  const g = wasm.typedArrayFromHeap(grad) as Float32Array;
  const out = wasm.typedArrayFromHeap(loss) as Float32Array;
  const logPs = new Float64Array(columns);
  const logPt = new Float64Array(columns);
  let klSum = 0;
  for (let r = 0; r < b; r++) {
    const so = r * cs;
    const to = r * ct;
    let ms = -Infinity;
    let mt = -Infinity;
    for (let c = 0; c < columns; c++) {
      const sv = s[so + c] / T;
      const tv = t[to + c] / T;
      // Math.max propagates NaN like tfjs's max.
      ms = Math.max(ms, sv);
      mt = Math.max(mt, tv);
    }
    let zs = 0;
    let zt = 0;
    for (let c = 0; c < columns; c++) {
      zs += Math.exp(s[so + c] / T - ms);
      zt += Math.exp(t[to + c] / T - mt);
    }
    const lzs = Math.log(zs);
    const lzt = Math.log(zt);
    let kl = 0;
    for (let c = 0; c < columns; c++) {
      logPs[c] = s[so + c] / T - ms - lzs;
      logPt[c] = t[to + c] / T - mt - lzt;
      kl += Math.exp(logPt[c]) * (logPt[c] - logPs[c]);
    }
    klSum += kl;
    for (let c = 0; c < columns; c++) g[so + c] = (Math.exp(logPs[c]) - Math.exp(logPt[c])) * (T / b);
    for (let c = columns; c < cs; c++) g[so + c] = 0;
  }
  out[0] = (klSum / b) * T * T;
  return [loss, grad];
};

/** Registers the WASM distillation-KL kernel and makes `distillationKL` use it on the `wasm` backend. */
export function registerWasmDistillationKL(): void {
  if (tf.getKernel(DISTILLATION_KL_WASM_KERNEL, 'wasm') == null) {
    tf.registerKernel({ kernelName: DISTILLATION_KL_WASM_KERNEL, backendName: 'wasm', kernelFunc });
  }
  registerFusedOp(DISTILLATION_KL_KERNEL, 'wasm', ([student, teacher], { temperature, columns }) => {
    const outs = tf.engine().runKernel(DISTILLATION_KL_WASM_KERNEL, { student, teacher }, { temperature, columns });
    return outs as unknown as tf.Tensor[];
  });
}
