// EWC penalty + gradient, fused (tfjs-backend-webgpu user-code fragment; the backend adds `result`, the
// read-only inputs P0..P4, A, F, the `uniforms` struct, `isnan` and the `_start` entry point).
//
// Math, for one arena position p (parameters of up to five tensors laid end to end; A and F are the
// anchor and Fisher arenas packed once in the same order):
//   d_p      = theta_p - anchor_p
//   grad_p   = (F_p * d_p) * lambda                      -> result[p]
//   partial  = sum over the 64 positions of this workgroup of F_p * d_p * d_p
//                                                        -> result[total + partialBase + workgroup]
// The penalty (lambda/2) * sum(partials) is finished by sum_reduce.wgsl.
//
// Memory traffic per element: 3 x 4 bytes read (theta, anchor, Fisher), 4 bytes written (gradient);
// plus 4 bytes per 64 elements for the partial sums. One dispatch covers up to five parameter tensors;
// a model with more tensors takes ceil(n/5) dispatches writing disjoint ranges of the same output.
// Threads past the end contribute 0 and never return early: every invocation reaches the barriers.

const WORKGROUP_SIZE : i32 = 64;

var<workgroup> partialSums : array<f32, 64>;

// Reads theta for arena position `i` of this dispatch from the parameter tensor that holds it.
fn readParam(i : i32) -> f32 {
  if (i < uniforms.end0) { return P0[i]; }
  if (i < uniforms.end1) { return P1[i - uniforms.end0]; }
  if (i < uniforms.end2) { return P2[i - uniforms.end1]; }
  if (i < uniforms.end3) { return P3[i - uniforms.end2]; }
  return P4[i - uniforms.end3];
}

fn main(index : i32) {
  let lid = i32(localIndex);
  var contribution = 0.0;
  if (index < uniforms.count) {
    let p = uniforms.start + index;
    let d = readParam(index) - A[p];
    let fd = F[p] * d;
    result[p] = fd * uniforms.lambda;
    contribution = fd * d;
  }
  partialSums[lid] = contribution;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2; stride > 0; stride = stride / 2) {
    if (lid < stride) {
      partialSums[lid] = partialSums[lid] + partialSums[lid + stride];
    }
    workgroupBarrier();
  }
  let wg = index / WORKGROUP_SIZE;
  if (lid == 0 && wg * WORKGROUP_SIZE < uniforms.count) {
    result[uniforms.total + uniforms.partialBase + wg] = partialSums[0];
  }
}
