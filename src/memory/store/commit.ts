/** One learning round's commit: its checks, and the transaction that writes checkpoint, buffer and class changes whole. */
import { checkClassColour, checkClassName, checkNewClassName } from '../class-rules';
import { ProjectStoreError } from '../errors';
import { logitsTableWithout, type LogitsTable } from '../pack';
import type { EngineState } from '../types';
import { isFloat32Array } from '../validate';
import type { IdbReplayMemory } from './idb-replay-memory';
import { stamped } from './members';
import type { BufferCommit } from './replay-persistence';
import type { CheckpointRecord, ClassRecord, SampleRecord } from './schema';
import { addDelta, applyCountDeltas, queueDeletes, quiet, sampleReader, type AnyTx, type CountDeltas, type WriteHook } from './transaction';

/** Everything one committed round writes, atomically. */
export interface CommitRoundInput {
  engineState: EngineState;
  /** Class id -> head output column. */
  classToOutput: Record<string, number>;
  strategy?: Record<string, unknown> | null;
  /** Metrics history (JSON). */
  metrics?: unknown;
  /**
   * Replay-memory changes of this round: pass the project's `IdbReplayMemory` (deferred mode) and its pending
   * changes are written in this transaction (and marked committed after), or a plain `BufferCommit`.
   */
  bufferChanges?: BufferCommit | IdbReplayMemory | null;
  /** Class edits to apply with the round (name, colour); every class listed gets `round` = the new round. */
  classes?: { id: number; name?: string; colour?: string }[];
  /** Samples trained this round: those the replay memory did not keep are deleted (they live on in the weights). */
  trainedSampleIds?: string[];
  /**
   * The same as `trainedSampleIds`, given as the rows the caller read from this store: the commit only checks that
   * they are still stored (keys, not values) and refuses (`project-changed`, nothing written) if one is gone.
   */
  trainedRows?: readonly SampleRecord[];
  /** The engine's RNG state (to resume sampling exactly). */
  rngState?: number;
  /** Checkpoint time (ms); default now. */
  created?: number;
  /** The committed round this round was trained from; the commit is refused if the project moved on. Default: the round the store last read. */
  baseRound?: number;
}

/** The parts of a round that need its trained model: they may arrive after its commit has begun (`commitRoundLate`). */
export type RoundCheckpointPart = Pick<CommitRoundInput, 'engineState' | 'classToOutput' | 'strategy' | 'metrics' | 'created'>;

/** The rest of a round: the memory's changes, the trained rows, class edits; known before its model is. */
export type RoundRowsPart = Omit<CommitRoundInput, keyof RoundCheckpointPart>;

/** A round's checkpoint part after its checks: JSON parts cloned. */
export interface CheckedCheckpoint {
  engineState: EngineState;
  classToOutput: Record<string, number>;
  metrics: unknown;
  strategy: Record<string, unknown> | null;
  created: number | undefined;
}

/** A round's input after its checks: class edits in stored form; the checkpoint part checked, or checked when it arrives. */
export interface CheckedRound {
  input: RoundRowsPart;
  classEdits: { id: number; name?: string; colour?: string }[];
  /** The stored round the commit must find (null: no check). */
  baseRound: number | null;
  /** The checkpoint part, or its promise (a late part); a rejection (the round failed) aborts the commit, nothing written. */
  checkpoint: CheckedCheckpoint | Promise<CheckedCheckpoint>;
  /** Called once every write but the checkpoint's is queued (the storage process is writing them). */
  onQueued?: () => void;
}

/** What a buffer commit reads before it writes: the rows it upserts and deletes, and the logits table if needed. */
interface BufferCommitReads {
  existingPut: (SampleRecord | undefined)[];
  existingDel: (SampleRecord | undefined)[];
  tableRecord: { value?: unknown } | undefined;
  /** The round the project is at after this change (a pack written with it is stamped with it). */
  round: number;
}

/** What a committed round wrote: its number and every class row as stored after it. */
export interface CommittedRound {
  round: number;
  classes: ClassRecord[];
}

/** Validates an EngineState's shape (format, tensors typed and sized by their shapes). */
export function validateEngineState(state: EngineState): void {
  if (!state || state.format !== 'retain-engine' || state.version !== 1 || typeof state.json !== 'object' || !Array.isArray(state.tensors))
    throw new ProjectStoreError('bad-input', 'engineState must be a retain-engine v1 state');
  const names = new Set<string>();
  for (const t of state.tensors) {
    if (!t || typeof t.name !== 'string' || names.has(t.name)) throw new ProjectStoreError('bad-input', `engineState: bad or duplicate tensor name ${String(t?.name)}`);
    names.add(t.name);
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new ProjectStoreError('bad-input', `engineState: tensor ${t.name} has a bad shape`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    const okType = t.dtype === 'float32' ? isFloat32Array(t.data) : t.dtype === 'int32' ? Object.prototype.toString.call(t.data) === '[object Int32Array]' : false;
    if (!okType) throw new ProjectStoreError('bad-input', `engineState: tensor ${t.name} data does not match dtype ${t.dtype}`);
    if (t.data.length !== size) throw new ProjectStoreError('bad-input', `engineState: tensor ${t.name} has ${t.data.length} values for shape [${t.shape}]`);
  }
}

/** Checks a round's checkpoint part (a refusal leaves the store unchanged): the engine state's shape, the output map, cloneable JSON. */
export function checkCheckpointPart(part: RoundCheckpointPart): CheckedCheckpoint {
  if (!part || typeof part !== 'object') throw new ProjectStoreError('bad-input', 'commitRound needs an input object');
  validateEngineState(part.engineState);
  if (!part.classToOutput || typeof part.classToOutput !== 'object') throw new ProjectStoreError('bad-input', 'classToOutput is required');
  for (const [k, v] of Object.entries(part.classToOutput))
    if (!Number.isInteger(Number(k)) || !Number.isInteger(v) || v < 0) throw new ProjectStoreError('bad-input', `classToOutput: bad entry ${k} -> ${v}`);
  // JSON parts are cloned now so a non-serialisable value fails before anything is written.
  try {
    const metrics = structuredClone(part.metrics ?? null);
    const strategy = structuredClone(part.strategy ?? null);
    structuredClone(part.engineState.json);
    return { engineState: part.engineState, classToOutput: { ...part.classToOutput }, metrics, strategy, created: part.created };
  } catch (e) {
    throw new ProjectStoreError('bad-input', `commitRound: metrics, strategy and engineState.json must be cloneable (${(e as Error).message})`);
  }
}

/**
 * Checks a round's input before any transaction opens (every refusal leaves the store unchanged); `baseRound`: the
 * stored round the commit must find. `checkpoint`: the checkpoint part when it comes later (checked on arrival).
 */
export function checkRoundInput(
  input: RoundRowsPart | CommitRoundInput,
  baseRound: number | null = null,
  checkpoint: Promise<RoundCheckpointPart> | null = null,
): CheckedRound {
  if (!input || typeof input !== 'object') throw new ProjectStoreError('bad-input', 'commitRound needs an input object');
  if (baseRound !== null && !Number.isInteger(baseRound)) throw new ProjectStoreError('bad-input', `baseRound must be an integer, not ${String(baseRound)}`);
  const checkedCheckpoint = checkpoint ? checkpoint.then(checkCheckpointPart) : checkCheckpointPart(input as CommitRoundInput);
  // A late part that fails is reported by the commit; until then nothing may call it unhandled.
  if (checkedCheckpoint instanceof Promise) checkedCheckpoint.catch(() => undefined);
  if (input.trainedRows !== undefined && (!Array.isArray(input.trainedRows) || input.trainedRows.some((r) => !r || typeof r.id !== 'string' || !Number.isInteger(r.round))))
    throw new ProjectStoreError('bad-input', 'trainedRows must be stored sample rows (an id and a round each)');
  const classEdits = (input.classes ?? []).map((c) => {
    if (!c || !Number.isInteger(c.id)) throw new ProjectStoreError('bad-input', 'classes: every edit needs an integer id');
    const edit: { id: number; name?: string; colour?: string } = { id: c.id };
    if (c.name !== undefined) edit.name = checkClassName(c.name);
    if (c.colour !== undefined) edit.colour = checkClassColour(c.colour);
    return edit;
  });
  return { input, classEdits, baseRound, checkpoint: checkedCheckpoint };
}

/**
 * Waits for `value` inside `tx` without letting the transaction commit meanwhile: IndexedDB commits a transaction
 * once no request is pending, so a cheap read stays pending until `value` settles. Resumes in the first request
 * callback after that (one of `pending`'s writes as they complete, or the read), where the transaction is active
 * again and can take the writes that depended on `value`, queued behind the writes still in flight.
 */
function holdOpen<T>(tx: AnyTx, value: Promise<T>, pending: readonly Promise<unknown>[]): Promise<T> {
  let settled = false;
  value.then(
    () => (settled = true),
    () => (settled = true),
  );
  return new Promise<T>((resolve, reject) => {
    let resumed = false;
    // Called in request callbacks only (the transaction is active there and in their microtasks).
    const resume = (): boolean => {
      if (resumed || !settled) return resumed;
      resumed = true;
      value.then(resolve, reject);
      return true;
    };
    for (const p of pending) p.then(resume, () => undefined);
    const meta = tx.objectStore('meta');
    void (async () => {
      while (!resume()) await meta.count('round');
    })().catch(reject);
  });
}

/**
 * Writes one round inside `tx` and returns its number: buffer changes, class edits and counts, trained-sample
 * clean-up, old checkpoints, meta (round, RNG), and the checkpoint. Every read is issued at once (one round trip
 * to the storage process), then every write is queued and awaited once: a round costs two round trips, not one
 * per dependent step. The checkpoint and the new round number are queued last, once `checked.checkpoint` has
 * come: the storage process writes the rest meanwhile (the caller may still be training), and a failed
 * checkpoint part aborts the whole transaction. Returns the round and the class rows as they are after it.
 */
export async function writeRound(
  tx: AnyTx,
  checked: CheckedRound,
  bufferChanges: BufferCommit | null | undefined,
  keepOldCheckpoints: number,
  hook: WriteHook,
): Promise<CommittedRound> {
  const { input, classEdits } = checked;
  const meta = tx.objectStore('meta');
  const classes = tx.objectStore('classes');
  const checkpoints = tx.objectStore('checkpoints');
  // A round's trained samples are mostly the ones its memory keeps: each row is read once for both. Rows the
  // caller holds are only checked by key; the rows of the rounds the memory's other new members were captured
  // for are read in one request per round.
  const known = new Map((input.trainedRows ?? []).map((r) => [r.id, r] as const));
  const getSample = sampleReader(tx, bufferChanges?.put.filter((s) => !known.has(s.id!)).map((s) => s.task) ?? [], known);
  const trainedIds = [...new Set([...known.keys(), ...(input.trainedSampleIds ?? [])])];
  const [roundRow, bufferReads, trainedRows, checkpointKeys, classList] = await Promise.all([
    meta.get('round'),
    bufferChanges ? readBufferCommit(tx, bufferChanges, getSample) : Promise.resolve(null),
    Promise.all(trainedIds.map((id) => getSample(id))),
    checkpoints.getAllKeys(),
    classes.getAll(),
  ]);
  const stored = (roundRow?.value as number | undefined) ?? -1;
  if (checked.baseRound !== null && stored !== checked.baseRound)
    throw new ProjectStoreError('project-changed', `another tab changed this project (it is at round ${stored + 1}, this round was trained from round ${checked.baseRound + 1})`);
  // A picture the round trained on was deleted meanwhile (another tab): storing the round would bring it back
  // without its thumbnail, or keep a model that counts a picture nobody can delete any more.
  const gone = trainedIds.filter((id, i) => known.has(id) && !trainedRows[i]);
  if (gone.length > 0) throw new ProjectStoreError('project-changed', `another tab deleted ${gone.length} of this round's pictures`);
  const round = stored + 1;
  let step = 0;
  const writes: Promise<unknown>[] = [];
  const deltas: CountDeltas = new Map();
  if (bufferChanges && bufferReads) queueBufferCommit(tx, bufferChanges, { ...bufferReads, round }, 'commitRound', deltas, writes, hook);
  // Trained but not kept by the memory: dropped (held-out samples are never trained, never dropped). The rows
  // were read before the buffer's writes, so the buffer's own puts and deletes are taken from the change.
  const keptIds = new Set(bufferChanges?.put.map((s) => s.id!) ?? []);
  const deletedIds = new Set(bufferChanges?.delete ?? []);
  const dropped = trainedRows.filter((r): r is SampleRecord => !!r && r.replay === 0 && !r.heldOut && !keptIds.has(r.id) && !deletedIds.has(r.id));
  queueDeletes(tx, dropped, deltas, writes, true);
  // Each class row is read once and written once with its edit and all its count changes (two
  // read-modify-writes of one row in flight together would lose one of them).
  const classRows = new Map(classList.map((c) => [c.id, c] as const));
  for (const edit of classEdits) {
    const c = classRows.get(edit.id);
    if (!c) throw new ProjectStoreError('unknown-class', `commitRound: no class ${edit.id}`);
    if (edit.name !== undefined) c.name = checkNewClassName(edit.name, classRows.values(), edit.id);
    if (edit.colour !== undefined) c.colour = edit.colour;
    c.round = round;
    hook('commitRound', step++);
  }
  const changed = new Set(classEdits.map((e) => e.id));
  for (const [id, d] of deltas) {
    const c = classRows.get(id);
    if (!c || (d.total === 0 && d.heldOut === 0)) continue;
    c.sampleCount = Math.max(0, c.sampleCount + d.total);
    c.heldOutCount = Math.max(0, c.heldOutCount + d.heldOut);
    changed.add(id);
  }
  for (const id of changed) writes.push(quiet(classes.put(classRows.get(id)!)));
  // Keep the newest checkpoints only.
  for (const k of checkpointKeys) if ((k as number) <= round - keepOldCheckpoints - 1) writes.push(quiet(checkpoints.delete(k)));
  if (input.rngState !== undefined) writes.push(quiet(meta.put({ key: 'rng', value: input.rngState })));
  checked.onQueued?.();
  const part = checked.checkpoint instanceof Promise ? await holdOpen(tx, checked.checkpoint, writes) : checked.checkpoint;
  const checkpoint: CheckpointRecord = {
    round,
    created: part.created ?? Date.now(),
    engineState: part.engineState,
    classToOutput: part.classToOutput,
    strategy: part.strategy,
    metrics: part.metrics,
  };
  hook('commitRound', step++);
  writes.push(quiet(checkpoints.put(checkpoint)));
  hook('commitRound', step);
  writes.push(quiet(meta.put({ key: 'round', value: round })));
  await Promise.all(writes);
  return { round, classes: [...classRows.values()] };
}

/** Applies replay-memory changes inside `tx`: upserts members (keeping captured rows' thumbnail/source), deletes evicted rows. */
export async function writeBufferCommit(tx: AnyTx, change: BufferCommit, hook: WriteHook): Promise<void> {
  const deltas: CountDeltas = new Map();
  const writes: Promise<unknown>[] = [];
  queueBufferCommit(tx, change, await readBufferCommit(tx, change), 'bufferWrite', deltas, writes, hook);
  await Promise.all([...writes, applyCountDeltas(tx, deltas)]);
}

/** The rows a buffer commit needs to read first (issued together: one round trip). */
function readBufferCommit(
  tx: AnyTx,
  change: BufferCommit,
  getSample: (id: string) => Promise<SampleRecord | undefined> = sampleReader(tx),
): Promise<BufferCommitReads> {
  // Requests in one transaction run in order, so reads are issued together and writes queued without waiting
  // for each: every await is a round trip to the browser's storage process (~1-5 ms from a worker).
  const putIds = new Set(change.put.map((s) => s.id!));
  const deleteIds = change.delete.filter((id) => !putIds.has(id));
  const needTable = !change.logits && putIds.size > 0;
  return Promise.all([
    Promise.all(change.put.map((s) => getSample(s.id!))),
    Promise.all(deleteIds.map((id) => getSample(id))),
    needTable ? tx.objectStore('meta').get('logits') : Promise.resolve(undefined),
    change.pack ? tx.objectStore('meta').get('round') : Promise.resolve(undefined),
  ]).then(([existingPut, existingDel, tableRecord, roundRow]) => ({
    existingPut,
    existingDel,
    tableRecord,
    round: (roundRow?.value as number | undefined) ?? -1,
  }));
}

/** Queues a buffer commit's writes (read first with `readBufferCommit`), adding its class count changes to `deltas`. */
function queueBufferCommit(
  tx: AnyTx,
  change: BufferCommit,
  reads: BufferCommitReads,
  op: 'commitRound' | 'bufferWrite',
  deltas: CountDeltas,
  writes: Promise<unknown>[],
  hook: WriteHook,
): void {
  const samples = tx.objectStore('samples');
  const meta = tx.objectStore('meta');
  const putIds = new Set(change.put.map((s) => s.id!));
  const { existingPut, existingDel, tableRecord } = reads;
  let step = 0;
  change.put.forEach((s, i) => {
    const old = existingPut[i];
    const row: SampleRecord = old
      ? { ...old, replay: 1, classId: s.label, round: s.task, embedding: s.x }
      : { id: s.id!, classId: s.label, round: s.task, embedding: s.x, source: 'import', created: Date.now(), heldOut: false, replay: 1 };
    if (s.logits) row.logits = s.logits;
    else delete row.logits;
    if (!old) addDelta(deltas, s.label, 1, false);
    hook(op, step++);
    writes.push(quiet(samples.put(row)));
  });
  const delRows = existingDel.filter((r): r is SampleRecord => !!r);
  for (let i = 0; i < delRows.length; i++) hook(op, step++);
  queueDeletes(tx, delRows, deltas, writes, op === 'commitRound');
  hook(op, step);
  writes.push(quiet(meta.put({ key: 'buffer', value: change.state })));
  if (change.logits) writes.push(quiet(meta.put({ key: 'logits', value: change.logits })));
  else if (tableRecord?.value) {
    writes.push(quiet(meta.put({ key: 'logits', value: logitsTableWithout(tableRecord.value as LogitsTable, putIds) })));
  }
  // The row of older code's pack goes whenever members change (cheap once it is gone).
  writes.push(quiet(meta.delete('pack')));
  if (change.pack) writes.push(quiet(meta.put({ key: 'memberPack', value: stamped(change.pack, reads.round) })));
  // A round moves the stored round on, which is what makes the pack stale (deleting a multi-megabyte row took a
  // third of a round's commit); a plain buffer write does not, so it deletes it.
  else if (op === 'bufferWrite') writes.push(quiet(meta.delete('memberPack')));
}
