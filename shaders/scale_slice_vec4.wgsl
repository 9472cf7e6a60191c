// One range of a flat buffer times a scalar held in a 1-element tensor, on vec4 (tfjs-backend-webgpu user-code
// fragment; the backend declares `result` and X as array<vec4<f32>>, dy as array<f32>, and adds the `uniforms`
// struct and the `_start` entry point). Only for ranges whose offset and length are multiples of 4 (the program
// picks this variant then; scale_slice.wgsl takes the rest), as tfjs's element-wise programs do.
//
// Math:  result[q] = X[offset / 4 + q] * dy[0],  q < count / 4   (4 elements per vec4)
// 8 bytes per element, like scale_slice.wgsl; one 16-byte load and store per invocation.

fn main(index : i32) {
  if (index < uniforms.count / 4) {
    result[index] = X[uniforms.offset / 4 + index] * dy[0];
  }
}
