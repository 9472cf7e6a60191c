// EWC penalty + gradient, fused (tfjs-backend-webgpu user-code fragment; the backend adds `result`, the
// read-only inputs P0..P4, A, F, the `uniforms` struct and the `_start` entry point).
//
// Math, for one arena position p (parameters of up to five tensors laid end to end; A and F are the
// anchor and Fisher arenas packed once in the same order):
//   d_p      = theta_p - anchor_p
//   grad_p   = (F_p * d_p) * lambda                                   -> result[p]
//   partial  = sum over this thread's `perThread` positions of F_p * d_p * d_p
//                                                                     -> result[total + partialBase + thread]
// The penalty (lambda/2) * sum(partials) is finished by sum_reduce.wgsl.
//
// Memory traffic per element: 3 x 4 bytes read (theta, anchor, Fisher), 4 bytes written (gradient);
// plus 4 bytes written (and later read) per `perThread` elements for the partial sums.
// Each thread keeps a private running sum and writes it: no shared memory and no barriers, which
// SwiftShader (the CI's WebGPU) runs very slowly, and which a real GPU does not need either since the
// partials are few (1/perThread of the parameters). Within a workgroup, round k reads 64 consecutive
// positions (coalesced). `perThread` is a uniform: 1 makes one thread per element (more than 65,535
// workgroups at 4M parameters, folded into a 2-D dispatch by the backend).
// One dispatch covers up to five parameter tensors; a model with more takes ceil(n/5) dispatches
// writing disjoint ranges of the same output.

const WORKGROUP_SIZE : i32 = 64;

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
  let wg = index / WORKGROUP_SIZE;
  let base = wg * WORKGROUP_SIZE * uniforms.perThread;
  var contribution = 0.0;
  for (var k = 0; k < uniforms.perThread; k = k + 1) {
    let i = base + k * WORKGROUP_SIZE + lid;
    if (i < uniforms.count) {
      let p = uniforms.start + i;
      let d = readParam(i) - A[p];
      let fd = F[p] * d;
      result[p] = fd * uniforms.lambda;
      contribution = contribution + fd * d;
    }
  }
  if (base < uniforms.count) {
    result[uniforms.total + uniforms.partialBase + index] = contribution;
  }
}
