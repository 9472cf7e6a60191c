// Scaled sum of a range of a buffer, in one workgroup (tfjs-backend-webgpu user-code fragment; the backend
// adds `result`, the read-only input X, the `uniforms` struct and the `_start` entry point).
//
// Math:  result[0] = scale * sum_{i < count} X[offset + i]
//   EWC:          X = per-thread partial sums of F*(theta-anchor)^2,     scale = lambda/2
//   distillation: X = per-row KL divergences,                          scale = T^2/B
//
// Memory traffic: 4 bytes read per summed element, 4 bytes written. The inputs are already partial sums
// (1/perThread of the parameters, or one value per row), so a single workgroup striding over them is enough;
// each thread sums a strided slice, then a shared-memory tree adds the 256 thread sums.
// NaN and Inf propagate through the additions as in tf.sum.

const REDUCE_WORKGROUP_SIZE : i32 = 256;

var<workgroup> threadSums : array<f32, 256>;

fn main(index : i32) {
  let lid = i32(localIndex);
  var acc = 0.0;
  for (var i = lid; i < uniforms.count; i = i + REDUCE_WORKGROUP_SIZE) {
    acc = acc + X[uniforms.offset + i];
  }
  threadSums[lid] = acc;
  workgroupBarrier();
  for (var stride = REDUCE_WORKGROUP_SIZE / 2; stride > 0; stride = stride / 2) {
    if (lid < stride) {
      threadSums[lid] = threadSums[lid] + threadSums[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0) {
    result[0] = threadSums[0] * uniforms.scale;
  }
}
