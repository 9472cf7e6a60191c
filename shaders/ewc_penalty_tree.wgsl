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
// arena with a grid-stride loop (one per parameter tensor), so round k of a workgroup reads 256 consecutive
// positions (coalesced); each thread keeps a running sum, then the workgroup adds its 256 sums in a shared-memory tree (8 barriers, once).
// Memory traffic per element: 12 bytes read (theta, anchor, Fisher), 4 bytes written (gradient); 8 bytes per
// workgroup for its partial. ewc_penalty.wgsl is the barrier-free variant for software adapters.

const EWC_TREE_WORKGROUP_SIZE : i32 = 256;

var<workgroup> workgroupSums : array<f32, 256>;

// Writes the gradient of arena position `i` of this dispatch; returns its penalty term F d^2.
fn visit(i : i32, theta : f32) -> f32 {
  let p = uniforms.start + i;
  let d = theta - A[p];
  let fd = F[p] * d;
  result[p] = fd * uniforms.lambda;
  return fd * d;
}

fn main(index : i32) {
  let lid = i32(localIndex);
  let workgroup = index / EWC_TREE_WORKGROUP_SIZE;
  var contribution = 0.0;
  // One grid-stride loop per parameter tensor: each element issues one parameter load, and no thread branches
  // between tensors (a per-element choice among P0..P4 made SwiftShader issue all five loads).
  let step = uniforms.gridThreads;
  for (var i = index; i < uniforms.end0; i = i + step) { contribution = contribution + visit(i, P0[i]); }
  for (var i = uniforms.end0 + index; i < uniforms.end1; i = i + step) {
    contribution = contribution + visit(i, P1[i - uniforms.end0]);
  }
  for (var i = uniforms.end1 + index; i < uniforms.end2; i = i + step) {
    contribution = contribution + visit(i, P2[i - uniforms.end1]);
  }
  for (var i = uniforms.end2 + index; i < uniforms.end3; i = i + step) {
    contribution = contribution + visit(i, P3[i - uniforms.end2]);
  }
  for (var i = uniforms.end3 + index; i < uniforms.count; i = i + step) {
    contribution = contribution + visit(i, P4[i - uniforms.end3]);
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
