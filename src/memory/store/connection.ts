/** Opening and deleting a project database without ever hanging: a tab that keeps it open is reported, not waited for. */
import { deleteDB, openDB, type IDBPDatabase } from 'idb';
import { ProjectStoreError } from '../errors';
import { ChangeFeed } from './change-feed';
import { SCHEMA_VERSION, upgradeSchema, type RetainDB } from './schema';
import { withWriterLock } from './writer-lock';

/** Why another tab needs this connection closed: it deletes the project (reset) or upgrades its schema. */
export type VersionChangeReason = 'deleted' | 'upgrade';

/** How long an open or a delete may wait for other tabs before it is reported as blocked (ms). */
export const DEFAULT_WAIT_MS = 8000;

/**
 * A promise that rejects with `ProjectStoreError('blocked', message)` when `refuse()` is called (a `blocked`
 * event) or after `waitMs` (a request queued behind another tab's pending one gets no event at all); `stop()`
 * ends the wait (the request is making progress).
 */
function blockedSignal(message: string, waitMs: number): { promise: Promise<never>; refuse: () => void; stop: () => void } {
  let refuse: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => (refuse = () => reject(new ProjectStoreError('blocked', message))));
  promise.catch(() => undefined);
  const timer = setTimeout(refuse, waitMs);
  return { promise, refuse, stop: () => clearTimeout(timer) };
}

/**
 * Opens (creating or migrating to SCHEMA_VERSION) database `name`. `onVersionChange` runs when another tab needs
 * it closed. Throws `ProjectStoreError('newer-schema')` for a database of a newer app, and
 * `ProjectStoreError('blocked')` instead of waiting when another tab keeps an older version open, or after
 * `waitMs` queued behind another tab's pending request (the open then completes on its own later and that
 * connection is closed at once).
 */
export async function openProjectDatabase(
  name: string,
  appVersion: string,
  onVersionChange: (reason: VersionChangeReason) => void,
  waitMs = DEFAULT_WAIT_MS,
): Promise<IDBPDatabase<RetainDB>> {
  const blocked = blockedSignal('another Retain tab keeps this project open or busy: close other Retain tabs, then try again', waitMs);
  const opening = openDB<RetainDB>(name, SCHEMA_VERSION, {
    async upgrade(database, oldVersion, _newVersion, tx) {
      // Migrating: no longer waiting for anyone, however long it takes.
      blocked.stop();
      // A failed upgrade (e.g. a full disk) aborts, and the open itself rejects with the reason: these copies of it stay quiet.
      tx.done.catch(() => undefined);
      await upgradeSchema(database, oldVersion, tx, appVersion).catch(() => {
        try {
          tx.abort();
        } catch {
          // Already aborted.
        }
      });
    },
    blocked: blocked.refuse,
    blocking: (_current, next) => onVersionChange(next === null ? 'deleted' : 'upgrade'),
  });
  try {
    const db = await Promise.race([opening, blocked.promise]);
    return db;
  } catch (e) {
    // Refused while still queued: when it completes after all, nobody uses that connection.
    void opening.then((db) => db.close()).catch(() => undefined);
    if ((e as { name?: string })?.name === 'VersionError') throw new ProjectStoreError('newer-schema', `database ${name} was written by a newer version of Retain`);
    throw e;
  } finally {
    blocked.stop();
  }
}

/**
 * Deletes database `name` under its writer lock and tells the other tabs (their connections close on
 * `versionchange`). Throws `ProjectStoreError('blocked')` when a tab of an older version keeps it open.
 */
export async function deleteProjectDatabase(name: string, waitMs = DEFAULT_WAIT_MS): Promise<void> {
  await withWriterLock(name, async () => {
    const blocked = blockedSignal('another Retain tab keeps this project open: close other Retain tabs, then reset again', waitMs);
    try {
      await Promise.race([deleteDB(name, { blocked: blocked.refuse }), blocked.promise]);
    } finally {
      blocked.stop();
    }
  });
  const feed = new ChangeFeed(name);
  feed.post('reset', -1);
  feed.close();
}
