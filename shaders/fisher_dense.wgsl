// Fisher of a dense layer from a batch, folded into the running Fisher (tfjs-backend-webgpu user-code fragment;
// the backend adds `result`, the read-only inputs F, X, D, the `uniforms` struct and the `_start` entry point).
//
// For y = x W + b, sample s's gradient is x_s^T delta_s (kernel) and delta_s (bias), so the sum over the batch of
// the per-sample squared gradients is (X o X)^T (D o D) for the kernel and sum_s D_s o D_s for the bias
// (BackPACK's SumGradSquared), with X [rows x inDim] the layer's inputs and D [rows x outDim] the gradients of
// the per-sample losses with respect to its outputs. Elementwise:
//   kernel (biasOnly = 0):  result[i, j] = F[i, j] * gamma + scale * sum_s X[s, i]^2 * D[s, j]^2
//   bias   (biasOnly = 1):  result[j]    = F[j]    * gamma + scale * sum_s D[s, j]^2
// One thread per output element; a workgroup's 64 threads read 64 consecutive D values of a row (coalesced)
// and one X value (broadcast). Memory traffic: F read and result written once; X and D read from cache.

fn main(index : i32) {
  let outputs = select(uniforms.inDim * uniforms.outDim, uniforms.outDim, uniforms.biasOnly == 1);
  if (index >= outputs) { return; }
  let i = index / uniforms.outDim;
  let j = index - i * uniforms.outDim;
  var acc = 0.0;
  for (var s = 0; s < uniforms.rows; s = s + 1) {
    let d = D[s * uniforms.outDim + j];
    var x = 1.0;
    if (uniforms.biasOnly == 0) {
      x = X[s * uniforms.inDim + i];
    }
    acc = acc + (x * x) * (d * d);
  }
  result[index] = F[index] * uniforms.gamma + acc * uniforms.scale;
}
