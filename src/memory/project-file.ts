/** The project file: the one export format and the one import path (decoded and validated in full before any write). */
import { crc32 } from './crc32';
import { ImportError } from './errors';
import { checkManifest, type ManifestCheckOptions } from './project-checks';
import { SUPPORTED_SCHEMA_VERSIONS, THUMBNAIL_TYPES, manifestSchema, type Manifest } from './project-schema';
import type { ProjectRows, ProjectStore } from './store/project-store';
import { SCHEMA_VERSION, type CheckpointRecord, type ClassRecord, type SampleRecord, type ThumbnailRecord } from './store/schema';
import { parseJsonStrict } from './strict-json';
import type { TensorRecord } from './types';

export { MAX_CLASS_ID, MAX_SAMPLES, MAX_THUMBNAIL_BYTES, SUPPORTED_SCHEMA_VERSIONS, THUMBNAIL_TYPES } from './project-schema';
export type { ManifestCheckOptions } from './project-checks';

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
    meta: rows.meta.filter((m) => m.key !== 'schema' && m.key !== 'pack' && m.key !== 'memberPack' && m.key !== 'logits').map((m) => ({ key: m.key, value: m.value })),
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
export interface DecodeOptions extends ManifestCheckOptions {
  /** Largest accepted file in bytes (default 512 MiB). */
  maxBytes?: number;
}

/** The type a thumbnail's first bytes say it is (JPEG, PNG or WebP), or null. */
export function sniffImageType(bytes: Uint8Array): (typeof THUMBNAIL_TYPES)[number] | null {
  const at = (i: number, ...values: number[]) => values.every((v, k) => bytes[i + k] === v);
  if (bytes.length >= 3 && at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (bytes.length >= 8 && at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (bytes.length >= 12 && at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  return null;
}

/** The ImportError for the first schema issue, with the field's path (classes and thumbnails get their own codes). */
function schemaError(issues: readonly { path: PropertyKey[]; message: string }[]): ImportError {
  const issue = issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const code = issue.path[0] === 'classes' ? 'bad-class' : issue.path[0] === 'samples' && issue.path[2] === 'thumbnail' ? 'bad-thumbnail' : 'bad-manifest';
  return new ImportError(code, `${path || 'manifest'}: ${issue.message}`);
}

/** Reads the header and manifest text: size, magic, container version, manifest length and checksum. */
function readManifest(bytes: Uint8Array, maxBytes: number): { manifest: unknown; dataStart: number } {
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
  let parsed: ReturnType<typeof parseJsonStrict>;
  try {
    parsed = parseJsonStrict(new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes));
  } catch (e) {
    throw new ImportError('bad-manifest', `manifest is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (parsed.duplicate) throw new ImportError('duplicate-key', `manifest: key "${parsed.duplicate.key}" appears twice in ${parsed.duplicate.path}`);
  return { manifest: parsed.value, dataStart };
}

/** Checks the section table (in order, contiguous, the file ends with the last section) and each section's checksum. */
function readSections(bytes: Uint8Array, manifest: Record<string, unknown>, dataStart: number): Map<SectionName, Uint8Array> {
  const table = manifest.sections;
  if (!Array.isArray(table) || table.length !== SECTION_NAMES.length) bad('section table must list the 4 sections');
  let expected = 0;
  table.forEach((s: unknown, i) => {
    if (!isObj(s) || s.name !== SECTION_NAMES[i] || !isNat(s.offset) || !isNat(s.byteLength) || !isNat(s.crc32)) bad(`section ${i} entry is malformed`);
    if (s.offset !== expected) bad(`section ${s.name} starts at ${s.offset}, expected ${expected}`);
    expected += s.byteLength;
  });
  const end = dataStart + expected;
  if (end > bytes.byteLength) throw new ImportError('truncated', `file is ${bytes.byteLength} bytes, its sections need ${end}`);
  if (end < bytes.byteLength) throw new ImportError('trailing-bytes', `${bytes.byteLength - end} unexpected bytes after the last section`);
  const sections = new Map<SectionName, Uint8Array>();
  for (const s of table as SectionEntry[]) {
    const data = bytes.subarray(dataStart + s.offset, dataStart + s.offset + s.byteLength);
    if (crc32(data) !== s.crc32) throw new ImportError('section-checksum', `section ${s.name} checksum mismatch (corrupted file)`);
    sections.set(s.name, data);
  }
  return sections;
}

/**
 * Hands out a section's bytes in manifest order: every reference must start where the previous one ended and the
 * last must end with the section, so no byte is read twice and the decoded rows are never larger than the file.
 */
class SectionReader {
  private cursor = 0;
  constructor(
    private readonly name: SectionName,
    private readonly data: Uint8Array,
  ) {}
  /** A copy (own buffer) of `byteLength` bytes at `offset`, which must be the next unread byte. */
  take(offset: number, byteLength: number, what: string): Uint8Array {
    if (offset !== this.cursor) throw new ImportError('shape-mismatch', `${what}: starts at byte ${offset} of the ${this.name} section, expected ${this.cursor}`);
    if (offset + byteLength > this.data.byteLength) throw new ImportError('shape-mismatch', `${what}: reference beyond the ${this.name} section`);
    this.cursor += byteLength;
    return this.data.slice(offset, offset + byteLength);
  }
  /** Refuses bytes no reference used. */
  finish(): void {
    if (this.cursor !== this.data.byteLength) throw new ImportError('shape-mismatch', `${this.data.byteLength - this.cursor} bytes of the ${this.name} section are not referenced`);
  }
}

function finiteFloats(bytes: Uint8Array, what: string): Float32Array {
  const out = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new ImportError('bad-section', `${what}: value ${i} is not finite`);
  return out;
}

/**
 * Parses and fully validates a project file before anything is written: header, checksums, no duplicate JSON
 * key, every field against `manifestSchema`, the cross-field rules of `checkManifest`, references tiling their
 * sections, finite numbers, thumbnails by signature. Throws `ImportError` with a specific code and message;
 * returns the rows ready to store. Memory: the rows' typed arrays together are at most the file's size.
 */
export function decodeProject(input: Uint8Array | ArrayBuffer, options: DecodeOptions = {}): ProjectRows {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const { manifest: raw, dataStart } = readManifest(bytes, options.maxBytes ?? DEFAULT_MAX_IMPORT_BYTES);
  if (!isObj(raw) || raw.format !== 'retain-project') bad('manifest is not a retain-project manifest');
  if (raw.version !== 1) throw new ImportError('unsupported-version', `manifest version ${String(raw.version)}; this app reads version 1`);
  if (!SUPPORTED_SCHEMA_VERSIONS.includes(raw.schemaVersion as number))
    throw new ImportError('unsupported-version', `project schema ${String(raw.schemaVersion)}; this app reads ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`);
  const sections = readSections(bytes, raw, dataStart);
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw schemaError(parsed.error.issues);
  // The checked input itself, not zod's copy: same values, but the key order of opaque JSON (engine state,
  // settings) is kept, so an import exports byte-identically, and no second tree is held.
  const m = raw as unknown as Manifest;
  checkManifest(m, options);

  const embeddings = new SectionReader('embeddings', sections.get('embeddings')!);
  const logits = new SectionReader('logits', sections.get('logits')!);
  const pictures = new SectionReader('thumbnails', sections.get('thumbnails')!);
  const thumbnails: ThumbnailRecord[] = [];
  const samples: SampleRecord[] = m.samples.map((s) => {
    const [e, eLength] = s.embedding;
    const embedding = finiteFloats(embeddings.take(e * 4, eLength * 4, `sample ${s.id} embedding`), `sample ${s.id} embedding`);
    const row: SampleRecord = { id: s.id, classId: s.classId, round: s.round, embedding, source: s.source, created: s.created, heldOut: s.heldOut, replay: s.replay };
    if (s.logits) row.logits = finiteFloats(logits.take(s.logits[0] * 4, s.logits[1] * 4, `sample ${s.id} logits`), `sample ${s.id} logits`);
    if (s.thumbnail) {
      const t = s.thumbnail;
      const data = pictures.take(t.offset, t.byteLength, `sample ${s.id} thumbnail`);
      const actual = sniffImageType(data);
      if (actual !== t.type) throw new ImportError('bad-thumbnail', `sample ${s.id}: thumbnail declared ${t.type} but its bytes are ${actual ?? 'not a JPEG, PNG or WebP image'}`);
      thumbnails.push({ id: s.id, bytes: data.buffer as ArrayBuffer, type: t.type });
    }
    return row;
  });
  embeddings.finish();
  logits.finish();
  pictures.finish();

  const tensorData = new SectionReader('tensors', sections.get('tensors')!);
  const checkpoints: CheckpointRecord[] = m.checkpoints.map((c) => {
    const tensors: TensorRecord[] = c.engineState.tensors.map((t) => ({
      name: t.name,
      shape: [...t.shape],
      dtype: t.dtype,
      data: finiteFloats(tensorData.take(t.offset, t.length * 4, `tensor ${t.name}`), `tensor ${t.name}`),
    }));
    const engineState = { format: 'retain-engine' as const, version: 1 as const, json: c.engineState.json as Record<string, unknown>, tensors };
    return { round: c.round, created: c.created, classToOutput: c.classToOutput, strategy: c.strategy as Record<string, unknown> | null, metrics: c.metrics, engineState };
  });
  tensorData.finish();

  const classes: ClassRecord[] = m.classes.map((c) => ({ ...c, colour: c.colour.toLowerCase() }));
  const meta: ProjectRows['meta'] = m.meta.map((row) => ({ key: row.key, value: row.value }));
  meta.push({ key: 'schema', value: { version: SCHEMA_VERSION, appVersion: m.appVersion } });
  return { classes, samples, thumbnails, checkpoints, meta };
}

/** Exports the whole project (one consistent read) as one file's bytes. */
export async function exportProject(store: ProjectStore, options: EncodeOptions = {}): Promise<Uint8Array> {
  return encodeProject(await store.readAll(), options);
}

/** Options of `importProject`. */
export interface ImportOptions extends DecodeOptions {
  /** The caller's own checks of the decoded rows (the app: the model restores); throwing refuses before any write. */
  beforeWrite?: (rows: ProjectRows) => void;
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
export async function importProject(store: ProjectStore, file: Uint8Array | ArrayBuffer, options: ImportOptions = {}): Promise<ImportSummary> {
  const rows = decodeProject(file, options);
  options.beforeWrite?.(rows);
  await store.replaceAll(rows);
  const round = rows.meta.find((m) => m.key === 'round')?.value;
  return { classes: rows.classes.length, samples: rows.samples.length, checkpoints: rows.checkpoints.length, round: (round as number | undefined) ?? -1 };
}
