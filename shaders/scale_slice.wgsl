// One range of a flat buffer times a scalar held in a 1-element tensor (tfjs-backend-webgpu user-code fragment;
// the backend adds `result`, the read-only inputs X and dy, the `uniforms` struct and the `_start` entry point).
//
// Math:  result[i] = X[offset + i] * dy[0],  i < count
// The backward pass of a fused loss: the forward kernel already wrote d(loss)/d(input) into an arena, and the
// chain rule's upstream gradient dy scales it. Slicing and scaling in one pass moves 8 bytes per element instead
// of 16 (a slice copy, then a multiplication).

fn main(index : i32) {
  if (index < uniforms.count) {
    result[index] = X[uniforms.offset + index] * dy[0];
  }
}
