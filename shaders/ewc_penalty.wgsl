// EWC penalty + gradient, fused (tfjs-backend-webgpu user-code fragment; the backend adds `result`, the
// read-only inputs P0..P4, A, F, the `uniforms` struct and the `_start` entry point).
//
// Math, for one arena position p (parameters of up to five tensors laid end to end; A and F are the
// anchor and Fisher arenas packed once in the same order):
//   d_p      = theta_p - anchor_p
//   grad_p   = (F_p * d_p) * lambda                                   -> result[p]
//   partial  = sum over this thread's positions (about `perThread`) of F_p * d_p * d_p
//                                                                     -> result[total + partialBase + thread]
// The penalty (lambda/2) * sum(partials) is finished by sum_reduce.wgsl.
//
// Memory traffic per element: 3 x 4 bytes read (theta, anchor, Fisher), 4 bytes written (gradient);
// plus 4 bytes written (and later read) per `perThread` elements for the partial sums.
// Each thread keeps a private running sum and writes it: no shared memory and no barriers, which
// SwiftShader (the CI's WebGPU) runs very slowly, and which a real GPU does not need either since the
// partials are few (1/perThread of the parameters).
// Layout: ceil(count / (64 perThread)) workgroups of 64 threads walk each parameter tensor's range in turn with a
// grid-stride loop (consecutive threads read consecutive positions). One loop per tensor, so each element issues
// exactly one parameter load: a per-element choice among P0..P4 costs SwiftShader all five loads (it runs every
// branch under a lane mask), which made this pass ~3.5x a vec4 multiply. Four consecutive elements per thread
// (tfjs's vec4 shape, with f32 bindings since tensor boundaries need not be multiples of 4) measured slower here
// (63 vs 54 ms at 1M): the lanes then read 16 bytes apart instead of side by side.
// `perThread` is a uniform: 1 makes one thread per element (more than 65,535 workgroups at 4M parameters,
// folded into a 2-D dispatch by the backend; threads past the grid return at once).
// One dispatch covers up to five parameter tensors; a model with more takes ceil(n/5) dispatches
// writing disjoint ranges of the same output.

const WORKGROUP_SIZE : i32 = 64;

var<private> contribution : f32 = 0.0;

// Writes the gradient of arena position `i` of this dispatch and adds its penalty term to this thread's sum.
fn visit(i : i32, theta : f32) {
  let p = uniforms.start + i;
  let d = theta - A[p];
  let fd = F[p] * d;
  result[p] = fd * uniforms.lambda;
  contribution = contribution + fd * d;
}

fn main(index : i32) {
  let span = WORKGROUP_SIZE * uniforms.perThread;
  let threads = (uniforms.count + span - 1) / span * WORKGROUP_SIZE;
  if (index >= threads) { return; }
  for (var i = index; i < uniforms.end0; i = i + threads) { visit(i, P0[i]); }
  for (var i = uniforms.end0 + index; i < uniforms.end1; i = i + threads) { visit(i, P1[i - uniforms.end0]); }
  for (var i = uniforms.end1 + index; i < uniforms.end2; i = i + threads) { visit(i, P2[i - uniforms.end1]); }
  for (var i = uniforms.end2 + index; i < uniforms.end3; i = i + threads) { visit(i, P3[i - uniforms.end2]); }
  for (var i = uniforms.end3 + index; i < uniforms.count; i = i + threads) { visit(i, P4[i - uniforms.end3]); }
  result[uniforms.total + uniforms.partialBase + index] = contribution;
}
