/** WASM GatherV2 that copies whole rows inside the heap for the common axis-0 case. */
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasm_heap';

/**
 * tfjs-backend-wasm 4.22 gathers element by element with stride arithmetic in C++: taking a batch of 32 rows of
 * 1,280 floats costs ~2.8 ms, more than the rest of a head's training step. Every training step gathers its
 * batch (and its replay batch) this way. This re-registers the WASM `GatherV2` kernel so that the common case,
 * whole rows along axis 0 (batchDims 0), is a row-by-row copy inside the WASM heap (~0.1 ms); anything else
 * goes to the original kernel. Indices are checked as tfjs checks them; results are identical.
 */
export function registerFastWasmGather(): boolean {
  const original = tf.getKernel('GatherV2', 'wasm');
  if (original == null) return false;
  if ((original.kernelFunc as { fastRows?: boolean }).fastRows) return true;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const attrs = args.attrs as unknown as { axis: number | number[]; batchDims?: number };
    const axis = Array.isArray(attrs.axis) ? attrs.axis[0] : attrs.axis;
    const rank = x.shape.length;
    const rowsAxis = rank > 0 && (axis === 0 || axis === -rank) && !attrs.batchDims;
    if (!rowsAxis || (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool')) return original.kernelFunc(args);
    const backend = args.backend as WasmHeapBackend;
    const idx = backend.readSync(indices.dataId) as unknown as ArrayLike<number>;
    const rows = x.shape[0];
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i];
      if (!(r >= 0 && r <= rows - 1)) throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
    }
    const rowSize = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    if (idx.length === 0 || rowSize === 0) return out;
    // Views are taken after makeOutput: allocating may grow the heap and detach earlier views.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < idx.length; i++) dst.set(src.subarray(idx[i] * rowSize, (idx[i] + 1) * rowSize), i * rowSize);
    return out;
  };
  (kernelFunc as { fastRows?: boolean }).fastRows = true;
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
  return true;
}
