/** Storage failures as the user reads them: a full disk says what to do, anything else says what failed. */
import { isQuotaError } from '../../memory/errors';
import { t } from '../i18n';
import { AppError } from '../protocol';

/** What was being stored when storage failed. */
export type StorageAction =
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

/**
 * Wraps a storage failure as a typed, user-readable error: 'storage-full' (nothing was written; the UI adds the ways
 * to make room), 'project-changed' (another tab wrote first: the service reloads), or 'internal'.
 */
export function storageError(error: unknown, what: StorageAction): Error {
  const action = actionText(what);
  if (isQuotaError(error)) return new AppError('storage-full', t('worker.storageFull', { action }));
  if ((error as { code?: unknown } | null)?.code === 'project-changed') return new AppError('project-changed', t('worker.projectChanged', { action }));
  if (error instanceof AppError) return error;
  return new AppError('internal', t('worker.storageFailed', { action, reason: (error as Error)?.message ?? String(error) }));
}
