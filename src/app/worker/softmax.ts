/** Class probabilities from logits on the host: one softmax per row, columns at -Infinity (absent classes) get 0. */

/** Softmax of each of the n rows of `logits` (row-major, k wide), in place; returns the same array. */
export function softmaxRowsInPlace(logits: Float32Array, n: number, k: number): Float32Array {
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * k, (i + 1) * k);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    if (max === -Infinity) {
      row.fill(0);
      continue;
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += row[j] = Math.exp(row[j] - max);
    for (let j = 0; j < k; j++) row[j] /= sum;
  }
  return logits;
}
