import { crc32 } from './crc32';
import { ImportError } from './errors';
import type { ProjectRows, ProjectStore } from './project-store';
import { SCHEMA_VERSION, type CheckpointRecord, type ClassRecord, type SampleRecord, type ThumbnailRecord } from './schema';
import type { TensorRecord } from './types';

/**
 * The project file: ONE versioned, checksummed container.
 *
 *   offset 0   8 bytes  magic "RETAINPF"
 *          8   u32 LE   container version (1)
 *         12   u32 LE   manifest length M
 *         16   u32 LE   CRC-32 of the manifest
 *         20   M bytes  manifest (UTF-8 JSON): rows' metadata, section table, references into sections
 *     20 + M   sections back to back, in the manifest's order, each with its CRC-32 in the section table:
 *              tensors (checkpoint tensors), embeddings (float32), logits (float32), thumbnails (encoded bytes)
 *
 * Numbers in sections are little-endian (every browser Retain runs on is little-endian).
 */
export const PROJECT_MAGIC = 'RETAINPF';
/** Version of the container layout. */
export const PROJECT_FILE_VERSION = 1;
/** Default largest file `importProject` accepts (bytes). */
export const DEFAULT_MAX_IMPORT_BYTES = 512 * 1024 * 1024;
const HEADER_BYTES = 20;
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const SECTION_NAMES = ['tensors', 'embeddings', 'logits', 'thumbnails'] as const;
type SectionName = (typeof SECTION_NAMES)[number];

interface SectionEntry {
  name: SectionName;
  offset: number;
  byteLength: number;
  crc32: number;
}
/** [start, length] in float32 elements of the embeddings or logits section. */
type FloatRef = [number, number];
interface ManifestSample extends Omit<SampleRecord, 'embedding' | 'logits'> {
  embedding: FloatRef;
  logits: FloatRef | null;
  thumbnail: { offset: number; byteLength: number; type: string } | null;
}
interface ManifestTensor extends Omit<TensorRecord, 'data'> {
  /** Byte offset in the tensors section. */
  offset: number;
  /** Number of elements. */
  length: number;
}
interface ManifestCheckpoint extends Omit<CheckpointRecord, 'engineState'> {
  engineState: { format: 'retain-engine'; version: 1; json: Record<string, unknown>; tensors: ManifestTensor[] };
}
/** The JSON part of a project file. */
export interface ProjectManifest {
  format: 'retain-project';
  version: 1;
  schemaVersion: number;
  appVersion: string;
  exportedAt: number;
  sections: SectionEntry[];
  classes: ClassRecord[];
  samples: ManifestSample[];
  checkpoints: ManifestCheckpoint[];
  meta: { key: string; value: unknown }[];
}

/** Options of `encodeProject`. */
export interface EncodeOptions {
  appVersion?: string;
  /** Export time written into the manifest (fixed in tests so two exports of one project are byte-identical). */
  exportedAt?: number;
}

class ByteSink {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): number {
    const at = this.length;
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
    return at;
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  }
}

function viewBytes(a: ArrayBufferView | ArrayBuffer): Uint8Array {
  return a instanceof ArrayBuffer ? new Uint8Array(a) : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Serialises every row of a project into one file. */
export function encodeProject(rows: ProjectRows, options: EncodeOptions = {}): Uint8Array {
  const sinks: Record<SectionName, ByteSink> = { tensors: new ByteSink(), embeddings: new ByteSink(), logits: new ByteSink(), thumbnails: new ByteSink() };
  const thumbs = new Map(rows.thumbnails.map((t) => [t.id, t]));
  // Every object is rebuilt with a fixed key order so two exports of the same rows are byte-identical.
  const classes: ClassRecord[] = rows.classes.map((c) => ({
    id: c.id,
    name: c.name,
    created: c.created,
    colour: c.colour,
    sampleCount: c.sampleCount,
    heldOutCount: c.heldOutCount,
    round: c.round,
  }));
  const samples: ManifestSample[] = rows.samples.map((s) => {
    const e = sinks.embeddings.push(viewBytes(s.embedding)) / 4;
    const l = s.logits ? sinks.logits.push(viewBytes(s.logits)) / 4 : -1;
    const t = thumbs.get(s.id);
    return {
      id: s.id,
      classId: s.classId,
      round: s.round,
      source: s.source,
      created: s.created,
      heldOut: s.heldOut,
      replay: s.replay,
      embedding: [e, s.embedding.length],
      logits: s.logits ? [l, s.logits.length] : null,
      thumbnail: t ? { offset: sinks.thumbnails.push(new Uint8Array(t.bytes.slice(0))), byteLength: t.bytes.byteLength, type: t.type } : null,
    };
  });
  const checkpoints: ManifestCheckpoint[] = rows.checkpoints.map((c) => ({
    round: c.round,
    created: c.created,
    classToOutput: c.classToOutput,
    strategy: c.strategy,
    metrics: c.metrics,
    engineState: {
      format: c.engineState.format,
      version: c.engineState.version,
      json: c.engineState.json,
      tensors: c.engineState.tensors.map((t) => ({
        name: t.name,
        shape: [...t.shape],
        dtype: t.dtype,
        offset: sinks.tensors.push(viewBytes(t.data)),
        length: t.data.length,
      })),
    },
  }));
  const sectionBytes = SECTION_NAMES.map((n) => sinks[n].concat());
  // The manifest's length fixes the section offsets, which are in the manifest: offsets are written relative to
  // the end of the manifest and made absolute by adding HEADER_BYTES + M when reading.
  let rel = 0;
  const sections: SectionEntry[] = SECTION_NAMES.map((name, i) => {
    const entry = { name, offset: rel, byteLength: sectionBytes[i].byteLength, crc32: crc32(sectionBytes[i]) };
    rel += sectionBytes[i].byteLength;
    return entry;
  });
  const manifest: ProjectManifest = {
    format: 'retain-project',
    version: 1,
    schemaVersion: SCHEMA_VERSION,
    appVersion: options.appVersion ?? '0.1.0',
    exportedAt: options.exportedAt ?? Date.now(),
    sections,
    classes,
    samples,
    checkpoints,
    // The schema row is the importer's own; the pack is a cache rebuilt from the samples; readAll folds the logits table into them.
    meta: rows.meta.filter((m) => m.key !== 'schema' && m.key !== 'pack' && m.key !== 'logits').map((m) => ({ key: m.key, value: m.value })),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const out = new Uint8Array(HEADER_BYTES + manifestBytes.byteLength + rel);
  out.set(new TextEncoder().encode(PROJECT_MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, PROJECT_FILE_VERSION, true);
  dv.setUint32(12, manifestBytes.byteLength, true);
  dv.setUint32(16, crc32(manifestBytes), true);
  out.set(manifestBytes, HEADER_BYTES);
  let o = HEADER_BYTES + manifestBytes.byteLength;
  for (const b of sectionBytes) {
    out.set(b, o);
    o += b.byteLength;
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNat = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
function bad(message: string): never {
  throw new ImportError('bad-manifest', message);
}

/** Options of `decodeProject` / `importProject`. */
export interface DecodeOptions {
  /** Largest accepted file in bytes (default 512 MiB). */
  maxBytes?: number;
}

/**
 * Parses and fully validates a project file (magic, version, sizes, checksums, manifest structure, references,
 * shapes, finiteness). Throws `ImportError` with a specific code; returns the rows ready to store.
 */
export function decodeProject(input: Uint8Array | ArrayBuffer, options: DecodeOptions = {}): ProjectRows {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMPORT_BYTES;
  if (bytes.byteLength > maxBytes) throw new ImportError('too-large', `file is ${bytes.byteLength} bytes, the limit is ${maxBytes}`);
  const magic = new TextEncoder().encode(PROJECT_MAGIC);
  const head = bytes.subarray(0, Math.min(magic.length, bytes.byteLength));
  if (head.some((b, i) => b !== magic[i])) throw new ImportError('bad-magic', 'not a Retain project file (bad magic bytes)');
  if (bytes.byteLength < HEADER_BYTES) throw new ImportError('truncated', `file ends inside its ${HEADER_BYTES}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== PROJECT_FILE_VERSION) throw new ImportError('unsupported-version', `project file version ${version}; this app reads version ${PROJECT_FILE_VERSION}`);
  const manifestLength = dv.getUint32(12, true);
  if (manifestLength > MAX_MANIFEST_BYTES) throw new ImportError('too-large', `manifest of ${manifestLength} bytes exceeds ${MAX_MANIFEST_BYTES}`);
  const dataStart = HEADER_BYTES + manifestLength;
  if (dataStart > bytes.byteLength) throw new ImportError('truncated', `file ends inside its manifest (${bytes.byteLength} < ${dataStart} bytes)`);
  const manifestBytes = bytes.subarray(HEADER_BYTES, dataStart);
  if (crc32(manifestBytes) !== dv.getUint32(16, true)) throw new ImportError('manifest-checksum', 'manifest checksum mismatch (corrupted file)');
  let manifest: ProjectManifest;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes));
  } catch (e) {
    throw new ImportError('bad-manifest', `manifest is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObj(manifest) || manifest.format !== 'retain-project') bad('manifest is not a retain-project manifest');
  if (manifest.version !== 1) throw new ImportError('unsupported-version', `manifest version ${String(manifest.version)}`);
  if (!isNat(manifest.schemaVersion) || manifest.schemaVersion > SCHEMA_VERSION)
    throw new ImportError('unsupported-version', `project schema ${String(manifest.schemaVersion)} is newer than this app's ${SCHEMA_VERSION}`);
  if (!Array.isArray(manifest.sections) || manifest.sections.length !== SECTION_NAMES.length) bad('section table must list the 4 sections');

  // Sections: in order, contiguous, inside the file, the file ends with the last one.
  const sections = new Map<SectionName, Uint8Array>();
  let expected = 0;
  manifest.sections.forEach((s, i) => {
    if (!isObj(s) || s.name !== SECTION_NAMES[i] || !isNat(s.offset) || !isNat(s.byteLength) || !isNat(s.crc32)) bad(`section ${i} entry is malformed`);
    if (s.offset !== expected) bad(`section ${s.name} starts at ${s.offset}, expected ${expected}`);
    expected += s.byteLength;
  });
  const end = dataStart + expected;
  if (end > bytes.byteLength) throw new ImportError('truncated', `file is ${bytes.byteLength} bytes, its sections need ${end}`);
  if (end < bytes.byteLength) throw new ImportError('trailing-bytes', `${bytes.byteLength - end} unexpected bytes after the last section`);
  for (const s of manifest.sections) {
    const data = bytes.subarray(dataStart + s.offset, dataStart + s.offset + s.byteLength);
    if (crc32(data) !== s.crc32) throw new ImportError('section-checksum', `section ${s.name} checksum mismatch (corrupted file)`);
    sections.set(s.name, data);
  }

  const floats = (section: 'embeddings' | 'logits', ref: unknown, what: string): Float32Array => {
    if (!Array.isArray(ref) || ref.length !== 2 || !isNat(ref[0]) || !isNat(ref[1])) bad(`${what}: bad reference`);
    const data = sections.get(section)!;
    const [start, length] = ref as FloatRef;
    if ((start + length) * 4 > data.byteLength) throw new ImportError('shape-mismatch', `${what}: reference beyond the ${section} section`);
    const out = new Float32Array(data.slice(start * 4, (start + length) * 4).buffer);
    for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new ImportError('bad-section', `${what}: value ${i} is not finite`);
    return out;
  };

  if (!Array.isArray(manifest.classes) || !Array.isArray(manifest.samples) || !Array.isArray(manifest.checkpoints) || !Array.isArray(manifest.meta))
    bad('manifest lacks classes, samples, checkpoints or meta');
  const classes: ClassRecord[] = manifest.classes.map((c, i) => {
    if (!isObj(c) || !isNat(c.id) || typeof c.name !== 'string' || typeof c.colour !== 'string' || typeof c.created !== 'number' || !isNat(c.sampleCount) || !isNat(c.heldOutCount) || !Number.isInteger(c.round))
      bad(`class ${i} is malformed`);
    return { id: c.id, name: c.name, created: c.created, colour: c.colour, sampleCount: c.sampleCount, heldOutCount: c.heldOutCount, round: c.round };
  });
  const classIds = new Set(classes.map((c) => c.id));
  if (classIds.size !== classes.length) bad('duplicate class ids');

  const sampleIds = new Set<string>();
  const thumbnails: ThumbnailRecord[] = [];
  const counts = new Map<number, { total: number; heldOut: number }>();
  let dim: number | null = null;
  const samples: SampleRecord[] = manifest.samples.map((s, i) => {
    if (!isObj(s) || typeof s.id !== 'string' || s.id.length === 0 || sampleIds.has(s.id)) bad(`sample ${i}: bad or duplicate id`);
    sampleIds.add(s.id);
    if (!classIds.has(s.classId)) bad(`sample ${s.id}: unknown class ${String(s.classId)}`);
    if (!isNat(s.round) || typeof s.created !== 'number' || typeof s.heldOut !== 'boolean' || (s.replay !== 0 && s.replay !== 1) || !['camera', 'file', 'import'].includes(s.source))
      bad(`sample ${s.id}: malformed fields`);
    const embedding = floats('embeddings', s.embedding, `sample ${s.id} embedding`);
    if (embedding.length === 0) throw new ImportError('shape-mismatch', `sample ${s.id}: empty embedding`);
    if (dim === null) dim = embedding.length;
    else if (embedding.length !== dim) throw new ImportError('shape-mismatch', `sample ${s.id}: embedding width ${embedding.length}, others ${dim}`);
    const row: SampleRecord = { id: s.id, classId: s.classId, round: s.round, embedding, source: s.source, created: s.created, heldOut: s.heldOut, replay: s.replay };
    if (s.logits !== null) row.logits = floats('logits', s.logits, `sample ${s.id} logits`);
    if (s.thumbnail !== null) {
      const t = s.thumbnail;
      if (!isObj(t) || !isNat(t.offset) || !isNat(t.byteLength) || typeof t.type !== 'string') bad(`sample ${s.id}: bad thumbnail reference`);
      const data = sections.get('thumbnails')!;
      if (t.offset + t.byteLength > data.byteLength) throw new ImportError('shape-mismatch', `sample ${s.id}: thumbnail beyond its section`);
      thumbnails.push({ id: s.id, bytes: data.slice(t.offset, t.offset + t.byteLength).buffer, type: t.type });
    }
    const d = counts.get(s.classId) ?? { total: 0, heldOut: 0 };
    d.total++;
    if (s.heldOut) d.heldOut++;
    counts.set(s.classId, d);
    return row;
  });
  for (const c of classes) {
    const d = counts.get(c.id) ?? { total: 0, heldOut: 0 };
    if (d.total !== c.sampleCount || d.heldOut !== c.heldOutCount) bad(`class ${c.id}: sample counts disagree with the samples`);
  }

  const tensorData = sections.get('tensors')!;
  const checkpoints: CheckpointRecord[] = manifest.checkpoints.map((c, i) => {
    if (!isObj(c) || !isNat(c.round) || typeof c.created !== 'number' || !isObj(c.classToOutput) || !isObj(c.engineState)) bad(`checkpoint ${i} is malformed`);
    const e = c.engineState;
    if (e.format !== 'retain-engine' || e.version !== 1 || !isObj(e.json) || !Array.isArray(e.tensors)) bad(`checkpoint ${c.round}: bad engine state`);
    const names = new Set<string>();
    const tensors: TensorRecord[] = e.tensors.map((t) => {
      if (!isObj(t) || typeof t.name !== 'string' || names.has(t.name) || !Array.isArray(t.shape) || !t.shape.every(isNat) || !isNat(t.offset) || !isNat(t.length) || (t.dtype !== 'float32' && t.dtype !== 'int32'))
        bad(`checkpoint ${c.round}: malformed tensor`);
      names.add(t.name);
      const size = t.shape.reduce((a, b) => a * b, 1);
      if (size !== t.length) throw new ImportError('shape-mismatch', `tensor ${t.name}: shape [${t.shape}] needs ${size} values, has ${t.length}`);
      if (t.offset % 4 !== 0 || t.offset + t.length * 4 > tensorData.byteLength) throw new ImportError('shape-mismatch', `tensor ${t.name}: beyond the tensors section`);
      const buf = tensorData.slice(t.offset, t.offset + t.length * 4).buffer;
      const data = t.dtype === 'float32' ? new Float32Array(buf) : new Int32Array(buf);
      if (data instanceof Float32Array)
        for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k])) throw new ImportError('bad-section', `tensor ${t.name}: value ${k} is not finite`);
      return { name: t.name, shape: [...t.shape], dtype: t.dtype, data };
    });
    return { round: c.round, created: c.created, classToOutput: c.classToOutput as Record<string, number>, strategy: (c.strategy ?? null) as Record<string, unknown> | null, metrics: c.metrics ?? null, engineState: { format: 'retain-engine', version: 1, json: e.json, tensors } };
  });

  const meta = manifest.meta.map((m) => {
    if (!isObj(m) || typeof m.key !== 'string' || m.key === 'schema' || m.key === 'pack' || m.key === 'logits') bad('malformed meta entry');
    return { key: m.key, value: m.value };
  });
  const round = meta.find((m) => m.key === 'round')?.value;
  if (round !== undefined && !Number.isInteger(round)) bad('meta round is not an integer');
  const lastCheckpoint = checkpoints.reduce((a, c) => Math.max(a, c.round), -1);
  if ((round ?? -1) !== lastCheckpoint) bad(`meta round ${String(round)} disagrees with the latest checkpoint ${lastCheckpoint}`);
  const nextClassId = meta.find((m) => m.key === 'nextClassId')?.value;
  if (classes.length > 0 && (!isNat(nextClassId) || nextClassId <= Math.max(...classes.map((c) => c.id)))) bad('meta nextClassId is missing or too small');
  meta.push({ key: 'schema', value: { version: SCHEMA_VERSION, appVersion: manifest.appVersion } });
  return { classes, samples, thumbnails, checkpoints, meta };
}

/** Exports the whole project (one consistent read) as one file's bytes. */
export async function exportProject(store: ProjectStore, options: EncodeOptions = {}): Promise<Uint8Array> {
  return encodeProject(await store.readAll(), options);
}

/** What an import brought in. */
export interface ImportSummary {
  classes: number;
  samples: number;
  checkpoints: number;
  round: number;
}

/**
 * Replaces the current project with a file: validates everything first (any problem throws `ImportError` and
 * leaves the project untouched), then swaps the contents in one transaction.
 */
export async function importProject(store: ProjectStore, file: Uint8Array | ArrayBuffer, options: DecodeOptions = {}): Promise<ImportSummary> {
  const rows = decodeProject(file, options);
  await store.replaceAll(rows);
  const round = rows.meta.find((m) => m.key === 'round')?.value;
  return { classes: rows.classes.length, samples: rows.samples.length, checkpoints: rows.checkpoints.length, round: (round as number | undefined) ?? -1 };
}
