/** Stored pictures' embeddings as one row-major batch, the shape every model call takes. */

/** The embeddings of `rows` (each `dim` wide), row after row. */
export function embeddingsOf(rows: readonly { embedding: Float32Array }[], dim: number): Float32Array {
  const x = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => x.set(r.embedding, i * dim));
  return x;
}
