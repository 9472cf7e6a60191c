// Triangular solves, one right-hand side per row (tfjs-backend-webgpu user-code fragment; the backend adds
// `result`, the read-only inputs L and B, the `uniforms` struct and the `_start` entry point).
//
// Math, for each row b of B (rows x n) with L lower triangular (n x n):
//   transposed == 0:  L   x = b   (forward substitution:  x_i = (b_i - sum_{j<i} L_ij x_j) / L_ii)
//   transposed == 1:  L^T x = b   (back substitution:     x_i = (b_i - sum_{j>i} L_ji x_j) / L_ii)
// and result's row = x. With the rows of a panel A21 this gives L21 = A21 L11^-T (the Cholesky panel);
// with the transposed right-hand sides of a block it is the blocked forward / back substitution.
//
// One thread per row, no shared memory and no barriers: rows are independent, and every thread reads the
// same entries of L at the same time (broadcast). x is kept in `result` as it is computed. Cost n^2 / 2
// multiply-adds per row.

fn main(index : i32) {
  let r = index;
  if (r >= uniforms.rows) { return; }
  let n = uniforms.n;
  let base = r * n;
  if (uniforms.transposed == 0) {
    for (var i = 0; i < n; i = i + 1) {
      var s = B[base + i];
      for (var j = 0; j < i; j = j + 1) {
        s = s - L[i * n + j] * result[base + j];
      }
      result[base + i] = s / L[i * n + i];
    }
  } else {
    for (var i = n - 1; i >= 0; i = i - 1) {
      var s = B[base + i];
      for (var j = i + 1; j < n; j = j + 1) {
        s = s - L[j * n + i] * result[base + j];
      }
      result[base + i] = s / L[i * n + i];
    }
  }
}
