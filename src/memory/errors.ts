/**
 * Errors of the memory layer. Each carries a machine-readable `code` so the app and the tests can tell
 * exactly why an input, a configuration, a write or an import was refused.
 */

/** Base class: every memory error has a stable `code`. */
export class MemoryError extends Error {
  /** Stable machine-readable reason. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Why a sample offered to a memory was refused. */
export type MemoryInputErrorCode =
  | 'not-an-array'
  | 'bad-x'
  | 'empty-x'
  | 'non-finite'
  | 'dimension-mismatch'
  | 'bad-label'
  | 'bad-task'
  | 'bad-logits'
  | 'duplicate-id'
  | 'bad-id'
  | 'bad-count'
  | 'unknown-id';

/** A sample (or a call's argument) is malformed; the memory was not changed. */
export class MemoryInputError extends MemoryError {
  declare readonly code: MemoryInputErrorCode;
  constructor(code: MemoryInputErrorCode, message: string) {
    super(code, message);
  }
}

/** A memory was configured with impossible limits or an unknown policy. */
export class MemoryConfigError extends MemoryError {
  constructor(message: string) {
    super('bad-config', message);
  }
}

/** The browser's storage quota is exhausted even after evicting by the buffer policy; nothing was written. */
export class StorageFullError extends MemoryError {
  constructor(message: string) {
    super('storage-full', message);
  }
}

/** Why a project file was refused on import. */
export type ImportErrorCode =
  | 'too-small'
  | 'too-large'
  | 'bad-magic'
  | 'unsupported-version'
  | 'truncated'
  | 'trailing-bytes'
  | 'manifest-checksum'
  | 'bad-manifest'
  | 'section-checksum'
  | 'bad-section'
  | 'shape-mismatch'
  | 'duplicate-key'
  | 'bad-class'
  | 'bad-thumbnail'
  | 'inconsistent';

/** A project file is truncated, corrupted, foreign, oversized or inconsistent; the current project is untouched. */
export class ImportError extends MemoryError {
  declare readonly code: ImportErrorCode;
  constructor(code: ImportErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * Why the project store refused. `project-changed`: another tab committed a round since this one read the project,
 * or reset/upgraded it (this tab must re-read it); `blocked`: another tab keeps an older version open.
 */
export type ProjectStoreErrorCode = 'not-open' | 'unknown-class' | 'unknown-sample' | 'bad-input' | 'newer-schema' | 'blocked' | 'project-changed';

/** A stored project is inconsistent or an operation refers to something that does not exist. */
export class ProjectStoreError extends MemoryError {
  constructor(code: ProjectStoreErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * Recognises a full disk however it surfaces: IndexedDB's `QuotaExceededError`, this layer's `StorageFullError`
 * (or its `storage-full` code after crossing a worker boundary), or a browser message naming the quota.
 */
export function isQuotaError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string } | null;
  return !!e && (e.name === 'QuotaExceededError' || e.name === 'StorageFullError' || e.code === 'storage-full' || /quota/i.test(e.message ?? ''));
}
