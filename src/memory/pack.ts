/** Packs replay-memory members into a few large typed arrays and back (a fast-loading snapshot for IndexedDB). */
import type { MemorySample } from './types';

/**
 * A packed snapshot of the replay memory's members: a few large typed arrays instead of thousands of rows.
 * IndexedDB reads one large value far faster than 5,000 small ones, so the memory loads from the pack when it
 * is current. `IdbReplayMemory.writePackSoon()` writes it just after a round, in its own transaction (and `flush()`
 * writes it with the changes), stamped with the round (meta `memberPack`): the next round makes it stale by moving
 * the round on, every other change to the members deletes it, and a load checks both (store/members.ts).
 */
export interface ReplayPack {
  version: 1;
  count: number;
  dim: number;
  ids: string[];
  labels: Int32Array;
  tasks: Int32Array;
  /** count x dim, row-major. */
  x: Float32Array;
  /** Start of each sample's logits in `logits` (count + 1 entries); equal neighbours mean no logits. */
  logitsOffsets: Int32Array;
  logits: Float32Array;
}

/** Packs members (all of one width). */
export function packSamples(samples: readonly MemorySample[]): ReplayPack {
  const count = samples.length;
  const dim = count > 0 ? samples[0].x.length : 0;
  const x = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  const tasks = new Int32Array(count);
  const logitsOffsets = new Int32Array(count + 1);
  let totalLogits = 0;
  for (const s of samples) totalLogits += s.logits?.length ?? 0;
  const logits = new Float32Array(totalLogits);
  const ids: string[] = new Array(count);
  let lo = 0;
  samples.forEach((s, i) => {
    ids[i] = s.id!;
    labels[i] = s.label;
    tasks[i] = s.task;
    x.set(s.x, i * dim);
    logitsOffsets[i] = lo;
    if (s.logits) {
      logits.set(s.logits, lo);
      lo += s.logits.length;
    }
  });
  logitsOffsets[count] = lo;
  return { version: 1, count, dim, ids, labels, tasks, x, logitsOffsets, logits };
}

/** Unpacks into samples whose arrays are views of the pack's buffers (no copies). Returns null if malformed. */
export function unpackSamples(pack: ReplayPack): MemorySample[] | null {
  const { count, dim } = pack;
  if (pack.version !== 1 || pack.ids.length !== count || pack.labels.length !== count || pack.tasks.length !== count || pack.x.length !== count * dim || pack.logitsOffsets.length !== count + 1)
    return null;
  const out: MemorySample[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s: MemorySample = { id: pack.ids[i], x: pack.x.subarray(i * dim, (i + 1) * dim), label: pack.labels[i], task: pack.tasks[i] };
    const a = pack.logitsOffsets[i];
    const b = pack.logitsOffsets[i + 1];
    if (b > a) s.logits = pack.logits.subarray(a, b);
    out[i] = s;
  }
  return out;
}

/**
 * The replay members' current stored logits, in one small value. Distillation of stored outputs refreshes every
 * member's logits each round; rewriting every 5 KB sample row for a few changed floats made the round's commit
 * cost grow with the memory, so the round writes this table instead and rows keep the logits they were stored
 * with. Where the table has an id, its logits are the current ones; a row's own logits count only otherwise.
 */
export interface LogitsTable {
  version: 1;
  ids: string[];
  /** Start of each id's logits in `logits` (ids.length + 1 entries). */
  offsets: Int32Array;
  logits: Float32Array;
}

/** The table of the samples that have logits. */
export function logitsTableOf(samples: readonly MemorySample[]): LogitsTable {
  return tableOf(samples.filter((s) => s.logits && s.logits.length > 0).map((s) => [s.id!, s.logits!]));
}

function tableOf(entries: readonly (readonly [string, Float32Array])[]): LogitsTable {
  const offsets = new Int32Array(entries.length + 1);
  let total = 0;
  for (const [, l] of entries) total += l.length;
  const logits = new Float32Array(total);
  let o = 0;
  entries.forEach(([, l], i) => {
    offsets[i] = o;
    logits.set(l, o);
    o += l.length;
  });
  offsets[entries.length] = o;
  return { version: 1, ids: entries.map(([id]) => id), offsets, logits };
}

/** id -> current logits (views into the table), or null if the table is malformed. */
export function logitsTableMap(table: LogitsTable | undefined | null): Map<string, Float32Array> | null {
  if (!table || table.version !== 1 || !Array.isArray(table.ids) || table.offsets?.length !== table.ids.length + 1) return null;
  const map = new Map<string, Float32Array>();
  for (let i = 0; i < table.ids.length; i++) {
    const a = table.offsets[i];
    const b = table.offsets[i + 1];
    if (!(a >= 0 && b >= a && b <= table.logits.length)) return null;
    map.set(table.ids[i], table.logits.subarray(a, b));
  }
  return map;
}

/** The table without `ids` (their rows were rewritten and are current again). */
export function logitsTableWithout(table: LogitsTable, ids: ReadonlySet<string>): LogitsTable {
  return tableOf([...(logitsTableMap(table) ?? [])].filter(([id]) => !ids.has(id)));
}
