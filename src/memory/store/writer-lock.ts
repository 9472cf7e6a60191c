/** One writer across tabs: every write to a project database runs under an exclusive Web Lock named after it. */

/** The slice of the Web Locks API used here (`navigator.locks`, in windows and workers alike). */
export interface WriterLockManager {
  request<T>(name: string, options: { mode: 'exclusive' }, callback: () => Promise<T>): Promise<T>;
}

/** How writers take turns: across tabs (Web Locks) or, where the API is absent (Node, tests), within this realm only. */
export type WriterLockMode = 'web-locks' | 'in-process';

/** The lock name of a project database (one per database, so two projects never wait for each other). */
export function writerLockName(dbName: string): string {
  return `retain-writer:${dbName}`;
}

/** `navigator.locks` where the platform has it, else null. */
function platformLocks(): WriterLockManager | null {
  const locks = (globalThis as { navigator?: { locks?: WriterLockManager } }).navigator?.locks;
  return locks && typeof locks.request === 'function' ? locks : null;
}

/** Which mode `withWriterLock` uses on this platform. */
export function writerLockMode(): WriterLockMode {
  return platformLocks() ? 'web-locks' : 'in-process';
}

/** Tail of each name's in-process queue (the fallback's stand-in for the browser's lock queue). */
const inProcessTails = new Map<string, Promise<void>>();

/** Runs `body` after every earlier holder of `name` in this realm finished (first come, first served). */
function inProcessLock<T>(name: string, body: () => Promise<T>): Promise<T> {
  const previous = inProcessTails.get(name) ?? Promise.resolve();
  const run = previous.then(body);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  inProcessTails.set(name, tail);
  void tail.then(() => {
    if (inProcessTails.get(name) === tail) inProcessTails.delete(name);
  });
  return run;
}

/**
 * Runs `body` holding the exclusive writer lock of project database `dbName`. Requests are granted in the order
 * they were made, so a write requested first is also applied first. Without Web Locks (Node, fake-indexeddb) an
 * in-process queue stands in: writers of one realm still take turns, other realms are not excluded. Never call it
 * from inside `body` for the same database: like a Web Lock, it would wait for itself.
 */
export function withWriterLock<T>(dbName: string, body: () => Promise<T>): Promise<T> {
  const name = writerLockName(dbName);
  const locks = platformLocks();
  return locks ? locks.request(name, { mode: 'exclusive' }, body) : inProcessLock(name, body);
}
