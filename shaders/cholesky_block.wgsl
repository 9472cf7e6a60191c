// Cholesky factor of one diagonal block (tfjs-backend-webgpu user-code fragment; the backend adds `result`,
// the read-only input A, the `uniforms` struct and the `_start` entry point). One workgroup.
//
// Math: A = L L^T for a symmetric positive-definite n x n block (n <= a few hundred; the blocked solver in
// src/ops/cholesky.ts passes 64). Only A's lower triangle is read; result = L, zeros above the diagonal.
// Right-looking, column by column, in place in `result`:
//   L_jj = sqrt(a_jj);  L_ij = a_ij / L_jj (i > j);  a_ik -= L_ij L_kj (j < k <= i)
// A pivot a_jj <= 0 (not positive definite in float32) makes L_jj = 0: the divisions by it turn the rest of
// the factor and the solve into inf / NaN, which the host checks once at the end (src/ops/spd_solve.ts)
// instead of reading every block back.
//
// Cost: n^3/3 multiply-adds per block, spread over the workgroup's threads (rows of the trailing triangle
// are dealt round-robin); 2n barriers per block. The blocked solver does M/n of these, a small part of the
// M^3/3 of the whole factorisation, which runs as matMuls.

const WORKGROUP_SIZE : i32 = 64;

fn main(index : i32) {
  let lid = i32(localIndex);
  let n = uniforms.n;
  // Lower triangle of A into result, zeros above.
  for (var e = lid; e < n * n; e = e + WORKGROUP_SIZE) {
    let i = e / n;
    let k = e - i * n;
    result[e] = select(0.0, A[e], k <= i);
  }
  storageBarrier();
  for (var j = 0; j < n; j = j + 1) {
    // Every thread reads the same pivot, so no barrier is needed between computing and using it.
    let pivot = result[j * n + j];
    let ljj = select(0.0, sqrt(pivot), pivot > 0.0);
    storageBarrier();
    // Thread t scales rows i = j+1+t, j+1+t+64, ... of column j, then updates that row's trailing entries.
    for (var i = j + 1 + lid; i < n; i = i + WORKGROUP_SIZE) {
      result[i * n + j] = result[i * n + j] / ljj;
    }
    if (lid == 0) { result[j * n + j] = ljj; }
    storageBarrier();
    for (var i = j + 1 + lid; i < n; i = i + WORKGROUP_SIZE) {
      let lij = result[i * n + j];
      for (var k = j + 1; k <= i; k = k + 1) {
        result[i * n + k] = result[i * n + k] - lij * result[k * n + j];
      }
    }
    storageBarrier();
  }
}
