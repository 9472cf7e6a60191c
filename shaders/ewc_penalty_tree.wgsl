// EWC penalty + gradient, fused, with a workgroup tree reduction over a fixed grid (tfjs-backend-webgpu
// user-code fragment; the backend adds `result`, the read-only inputs P0..P4, A, F, the `uniforms` struct and
// the `_start` entry point).
//
// Math, for one arena position p (parameters of up to five tensors laid end to end; A and F are the anchor and
// Fisher arenas packed once in the same order):
//   d_p      = theta_p - anchor_p
//   grad_p   = (F_p * d_p) * lambda                                  -> result[p]
//   partial  = sum over this workgroup's positions of F_p * d_p * d_p -> result[total + partialBase + workgroup]
// The penalty (lambda/2) * sum(partials) is finished by sum_reduce.wgsl over at most a few thousand partials.
//
// Layout for hardware GPUs: a fixed grid of `gridThreads / 256` workgroups (a few per compute unit) walks the
// arena with a grid-stride loop, so round k of a workgroup reads 256 consecutive positions (coalesced); each
// thread keeps a running sum, then the workgroup adds its 256 sums in a shared-memory tree (8 barriers, once).
// Memory traffic per element: 12 bytes read (theta, anchor, Fisher), 4 bytes written (gradient); 8 bytes per
// workgroup for its partial. ewc_penalty.wgsl is the barrier-free variant for software adapters.

const EWC_TREE_WORKGROUP_SIZE : i32 = 256;

var<workgroup> workgroupSums : array<f32, 256>;

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
  let workgroup = index / EWC_TREE_WORKGROUP_SIZE;
  var contribution = 0.0;
  for (var i = index; i < uniforms.count; i = i + uniforms.gridThreads) {
    let p = uniforms.start + i;
    let d = readParam(i) - A[p];
    let fd = F[p] * d;
    result[p] = fd * uniforms.lambda;
    contribution = contribution + fd * d;
  }
  workgroupSums[lid] = contribution;
  workgroupBarrier();
  for (var stride = EWC_TREE_WORKGROUP_SIZE / 2; stride > 0; stride = stride / 2) {
    if (lid < stride) {
      workgroupSums[lid] = workgroupSums[lid] + workgroupSums[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0) {
    result[uniforms.total + uniforms.partialBase + workgroup] = workgroupSums[0];
  }
}
