/** Storage failures as the user reads them: a full disk says what to do, anything else says what failed. */
import { isQuotaError } from '../../memory/errors';
import { AppError } from '../protocol';

/** Wraps a storage failure as a typed, user-readable error ('storage-full' or 'internal'). */
export function storageError(error: unknown, what: string): Error {
  if (isQuotaError(error))
    return new AppError('storage-full', `Storage is full: could not ${what}. Delete samples or classes, or export and reset the project.`);
  if (error instanceof AppError) return error;
  return new AppError('internal', `Could not ${what}: ${(error as Error)?.message ?? String(error)}`);
}
