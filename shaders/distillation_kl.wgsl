// Distillation KL loss + gradient w.r.t. the student logits, fused, one workgroup per row
// (tfjs-backend-webgpu user-code fragment; the backend adds `result`, the read-only inputs student and
// teacher, the `uniforms` struct, `isnan` and the `_start` entry point).
//
// Math for row b, over the first C = `columns` columns only (T = temperature, B = rows):
//   s_j = student_bj / T,  t_j = teacher_bj / T
//   logPs_j = (s_j - max(s)) - log(sum_k exp(s_k - max(s)))   (stable log-softmax, same order as
//   logPt_j likewise,  pt_j = exp(logPt_j)                     tf.logSoftmax, so large logits agree)
//   kl_b     = sum_j pt_j * (logPt_j - logPs_j)             -> result[rows * studentCols + b]
//   grad_bj  = (exp(logPs_j) - pt_j) * (T / B)  for j < C,  0 for C <= j < studentCols
//                                                          -> result[b * studentCols + j]
// The loss T^2 * mean_b kl_b is finished by sum_reduce.wgsl with scale T^2 / B.
//
// Memory traffic per row: the C student and C teacher logits are read three times (max, sum of exp,
// KL + gradient; all from cache-sized rows), studentCols gradients and one row loss are written.
// The composite does ~12 dispatches with 8 temporaries of B x C.
// Rows past the end (when the dispatch is folded to 2-D) read row rows-1 and write nothing, so every
// invocation reaches every barrier. A NaN anywhere in a row's first C logits makes the row loss and its
// gradient NaN, as in the reference.

const KL_WORKGROUP_SIZE : i32 = 64;

var<workgroup> reduceA : array<f32, 64>;
var<workgroup> reduceB : array<f32, 64>;

// max() that returns NaN when either side is NaN (WGSL's max may drop a NaN).
fn maxOrNaN(a : f32, b : f32) -> f32 {
  if (isnan(a) || isnan(b)) { return uniforms.NAN; }
  return max(a, b);
}

// Reduces reduceA and reduceB across the workgroup: maxima when `useMax`, sums otherwise.
fn reducePair(lid : i32, useMax : bool) {
  workgroupBarrier();
  for (var stride = KL_WORKGROUP_SIZE / 2; stride > 0; stride = stride / 2) {
    if (lid < stride) {
      if (useMax) {
        reduceA[lid] = maxOrNaN(reduceA[lid], reduceA[lid + stride]);
        reduceB[lid] = maxOrNaN(reduceB[lid], reduceB[lid + stride]);
      } else {
        reduceA[lid] = reduceA[lid] + reduceA[lid + stride];
        reduceB[lid] = reduceB[lid] + reduceB[lid + stride];
      }
    }
    workgroupBarrier();
  }
}

fn main(index : i32) {
  let lid = i32(localIndex);
  let rawRow = index / KL_WORKGROUP_SIZE;
  let row = min(rawRow, uniforms.rows - 1);
  let sBase = row * uniforms.studentCols;
  let tBase = row * uniforms.teacherCols;
  let temp = uniforms.temperature;
  let C = uniforms.columns;

  // 1. Row maxima of s and t.
  var ms = -uniforms.INFINITY;
  var mt = -uniforms.INFINITY;
  for (var j = lid; j < C; j = j + KL_WORKGROUP_SIZE) {
    ms = maxOrNaN(ms, student[sBase + j] / temp);
    mt = maxOrNaN(mt, teacher[tBase + j] / temp);
  }
  reduceA[lid] = ms;
  reduceB[lid] = mt;
  reducePair(lid, true);
  let maxS = reduceA[0];
  let maxT = reduceB[0];
  workgroupBarrier();

  // 2. Sums of exponentials, shifted by the maxima.
  var es = 0.0;
  var et = 0.0;
  for (var j = lid; j < C; j = j + KL_WORKGROUP_SIZE) {
    es = es + exp(student[sBase + j] / temp - maxS);
    et = et + exp(teacher[tBase + j] / temp - maxT);
  }
  reduceA[lid] = es;
  reduceB[lid] = et;
  reducePair(lid, false);
  let logSumS = log(reduceA[0]);
  let logSumT = log(reduceB[0]);
  workgroupBarrier();

  // 3. KL terms and the gradient; zeros for the student's columns beyond C.
  let inRange = rawRow < uniforms.rows;
  var kl = 0.0;
  for (var j = lid; j < uniforms.studentCols; j = j + KL_WORKGROUP_SIZE) {
    var g = 0.0;
    if (j < C) {
      let logPs = (student[sBase + j] / temp - maxS) - logSumS;
      let logPt = (teacher[tBase + j] / temp - maxT) - logSumT;
      let pt = exp(logPt);
      kl = kl + pt * (logPt - logPs);
      g = (exp(logPs) - pt) * uniforms.gradScale;
    }
    if (inRange) {
      result[sBase + j] = g;
    }
  }
  reduceA[lid] = kl;
  reduceB[lid] = 0.0;
  reducePair(lid, false);
  if (inRange && lid == 0) {
    result[uniforms.rows * uniforms.studentCols + row] = reduceA[0];
  }
}
