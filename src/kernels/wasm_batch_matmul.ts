/** WASM BatchMatMul that transposes explicitly first, so transposed products take XNNPACK's fast path. */
import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm 4.22 multiplies transposed operands (`matMul(a, b, true, false)`, `(a, b, false, true)`)
 * about ten times slower than plain ones: only the plain layout takes XNNPACK's fast path. Every dense layer's
 * backward pass needs both transposed products, so a training step of a 784-400-400 MLP spends ~80% of its time
 * there. This re-registers the WASM `BatchMatMul` kernel so that a transposed operand is first transposed
 * explicitly (a cheap copy) and the product runs on the fast path. Same results, same gradients (gradients are
 * registered per kernel name, not per backend).
 */
export function registerFastWasmMatMul(): boolean {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (original == null || transposeKernel == null) return false;
  if ((original.kernelFunc as { fastTranspose?: boolean }).fastTranspose) return true;
  const kernelFunc: tf.KernelFunc = (args) => {
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const temporaries: tf.TensorInfo[] = [];
    const materialise = (x: tf.TensorInfo): tf.TensorInfo => {
      const rank = x.shape.length;
      const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
      const t = transposeKernel.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
      temporaries.push(t);
      return t;
    };
    const { a: inA, b: inB } = args.inputs;
    if (!inA || !inB) throw new Error('BatchMatMul needs inputs a and b');
    const a = attrs.transposeA ? materialise(inA) : inA;
    const b = attrs.transposeB ? materialise(inB) : inB;
    const out = original.kernelFunc({
      inputs: { a, b },
      backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    });
    for (const t of temporaries) backend.disposeData(t.dataId, true);
    return out;
  };
  (kernelFunc as { fastTranspose?: boolean }).fastTranspose = true;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
  return true;
}
