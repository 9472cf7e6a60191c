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

/** The action in words, in the page's language. */
function actionText(action: StorageAction): string {
  switch (action) {
    case 'open':
      return t('worker.actionOpen');
    case 'addClass':
      return t('worker.actionAddClass');
    case 'renameClass':
      return t('worker.actionRenameClass');
    case 'deleteClass':
      return t('worker.actionDeleteClass');
    case 'storeSample':
      return t('worker.actionStoreSample');
    case 'deleteSample':
      return t('worker.actionDeleteSample');
    case 'saveRound':
      return t('worker.actionSaveRound');
    case 'import':
      return t('worker.actionImport');
    case 'reset':
      return t('worker.actionReset');
  }
}

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
  const action = actionText(what);
  if (isQuotaError(error)) return new AppError('storage-full', t('worker.storageFull', { action }));
  const code = (error as { code?: unknown } | null)?.code;
  const refusal = typeof code === 'string' && Object.hasOwn(STORE_REFUSALS, code) ? STORE_REFUSALS[code as ProjectStoreErrorCode] : null;
  if (refusal) return new AppError(refusal.code, refusal.message(action));
  if (error instanceof AppError) return error;
  return new AppError('internal', t('worker.storageFailed', { action, reason: (error as Error)?.message ?? String(error) }));
}
