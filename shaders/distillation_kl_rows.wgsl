// Distillation KL loss + gradient w.r.t. the student logits, fused, one thread per row, for narrow rows
// (tfjs-backend-webgpu user-code fragment; the backend adds `result`, the read-only inputs student and
// teacher, the `uniforms` struct, `isnan` and the `_start` entry point).
//
// The same math as distillation_kl.wgsl, term for term (so results and NaN/Inf propagation match):
//   s_j = student_bj / T,  t_j = teacher_bj / T,  over the first C = `columns` columns
//   logPs_j = (s_j - max(s)) - log(sum_k exp(s_k - max(s))),  logPt_j likewise,  pt_j = exp(logPt_j)
//   kl_b     = sum_j pt_j * (logPt_j - logPs_j)             -> result[rows * studentCols + b]
//   grad_bj  = (exp(logPs_j) - pt_j) * (T / B)  for j < C,  0 for C <= j < studentCols
//                                                          -> result[b * studentCols + j]
// The loss T^2 * mean_b kl_b is finished by sum_reduce.wgsl with scale T^2 / B.
//
// Why a second layout: with a class head's few dozen or hundred columns, a workgroup per row spends its time
// in three shared-memory reductions (18 barriers) for a few hundred flops; one thread walking its row has no
// shared memory and no barrier at all, which matters most on SwiftShader (barriers are emulated there) and
// costs a real GPU nothing at these sizes. Memory traffic per row: the C student and C teacher logits read
// three times (max, sum of exp, KL + gradient; from cache), studentCols gradients and one row loss written.

const KL_ROWS_WORKGROUP_SIZE : i32 = 64;

// max() that returns NaN when either side is NaN (WGSL's max may drop a NaN).
fn maxOrNaN(a : f32, b : f32) -> f32 {
  if (isnan(a) || isnan(b)) { return uniforms.NAN; }
  return max(a, b);
}

fn main(index : i32) {
  let row = index;
  if (row >= uniforms.rows) { return; }
  let sBase = row * uniforms.studentCols;
  let tBase = row * uniforms.teacherCols;
  let temp = uniforms.temperature;
  let C = uniforms.columns;

  var maxS = -uniforms.INFINITY;
  var maxT = -uniforms.INFINITY;
  for (var j = 0; j < C; j = j + 1) {
    maxS = maxOrNaN(maxS, student[sBase + j] / temp);
    maxT = maxOrNaN(maxT, teacher[tBase + j] / temp);
  }
  var es = 0.0;
  var et = 0.0;
  for (var j = 0; j < C; j = j + 1) {
    es = es + exp(student[sBase + j] / temp - maxS);
    et = et + exp(teacher[tBase + j] / temp - maxT);
  }
  let logSumS = log(es);
  let logSumT = log(et);
  var kl = 0.0;
  for (var j = 0; j < C; j = j + 1) {
    let logPs = (student[sBase + j] / temp - maxS) - logSumS;
    let logPt = (teacher[tBase + j] / temp - maxT) - logSumT;
    let pt = exp(logPt);
    kl = kl + pt * (logPt - logPs);
    result[sBase + j] = (exp(logPs) - pt) * uniforms.gradScale;
  }
  for (var j = C; j < uniforms.studentCols; j = j + 1) {
    result[sBase + j] = 0.0;
  }
  result[uniforms.rows * uniforms.studentCols + row] = kl;
}
