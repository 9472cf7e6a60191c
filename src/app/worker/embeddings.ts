/** Stored pictures' embeddings as one row-major batch, the shape every model call takes. */

/** The embeddings of `rows` (each `dim` wide), row after row. */
export function embeddingsOf(rows: readonly { embedding: Float32Array }[], dim: number): Float32Array {
  return joinRows(rows.map((r) => r.embedding), dim);
}

/** Rows of `width` values each, joined into one row-major batch. */
export function joinRows(parts: readonly Float32Array[], width: number): Float32Array {
  const x = new Float32Array(parts.length * width);
  parts.forEach((p, i) => x.set(p, i * width));
  return x;
}
