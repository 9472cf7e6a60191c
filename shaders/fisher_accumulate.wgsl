// Running Fisher update (tfjs-backend-webgpu user-code fragment; the backend adds `result`, the read-only
// inputs F and G, the `uniforms` struct and the `_start` entry point).
//
// Math, elementwise:  result_i = F_i * gamma + (G_i * G_i) * scale
// (the same order of operations as the tfjs reference `add(mul(F, gamma), mul(square(G), scale))`).
//
// Memory traffic per element: 8 bytes read (F, G), 4 bytes written: one pass instead of the four
// (mul, square, mul, add) and their three temporaries of the composite. One dispatch per parameter
// tensor writes that tensor's new Fisher directly, so nothing is packed or split afterwards.

fn main(index : i32) {
  if (index < uniforms.count) {
    let g = G[index];
    result[index] = F[index] * uniforms.gamma + (g * g) * uniforms.scale;
  }
}
