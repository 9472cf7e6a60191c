// One range of a flat buffer times a scalar held in a 1-element tensor, four elements per invocation (tfjs-backend-
// webgpu user-code fragment; the backend adds `result`, the read-only inputs X and dy, the `uniforms` struct and the
// `_start` entry point). This is the variant for ranges whose offset or length is not a multiple of 4; the others
// take scale_slice_vec4.wgsl.
//
// Math:  result[i] = X[offset + i] * dy[0],  i < count
// The backward pass of a fused loss: the forward kernel already wrote d(loss)/d(input) into an arena, and the
// chain rule's upstream gradient dy scales it. Slicing and scaling in one pass moves 8 bytes per element instead
// of 16 (a slice copy, then a multiplication).
// Invocation `index` handles the 4 consecutive elements from 4 * index: software adapters (SwiftShader) pay mostly
// per invocation, which is why tfjs's own element-wise programs also take 4 elements each (as vec4).

fn main(index : i32) {
  let first = 4 * index;
  let scale = dy[0];
  if (first + 3 < uniforms.count) {
    let src = uniforms.offset + first;
    result[first] = X[src] * scale;
    result[first + 1] = X[src + 1] * scale;
    result[first + 2] = X[src + 2] * scale;
    result[first + 3] = X[src + 3] * scale;
    return;
  }
  // The last, partial group of the range.
  for (var i = first; i < uniforms.count; i = i + 1) {
    result[i] = X[uniforms.offset + i] * scale;
  }
}
