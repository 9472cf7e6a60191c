/**
 * Cross-field rules of a project file's manifest, run after the schema: labels name existing classes, the
 * checkpoints' model, metrics and strategy agree with the classes, the replay memory's state with its policy.
 */
import { ClassRuleError, checkUniqueClassNames } from './class-rules';
import { ImportError, type ImportErrorCode } from './errors';
import type { Manifest, ManifestBufferState, ManifestCheckpointRow, ManifestStrategy } from './project-schema';

/** What the checks need besides the manifest. */
export interface ManifestCheckOptions {
  /** Width every embedding must have (the app passes its backbone's, 1280); default: the file's own. */
  embeddingDim?: number;
  /** The app's own check of a round's settings (its ranges); throws to refuse. */
  validateStrategy?: (strategy: ManifestStrategy) => void;
}

function fail(code: ImportErrorCode, message: string): never {
  throw new ImportError(code, message);
}

/** Meta rows by key, refusing a key given twice (checked first, stored last: the two would disagree). */
function metaByKey(m: Manifest): Map<string, unknown> {
  const meta = new Map<string, unknown>();
  for (const row of m.meta) {
    if (meta.has(row.key)) fail('duplicate-key', `meta "${row.key}" is given twice`);
    meta.set(row.key, row.value);
  }
  return meta;
}

/** Checks a schema-valid manifest's cross-field rules; returns the embedding width (null: no samples, no model). */
export function checkManifest(m: Manifest, options: ManifestCheckOptions = {}): number | null {
  // Classes: unique ids and names (the UI's rule), count already capped by the schema.
  const classIds = new Set<number>();
  for (const c of m.classes) {
    if (classIds.has(c.id)) fail('bad-class', `class id ${c.id} is used twice`);
    classIds.add(c.id);
  }
  try {
    checkUniqueClassNames(m.classes);
  } catch (e) {
    if (e instanceof ClassRuleError) fail('bad-class', e.message);
    throw e;
  }

  const meta = metaByKey(m);
  const rounds = new Set<number>();
  for (const c of m.checkpoints) {
    if (rounds.has(c.round)) fail('bad-manifest', `two checkpoints of round ${c.round}`);
    rounds.add(c.round);
  }
  const lastRound = m.checkpoints.reduce((a, c) => Math.max(a, c.round), -1);
  const latest = m.checkpoints.find((c) => c.round === lastRound) ?? null;
  const round = meta.get('round') as number | undefined;
  if ((round ?? -1) !== lastRound) fail('bad-manifest', `meta round ${String(round)} disagrees with the latest checkpoint ${lastRound}`);
  const nextClassId = meta.get('nextClassId') as number | undefined;
  const maxClassId = m.classes.reduce((a, c) => Math.max(a, c.id), -1);
  if ((classIds.size > 0 || latest) && (nextClassId === undefined || nextClassId <= maxClassId))
    fail('bad-manifest', `meta nextClassId ${String(nextClassId)} is missing or not above the largest class id ${maxClassId}`);
  const idLimit = nextClassId ?? 0;
  const headWidth = latest?.engineState.json.numOutputs ?? 0;
  if (headWidth > idLimit) fail('inconsistent', `the model has ${headWidth} outputs but class ids stop below ${idLimit}`);

  for (const c of m.classes) {
    if (c.heldOutCount > c.sampleCount) fail('bad-class', `class ${c.id}: more held-out samples than samples`);
    if (c.round > lastRound) fail('inconsistent', `class ${c.id} was trained in round ${c.round}, after the last checkpoint ${lastRound}`);
    if (c.round >= 0 && c.id >= headWidth) fail('inconsistent', `class ${c.id} was trained but the model has only ${headWidth} outputs`);
  }

  // Samples: unique ids, existing classes, counts agreeing with the classes, flags agreeing with the rounds.
  const sampleIds = new Set<string>();
  const counts = new Map<number, { total: number; heldOut: number }>();
  let dim: number | null = options.embeddingDim ?? null;
  for (const s of m.samples) {
    if (sampleIds.has(s.id)) fail('bad-manifest', `sample id ${s.id} is used twice`);
    sampleIds.add(s.id);
    if (!classIds.has(s.classId)) fail('bad-manifest', `sample ${s.id}: unknown class ${s.classId}`);
    if (dim === null) dim = s.embedding[1];
    else if (s.embedding[1] !== dim) fail('shape-mismatch', `sample ${s.id}: embedding width ${s.embedding[1]}, expected ${dim}`);
    if (s.heldOut && s.replay === 1) fail('inconsistent', `sample ${s.id} is held out and in the replay memory`);
    if (s.replay === 1 && s.round > lastRound) fail('inconsistent', `sample ${s.id} is in the replay memory but its round ${s.round} was never committed`);
    if (s.round > lastRound + 1) fail('inconsistent', `sample ${s.id} belongs to round ${s.round}, beyond the next one (${lastRound + 1})`);
    if (s.logits && s.replay !== 1) fail('inconsistent', `sample ${s.id} has stored logits but is not in the replay memory`);
    const d = counts.get(s.classId) ?? { total: 0, heldOut: 0 };
    d.total++;
    if (s.heldOut) d.heldOut++;
    counts.set(s.classId, d);
  }
  for (const c of m.classes) {
    const d = counts.get(c.id) ?? { total: 0, heldOut: 0 };
    if (d.total !== c.sampleCount || d.heldOut !== c.heldOutCount)
      fail('bad-manifest', `class ${c.id}: counts ${c.sampleCount}/${c.heldOutCount} disagree with its samples ${d.total}/${d.heldOut}`);
  }

  for (const cp of m.checkpoints) dim = checkCheckpoint(cp, dim, idLimit, options);
  const buffer = meta.get('buffer') as ManifestBufferState | undefined;
  if (buffer) checkBuffer(buffer, m, latest, idLimit, dim);
  else if (m.samples.some((s) => s.replay === 1)) fail('inconsistent', 'samples are in the replay memory but its state (meta buffer) is missing');
  return dim;
}

function checkCheckpoint(cp: ManifestCheckpointRow, dim: number | null, idLimit: number, options: ManifestCheckOptions): number {
  const at = `checkpoint ${cp.round}`;
  const json = cp.engineState.json;
  const model = json.config.model;
  const width = json.numOutputs;
  if (dim !== null && model.inputDim !== dim) fail('shape-mismatch', `${at}: the model reads features of width ${model.inputDim}, the samples have ${dim}`);
  // Tensors: unique names, the model's layers chained from the input to the head's outputs.
  const byName = new Map(cp.engineState.tensors.map((t) => [t.name, t]));
  if (byName.size !== cp.engineState.tensors.length) fail('bad-manifest', `${at}: two tensors share a name`);
  const widths = [model.inputDim, ...model.hidden, width];
  for (let l = 0; l + 1 < widths.length; l++) {
    const k = byName.get(`model/L${l}/kernel`);
    const b = byName.get(`model/L${l}/bias`);
    if (!k || !b) fail('shape-mismatch', `${at}: model layer ${l} weights are missing`);
    if (k.shape.join() !== `${widths[l]},${widths[l + 1]}` || b.shape.join() !== `${widths[l + 1]}`)
      fail('shape-mismatch', `${at}: model layer ${l} has shapes [${k.shape}] / [${b.shape}], expected [${widths[l]},${widths[l + 1]}] / [${widths[l + 1]}]`);
  }
  if (byName.has(`model/L${widths.length - 1}/kernel`)) fail('shape-mismatch', `${at}: more model layers than its configuration has`);
  for (const t of cp.engineState.tensors) {
    const size = t.shape.reduce((a, v) => a * v, 1);
    if (size !== t.length) fail('shape-mismatch', `tensor ${t.name}: shape [${t.shape}] needs ${size} values, has ${t.length}`);
  }
  checkPluginTensors(cp, byName, widths);
  const outputs = new Set<number>();
  for (const [key, column] of Object.entries(cp.classToOutput)) {
    if (Number(key) >= idLimit) fail('inconsistent', `${at}: class ${key} in classToOutput was never created (ids stop below ${idLimit})`);
    if (column >= width) fail('inconsistent', `${at}: class ${key} maps to output ${column}, the model has ${width}`);
    if (outputs.has(column)) fail('inconsistent', `${at}: two classes map to output ${column}`);
    outputs.add(column);
  }
  for (const [, labels] of json.taskClasses)
    for (const l of labels) if (l >= width) fail('inconsistent', `${at}: a task names class ${l}, the model has ${width} outputs`);
  if (cp.strategy) {
    const { settings } = cp.strategy;
    const hidden = settings.hidden > 0 ? [settings.hidden] : [];
    if (hidden.join() !== model.hidden.join()) fail('inconsistent', `${at}: settings say hidden ${settings.hidden}, the model has [${model.hidden}]`);
    try {
      options.validateStrategy?.(cp.strategy);
    } catch (e) {
      fail('inconsistent', `${at}: settings refused: ${(e as Error).message}`);
    }
  }
  if (cp.metrics) {
    let previous = -1;
    cp.metrics.rounds.forEach((r, i) => {
      if (r.round <= previous || r.round > cp.round) fail('inconsistent', `${at}: metrics round ${r.round} out of order (after ${previous}, at most ${cp.round})`);
      previous = r.round;
      if (r.accuracyRow.length !== i + 1) fail('inconsistent', `${at}: metrics round ${r.round} has ${r.accuracyRow.length} accuracies, expected ${i + 1}`);
      for (const l of [...r.newLabels, ...Object.keys(r.trainedPerLabel).map(Number)])
        if (l >= width) fail('inconsistent', `${at}: metrics round ${r.round} names class ${l}, the model has ${width} outputs`);
    });
    if (cp.metrics.rounds.length > 0 && previous !== cp.round) fail('inconsistent', `${at}: its metrics end at round ${previous}`);
  }
  return model.inputDim;
}

/**
 * Strategy state sized for the model: LwF's teacher chained like the model up to its own (not larger) head; EWC's
 * Fisher and anchors in pairs, each shaped like one of the model's parameters (a Fisher sized for another head
 * breaks the next task).
 */
function checkPluginTensors(cp: ManifestCheckpointRow, byName: Map<string, ManifestCheckpointRow['engineState']['tensors'][number]>, widths: number[]): void {
  const at = `checkpoint ${cp.round}`;
  const lwf = cp.engineState.json.plugins.lwf as { hasTeacher?: unknown; outputs?: unknown } | undefined;
  const teacherTensors = [...byName.keys()].filter((n) => n.startsWith('lwf/teacher/'));
  if (lwf?.hasTeacher === true) {
    const outputs = lwf.outputs;
    const head = widths[widths.length - 1];
    if (!Number.isInteger(outputs) || (outputs as number) < 1 || (outputs as number) > head)
      fail('inconsistent', `${at}: the LwF teacher has ${String(outputs)} outputs, the model ${head}`);
    const teacher = [...widths.slice(0, -1), outputs as number];
    for (let l = 0; l + 1 < teacher.length; l++) {
      const k = byName.get(`lwf/teacher/L${l}/kernel`);
      const b = byName.get(`lwf/teacher/L${l}/bias`);
      if (!k || !b || k.shape.join() !== `${teacher[l]},${teacher[l + 1]}` || b.shape.join() !== `${teacher[l + 1]}`)
        fail('shape-mismatch', `${at}: LwF teacher layer ${l} is missing or not shaped [${teacher[l]},${teacher[l + 1]}]`);
    }
    if (teacherTensors.length !== 2 * (teacher.length - 1)) fail('shape-mismatch', `${at}: the LwF teacher has ${teacherTensors.length} tensors, expected ${2 * (teacher.length - 1)}`);
  } else if (teacherTensors.length > 0) fail('inconsistent', `${at}: LwF teacher weights without a teacher`);

  const paramShapes = new Set<string>();
  for (let l = 0; l + 1 < widths.length; l++) paramShapes.add(`${widths[l]},${widths[l + 1]}`).add(`${widths[l + 1]}`);
  const fisher = [...byName.values()].filter((t) => t.name.startsWith('ewc/fisher/'));
  const anchors = [...byName.values()].filter((t) => t.name.startsWith('ewc/anchor/'));
  if (fisher.length !== anchors.length) fail('inconsistent', `${at}: ${fisher.length} EWC Fisher tensors but ${anchors.length} anchors`);
  for (const f of fisher) {
    const anchor = byName.get(f.name.replace('ewc/fisher/', 'ewc/anchor/'));
    if (!anchor || anchor.shape.join() !== f.shape.join()) fail('shape-mismatch', `${at}: ${f.name} has no anchor of its shape [${f.shape}]`);
    if (!paramShapes.has(f.shape.join())) fail('shape-mismatch', `${at}: ${f.name} is shaped [${f.shape}], like none of the model's parameters`);
  }
}

function checkBuffer(buffer: ManifestBufferState, m: Manifest, latest: ManifestCheckpointRow | null, idLimit: number, dim: number | null): void {
  const policy = latest?.strategy?.settings.bufferPolicy;
  if (policy && policy !== buffer.policy) fail('inconsistent', `the replay memory uses ${buffer.policy}, the model's settings say ${policy}`);
  const state = buffer.policyState;
  const kind = 'seen' in state ? 'reservoir' : 'seenPerClass' in state ? 'class-balanced' : 'herding';
  if (kind !== buffer.policy) fail('inconsistent', `the replay memory's policy state is a ${kind} state, its policy is ${buffer.policy}`);
  const seen = new Set<number>();
  for (const c of buffer.classesSeen) {
    if (seen.has(c) || c >= idLimit) fail('inconsistent', `replay memory: class ${c} seen twice or never created`);
    seen.add(c);
  }
  const members = m.samples.filter((s) => s.replay === 1);
  for (const s of members) if (!seen.has(s.classId)) fail('inconsistent', `replay member ${s.id} has class ${s.classId}, which the memory never saw`);
  const perClass = (pairs: [number, number][], what: string) => {
    const keys = new Set<number>();
    for (const [c] of pairs) {
      if (keys.has(c) || !seen.has(c)) fail('inconsistent', `replay memory ${what}: class ${c} repeated or never seen`);
      keys.add(c);
    }
  };
  if ('seen' in state && state.seen < members.length) fail('inconsistent', `reservoir state saw ${state.seen} samples but keeps ${members.length}`);
  if ('seenPerClass' in state && state.seenPerClass) perClass(state.seenPerClass, 'seenPerClass');
  if ('order' in state) {
    perClass(state.order.map(([c, ids]) => [c, ids.length]), 'order');
    perClass(state.counts, 'counts');
    perClass(
      state.sums.map(([c, s]) => [c, s.length]),
      'sums',
    );
    for (const [c, s] of state.sums) if (dim !== null && s.length !== dim) fail('shape-mismatch', `herding sums of class ${c} have width ${s.length}, expected ${dim}`);
  }
}
