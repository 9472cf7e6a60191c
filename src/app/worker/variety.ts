/**
 * How much a class's pictures differ in the backbone's feature space: 1 - |mean of the unit-length embeddings|.
 * 0 when every picture embeds to the same direction (near-duplicates: a burst of one pose); it grows as pictures
 * vary (angle, light, background). With mean pairwise cosine similarity c over many pictures, |mean| ≈ sqrt(c), so
 * the figure is about 1 - sqrt(c): 0.01 for c = 0.98, 0.1 for c = 0.8.
 */

/** Fewer pictures than this say too little about variety. */
export const MIN_VARIETY_PICTURES = 5;

/** The spread of `embeddings` (see the file header), or undefined with fewer than MIN_VARIETY_PICTURES. */
export function embeddingVariety(embeddings: readonly Float32Array[]): number | undefined {
  if (embeddings.length < MIN_VARIETY_PICTURES) return undefined;
  const d = embeddings[0].length;
  const sum = new Float64Array(d);
  let used = 0;
  for (const e of embeddings) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += e[i] * e[i];
    norm = Math.sqrt(norm);
    // An all-zero embedding has no direction: it neither adds to nor takes from the variety.
    if (!(norm > 0)) continue;
    for (let i = 0; i < d; i++) sum[i] += e[i] / norm;
    used++;
  }
  if (used < MIN_VARIETY_PICTURES) return undefined;
  let length = 0;
  for (let i = 0; i < d; i++) length += (sum[i] / used) ** 2;
  // Six significant digits: the sum's last bits depend on the pictures' order (an imported project lists them
  // in another order), and the figure must not change with it.
  return Number(Math.max(0, 1 - Math.sqrt(length)).toPrecision(6));
}
