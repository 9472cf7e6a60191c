/** Storage failures as the user reads them: a full disk says what to do, anything else says what failed. */
import { isQuotaError, type ProjectStoreErrorCode } from '../../memory/errors';
import { t } from '../i18n';
import { AppError, type ErrorCode } from '../protocol';

/** What was being stored when storage failed. */
export type StorageAction =
  | 'open'
  | 'addClass'
  | 'renameClass'
  | 'deleteClass'
  | 'storeSample'
  | 'deleteSample'
  | 'saveRound'
  | 'import'
  | 'reset';

/** The catalogue key of each action's words (a Record: a new action must be given words before this compiles). */
const ACTION_KEYS = {
  open: 'worker.actionOpen',
  addClass: 'worker.actionAddClass',
  renameClass: 'worker.actionRenameClass',
  deleteClass: 'worker.actionDeleteClass',
  storeSample: 'worker.actionStoreSample',
  deleteSample: 'worker.actionDeleteSample',
  saveRound: 'worker.actionSaveRound',
  import: 'worker.actionImport',
  reset: 'worker.actionReset',
} as const satisfies Record<StorageAction, string>;

/** A refusal of the project store as the person reads it: the code sent to the page and the message. */
interface StoreRefusal {
  code: ErrorCode;
  message: (action: string) => string;
}

/**
 * Each refusal of the project store (src/memory, which speaks English only) in the page's language, by its code.
 * `null`: a bug rather than something a person can cause; it is shown as 'internal' with the store's own words.
 * A Record, so a code the store gains must be given a message (or marked a bug) here before this compiles.
 */
export const STORE_REFUSALS: Record<ProjectStoreErrorCode, StoreRefusal | null> = {
  'project-changed': { code: 'project-changed', message: (action) => t('worker.projectChanged', { action }) },
  blocked: { code: 'internal', message: (action) => t('worker.otherTabOpen', { action }) },
  'newer-schema': { code: 'internal', message: () => t('worker.newerVersion') },
  'unknown-class': { code: 'internal', message: (action) => t('worker.classGone', { action }) },
  'unknown-sample': { code: 'internal', message: (action) => t('worker.sampleGone', { action }) },
  'not-open': null,
  'bad-input': null,
};

/**
 * Wraps a storage failure as a typed, user-readable error: 'storage-full' (nothing was written; the UI adds the ways
 * to make room), 'project-changed' (another tab wrote first: the service reloads), a store refusal a person can meet
 * (STORE_REFUSALS), or 'internal'.
 */
export function storageError(error: unknown, what: StorageAction): Error {
  // The action in words, in the page's language.
  const action = t(ACTION_KEYS[what]);
  if (isQuotaError(error)) return new AppError('storage-full', t('worker.storageFull', { action }));
  const code = (error as { code?: unknown } | null)?.code;
  const refusal = typeof code === 'string' && Object.hasOwn(STORE_REFUSALS, code) ? STORE_REFUSALS[code as ProjectStoreErrorCode] : null;
  if (refusal) return new AppError(refusal.code, refusal.message(action));
  if (error instanceof AppError) return error;
  return new AppError('internal', t('worker.storageFailed', { action, reason: (error as Error)?.message ?? String(error) }));
}
