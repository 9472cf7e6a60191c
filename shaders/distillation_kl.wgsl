// Distillation KL loss + gradient w.r.t. the student logits, fused, one workgroup per row, for wide rows
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
// Pass 1 finds the maximum and the sum of exponentials together (online softmax: a thread keeps (m, l) and
// rescales l by exp(m_old - m_new) when its maximum grows; the workgroup merges pairs the same way), so each row
// is read twice (pass 1, then the KL terms and the gradient) instead of three times. Memory traffic per row: the
// C student and C teacher logits read twice, studentCols gradients and one row loss written.
// Rows past the end (when the dispatch is folded to 2-D) read row rows-1 and write nothing, so every
// invocation reaches every barrier. A NaN anywhere in a row's first C logits makes the row loss and its
// gradient NaN, as in the reference.

const KL_WORKGROUP_SIZE : i32 = 64;

var<workgroup> maxS : array<f32, 64>;
var<workgroup> sumS : array<f32, 64>;
var<workgroup> maxT : array<f32, 64>;
var<workgroup> sumT : array<f32, 64>;

// max() that returns NaN when either side is NaN (WGSL's max may drop a NaN).
fn maxOrNaN(a : f32, b : f32) -> f32 {
  if (isnan(a) || isnan(b)) { return uniforms.NAN; }
  return max(a, b);
}

// sum * exp(m - newMax), with an empty partial (m = -inf, sum = 0) contributing 0 rather than NaN.
fn rescaled(sum : f32, m : f32, newMax : f32) -> f32 {
  if (m == -uniforms.INFINITY) { return 0.0; }
  return sum * exp(m - newMax);
}

fn main(index : i32) {
  let lid = i32(localIndex);
  let rawRow = index / KL_WORKGROUP_SIZE;
  let row = min(rawRow, uniforms.rows - 1);
  let sBase = row * uniforms.studentCols;
  let tBase = row * uniforms.teacherCols;
  let temp = uniforms.temperature;
  let C = uniforms.columns;

  // 1. Per thread: running maxima and rescaled sums of exponentials of s and t (online softmax).
  var ms = -uniforms.INFINITY;
  var ls = 0.0;
  var mt = -uniforms.INFINITY;
  var lt = 0.0;
  for (var j = lid; j < C; j = j + KL_WORKGROUP_SIZE) {
    let s = student[sBase + j] / temp;
    let t = teacher[tBase + j] / temp;
    // A -inf logit adds exp(-inf) = 0 (guarded: -inf - -inf would be NaN while the maximum is still -inf).
    let nms = maxOrNaN(ms, s);
    ls = rescaled(ls, ms, nms) + select(exp(s - nms), 0.0, s == -uniforms.INFINITY);
    ms = nms;
    let nmt = maxOrNaN(mt, t);
    lt = rescaled(lt, mt, nmt) + select(exp(t - nmt), 0.0, t == -uniforms.INFINITY);
    mt = nmt;
  }
  maxS[lid] = ms;
  sumS[lid] = ls;
  maxT[lid] = mt;
  sumT[lid] = lt;
  workgroupBarrier();
  // Merge the (max, sum) pairs in a tree.
  for (var stride = KL_WORKGROUP_SIZE / 2; stride > 0; stride = stride / 2) {
    if (lid < stride) {
      let a = maxOrNaN(maxS[lid], maxS[lid + stride]);
      sumS[lid] = rescaled(sumS[lid], maxS[lid], a) + rescaled(sumS[lid + stride], maxS[lid + stride], a);
      maxS[lid] = a;
      let b = maxOrNaN(maxT[lid], maxT[lid + stride]);
      sumT[lid] = rescaled(sumT[lid], maxT[lid], b) + rescaled(sumT[lid + stride], maxT[lid + stride], b);
      maxT[lid] = b;
    }
    workgroupBarrier();
  }
  let rowMaxS = maxS[0];
  let rowMaxT = maxT[0];
  let logSumS = log(sumS[0]);
  let logSumT = log(sumT[0]);
  workgroupBarrier();

  // 2. KL terms and the gradient; zeros for the student's columns beyond C.
  let inRange = rawRow < uniforms.rows;
  var kl = 0.0;
  for (var j = lid; j < uniforms.studentCols; j = j + KL_WORKGROUP_SIZE) {
    var g = 0.0;
    if (j < C) {
      let logPs = (student[sBase + j] / temp - rowMaxS) - logSumS;
      let logPt = (teacher[tBase + j] / temp - rowMaxT) - logSumT;
      let pt = exp(logPt);
      kl = kl + pt * (logPt - logPs);
      g = (exp(logPs) - pt) * uniforms.gradScale;
    }
    if (inRange) {
      result[sBase + j] = g;
    }
  }
  sumS[lid] = kl;
  workgroupBarrier();
  for (var stride = KL_WORKGROUP_SIZE / 2; stride > 0; stride = stride / 2) {
    if (lid < stride) {
      sumS[lid] = sumS[lid] + sumS[lid + stride];
    }
    workgroupBarrier();
  }
  if (inRange && lid == 0) {
    result[uniforms.rows * uniforms.studentCols + row] = sumS[0];
  }
}
