/** Input checks shared by the memory layer: typed-array kinds and replay-sample shapes. */
import { MemoryInputError } from './errors';
import type { MemorySample } from './types';

/** True for a Float32Array, also one made in another realm (structured clone, worker, fake IndexedDB). */
export function isFloat32Array(v: unknown): v is Float32Array {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Float32Array]';
}

function firstNonFinite(a: Float32Array): number {
  // x * 0 is 0 for finite x and NaN for NaN or +-Infinity: one cheap pass, the search only on failure.
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i] * 0;
  if (acc === 0) return -1;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/**
 * Checks a batch of samples before any of it is stored: typed, finite, same width as `expectedDim` (the width of
 * the first sample ever stored, or of the batch's first sample when the memory is empty), integer labels and
 * tasks, unique ids. Throws a `MemoryInputError` naming the offending sample; returns the batch's width.
 */
export function validateSamples(
  samples: readonly MemorySample[],
  expectedDim: number | null,
  hasId: (id: string) => boolean,
): number | null {
  if (!Array.isArray(samples)) throw new MemoryInputError('not-an-array', 'add() expects an array of samples');
  let dim = expectedDim;
  const batchIds = new Set<string>();
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const where = `sample ${i}${s && typeof s.id === 'string' ? ` (id ${s.id})` : ''}`;
    if (!s || typeof s !== 'object') throw new MemoryInputError('bad-x', `${where} is not an object`);
    if (!isFloat32Array(s.x)) throw new MemoryInputError('bad-x', `${where}: x must be a Float32Array`);
    if (s.x.length === 0) throw new MemoryInputError('empty-x', `${where}: x is empty`);
    const bad = firstNonFinite(s.x);
    if (bad >= 0) throw new MemoryInputError('non-finite', `${where}: x[${bad}] is ${s.x[bad]} (must be finite)`);
    if (dim === null) dim = s.x.length;
    else if (s.x.length !== dim)
      throw new MemoryInputError('dimension-mismatch', `${where}: x has ${s.x.length} values, the memory holds ${dim}-d samples`);
    if (!Number.isInteger(s.label) || s.label < 0)
      throw new MemoryInputError('bad-label', `${where}: label must be a non-negative integer, got ${String(s.label)}`);
    if (!Number.isInteger(s.task) || s.task < 0)
      throw new MemoryInputError('bad-task', `${where}: task must be a non-negative integer, got ${String(s.task)}`);
    if (s.logits !== undefined) {
      if (!isFloat32Array(s.logits)) throw new MemoryInputError('bad-logits', `${where}: logits must be a Float32Array`);
      const badL = firstNonFinite(s.logits);
      if (badL >= 0) throw new MemoryInputError('bad-logits', `${where}: logits[${badL}] is ${s.logits[badL]} (must be finite)`);
    }
    if (s.id !== undefined) {
      if (typeof s.id !== 'string' || s.id.length === 0)
        throw new MemoryInputError('bad-id', `${where}: id must be a non-empty string`);
      if (batchIds.has(s.id) || hasId(s.id))
        throw new MemoryInputError('duplicate-id', `${where}: id ${s.id} is already in the memory`);
      batchIds.add(s.id);
    }
  }
  return dim;
}

/** Checks a draw count. */
export function validateCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new MemoryInputError('bad-count', `sample(n): n must be a non-negative integer, got ${n}`);
}
