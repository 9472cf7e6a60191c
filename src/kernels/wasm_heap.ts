/** The two tfjs-backend-wasm backend methods our JS kernels use. */
import type * as tf from '@tensorflow/tfjs';

/**
 * The parts of tfjs-backend-wasm's backend our JS kernels use: allocate an output on the WASM heap and view a
 * tensor's heap memory. (Its class is not worth importing for two methods.) Take views after every allocation:
 * growing the heap detaches earlier views.
 */
export interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}
