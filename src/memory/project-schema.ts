/**
 * The one schema of a project file's manifest (zod): every section and field, with the limits an import enforces.
 * Cross-field rules (labels naming classes, shapes agreeing with the model) are in project-checks.ts.
 */
import { z } from 'zod';
import { CLASS_COLOUR_PATTERN, MAX_CLASSES, MAX_CLASS_ID, checkClassName } from './class-rules';
import { SCHEMA_VERSION } from './store/schema';

/** IndexedDB schema versions a project file may declare (exactly these; older files are migrated by the store, not here). */
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [SCHEMA_VERSION];
export { MAX_CLASS_ID };
/** Most samples a project file may hold. */
export const MAX_SAMPLES = 200_000;
/** Largest thumbnail accepted (Retain writes ~96 px JPEGs of a few KB). */
export const MAX_THUMBNAIL_BYTES = 256 * 1024;
/** Thumbnail types accepted, each checked against the bytes' signature. */
export const THUMBNAIL_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
/** Longest sample id (the store writes UUIDs). */
export const MAX_SAMPLE_ID_LENGTH = 64;
/** Highest round number (a round per learning step; far above any real project). */
export const MAX_ROUND = 1_000_000;
/** Widest feature vector or hidden layer accepted. */
export const MAX_WIDTH = 8192;
/** Most tensors in one checkpoint (model layers, optimiser slots, EWC and LwF state). */
export const MAX_TENSORS = 256;
/** Longest free text (a round's name joins class names). */
const MAX_TEXT = 4096;

const nat = z.int().min(0);
const uint32 = z.int().min(0).max(0xffffffff);
/** Milliseconds since the epoch (0 for rows migrated from v1). */
const time = z.number().min(0).max(1e14);
const classId = z.int().min(0).max(MAX_CLASS_ID - 1);
const roundIndex = z.int().min(0).max(MAX_ROUND);
const digitsKey = z.string().regex(/^(0|[1-9]\d{0,8})$/, 'must be a class id written in decimal');
/** [start, length] in float32 elements of the embeddings or logits section. */
const floatRef = z.tuple([nat, z.int().min(1).max(MAX_WIDTH)]);
const finite = z.number();

const sectionEntry = (name: string) => z.strictObject({ name: z.literal(name), offset: nat, byteLength: nat, crc32: uint32 });

/** A class row: its name by the UI's rule (trimmed, 1-60 characters), its colour `#rrggbb`. */
const classRow = z.strictObject({
  id: classId,
  name: z
    .string()
    .superRefine((name, ctx) => {
      try {
        if (checkClassName(name) !== name) ctx.addIssue({ code: 'custom', message: 'class name has leading or trailing spaces' });
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }),
  created: time,
  colour: z.string().regex(CLASS_COLOUR_PATTERN, 'class colour must be written #rrggbb'),
  sampleCount: nat,
  heldOutCount: nat,
  round: z.int().min(-1).max(MAX_ROUND),
});

const thumbnailRef = z.strictObject({ offset: nat, byteLength: z.int().min(1).max(MAX_THUMBNAIL_BYTES), type: z.enum(THUMBNAIL_TYPES) });

const sampleRow = z.strictObject({
  id: z.string().min(1).max(MAX_SAMPLE_ID_LENGTH).regex(/^[A-Za-z0-9_.:-]+$/, 'sample id may use letters, digits and _ . : - only'),
  classId,
  round: roundIndex,
  source: z.enum(['camera', 'file', 'import']),
  created: time,
  heldOut: z.boolean(),
  replay: z.union([z.literal(0), z.literal(1)]),
  embedding: floatRef,
  logits: floatRef.nullable(),
  thumbnail: thumbnailRef.nullable(),
});

/** One tensor of a checkpoint: float32 only (the engine writes nothing else; an int32 weight breaks every later round). */
const tensorRow = z.strictObject({
  name: z.string().min(1).max(128).regex(/^[A-Za-z0-9_./-]+$/, 'tensor name may use letters, digits and _ . / - only'),
  shape: z.array(z.int().min(1).max(MAX_WIDTH)).min(1).max(4),
  dtype: z.literal('float32', { error: 'checkpoint tensors must be float32' }),
  offset: nat,
  length: nat,
});

/** The learner's JSON state (`Learner.exportState`); unknown keys are kept (the engine ignores them). */
const engineJson = z.looseObject({
  config: z.looseObject({
    model: z.looseObject({
      inputDim: z.int().min(1).max(MAX_WIDTH),
      hidden: z.array(z.int().min(1).max(MAX_WIDTH)).max(8),
      scenario: z.enum(['class-il', 'task-il', 'domain-il']),
      outputs: z.int().min(0).max(MAX_CLASS_ID),
      seed: finite,
    }),
    strategies: z.looseObject({}),
    optimizer: z.enum(['adam', 'sgd']),
    learningRate: z.number().gt(0).max(1),
    batchSize: z.int().min(1).max(65536),
    seed: finite,
  }),
  numOutputs: z.int().min(0).max(MAX_CLASS_ID),
  tasksSeen: z.int().min(0).max(MAX_ROUND),
  taskClasses: z.array(z.tuple([z.int().min(0).max(MAX_ROUND), z.array(classId).max(MAX_CLASSES)])).max(MAX_ROUND),
  rng: uint32,
  plugins: z.record(z.string().max(64), z.looseObject({})),
});

/** A round's settings as the app stores them (ranges are the app's; the decoder gets its check as an option). */
const strategy = z.strictObject({
  preset: z.enum(['fast', 'balanced', 'max-retention']),
  settings: z.looseObject({
    bufferPolicy: z.enum(['reservoir', 'class-balanced', 'herding']),
    memoryBudget: z.int().min(1).max(1_000_000),
    hidden: z.int().min(0).max(MAX_WIDTH),
  }).catchall(z.union([finite, z.string().max(64), z.boolean()])),
});

/** What one committed round measured (the app's RoundRecord). */
const roundRecord = z.strictObject({
  round: roundIndex,
  preset: z.enum(['fast', 'balanced', 'max-retention']),
  newLabels: z.array(classId).max(MAX_CLASSES),
  trainedPerLabel: z.record(digitsKey, nat),
  name: z.string().max(MAX_TEXT),
  accuracyRow: z.array(z.number().min(0).max(1).nullable()).max(MAX_ROUND),
  losses: z.array(finite).max(100_000),
  seconds: z.number().min(0),
  steps: nat,
});
const metrics = z.strictObject({ format: z.literal('retain-app-metrics'), rounds: z.array(roundRecord).max(MAX_ROUND) });

const checkpointRow = z.strictObject({
  round: roundIndex,
  created: time,
  classToOutput: z.record(digitsKey, z.int().min(0).max(MAX_CLASS_ID - 1)),
  strategy: strategy.nullable(),
  metrics: metrics.nullable(),
  engineState: z.strictObject({
    format: z.literal('retain-engine'),
    version: z.literal(1),
    json: engineJson,
    tensors: z.array(tensorRow).max(MAX_TENSORS),
  }),
});

const classCountPairs = z.array(z.tuple([classId, nat])).max(MAX_CLASS_ID);
/** The replay memory's persisted state (`ReplayMemoryState`), its policy state by policy. */
const bufferState = z.strictObject({
  format: z.literal('retain-replay-memory'),
  version: z.literal(1),
  policy: z.enum(['reservoir', 'class-balanced', 'herding']),
  limits: z
    .strictObject({ capacity: nat.optional(), perClass: nat.optional(), maxBytes: nat.optional() })
    .refine((l) => l.capacity !== undefined || l.perClass !== undefined || l.maxBytes !== undefined, 'give at least one of capacity, perClass, maxBytes'),
  classesSeen: z.array(classId).max(MAX_CLASS_ID),
  maxSampleBytes: nat,
  policyState: z.union([
    z.strictObject({ seen: nat, seenPerClass: classCountPairs.optional() }),
    z.strictObject({ seenPerClass: classCountPairs }),
    z.strictObject({
      order: z.array(z.tuple([classId, z.array(z.string().max(MAX_SAMPLE_ID_LENGTH)).max(MAX_SAMPLES)])).max(MAX_CLASS_ID),
      sums: z.array(z.tuple([classId, z.array(finite).max(MAX_WIDTH)])).max(MAX_CLASS_ID),
      counts: classCountPairs,
    }),
  ]),
});

/** The meta rows a file carries (the schema, pack and logits rows are the importer's own). */
const metaRow = z.discriminatedUnion('key', [
  z.strictObject({ key: z.literal('round'), value: z.int().min(-1).max(MAX_ROUND) }),
  z.strictObject({ key: z.literal('nextClassId'), value: z.int().min(0).max(MAX_CLASS_ID) }),
  z.strictObject({ key: z.literal('rng'), value: uint32 }),
  z.strictObject({ key: z.literal('buffer'), value: bufferState }),
]);

/** The whole manifest. `format`, `version` and `schemaVersion` are checked before this (they choose the error code). */
export const manifestSchema = z.strictObject({
  format: z.literal('retain-project'),
  version: z.literal(1),
  schemaVersion: z.int(),
  appVersion: z.string().max(64).regex(/^[0-9A-Za-z.+-]*$/, 'app version may use letters, digits and . + - only'),
  exportedAt: time,
  sections: z.tuple([sectionEntry('tensors'), sectionEntry('embeddings'), sectionEntry('logits'), sectionEntry('thumbnails')]),
  classes: z.array(classRow).max(MAX_CLASSES, `a project can have at most ${MAX_CLASSES} classes`),
  samples: z.array(sampleRow).max(MAX_SAMPLES),
  checkpoints: z.array(checkpointRow).max(MAX_ROUND),
  // Room for repeated rows, so checkManifest can name the repeated key.
  meta: z.array(metaRow).max(16),
});

/** A manifest that passed the schema. */
export type Manifest = z.infer<typeof manifestSchema>;
/** One sample of a checked manifest. */
export type ManifestSampleRow = Manifest['samples'][number];
/** One checkpoint of a checked manifest. */
export type ManifestCheckpointRow = Manifest['checkpoints'][number];
/** The replay memory state of a checked manifest. */
export type ManifestBufferState = z.infer<typeof bufferState>;
/** The learner JSON of a checked checkpoint. */
export type ManifestEngineJson = z.infer<typeof engineJson>;
/** A stored round strategy (preset + settings). */
export type ManifestStrategy = z.infer<typeof strategy>;
