/**
 * The writer lock: every store write asks `navigator.locks` for the project's exclusive lock where the platform has
 * it; without it (Node) an in-process queue makes one realm's writers take turns in request order.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../../src/memory';
import { withWriterLock, writerLockMode, writerLockName, type WriterLockManager } from '../../../src/memory/store/writer-lock';

/** A Web Locks stand-in that records each request and runs them one at a time per name. */
function recordingLocks(): WriterLockManager & { requests: { name: string; mode: string }[] } {
  const tails = new Map<string, Promise<unknown>>();
  const requests: { name: string; mode: string }[] = [];
  return {
    requests,
    request<T>(name: string, options: { mode: 'exclusive' }, callback: () => Promise<T>): Promise<T> {
      requests.push({ name, mode: options.mode });
      const run = (tails.get(name) ?? Promise.resolve()).then(callback);
      tails.set(name, run.catch(() => undefined));
      return run;
    },
  };
}

const realNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterEach(() => {
  if (realNavigator) Object.defineProperty(globalThis, 'navigator', realNavigator);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

describe('withWriterLock', () => {
  it('without Web Locks, queues writers of one database in request order and never overlaps them', async () => {
    expect(writerLockMode()).toBe('in-process');
    const log: string[] = [];
    const slow = (label: string, ms: number) =>
      withWriterLock('db-a', async () => {
        log.push(`${label} start`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${label} end`);
        return label;
      });
    const first = slow('first', 30);
    const failing = withWriterLock('db-a', async () => {
      log.push('bad start');
      throw new Error('refused');
    });
    const results = await Promise.all([first, failing.catch((e: Error) => e.message), slow('second', 1)]);
    expect(results).toEqual(['first', 'refused', 'second']);
    expect(log).toEqual(['first start', 'first end', 'bad start', 'second start', 'second end']);
  });

  it('another database does not wait', async () => {
    const order: string[] = [];
    const long = withWriterLock('db-b', async () => {
      await new Promise((r) => setTimeout(r, 40));
      order.push('b');
    });
    await withWriterLock('db-c', async () => order.push('c'));
    await long;
    expect(order).toEqual(['c', 'b']);
  });

  it('with Web Locks, every store write asks for the project lock, exclusively', async () => {
    const locks = recordingLocks();
    Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true });
    expect(writerLockMode()).toBe('web-locks');
    const name = `locked-${Date.now()}`;
    const store = await ProjectStore.open({ name });
    try {
      const c = await store.addClass({ name: 'Cat' });
      await store.renameClass(c.id, 'Kitten');
      await store.addSamples([{ classId: c.id, embedding: new Float32Array(4), source: 'camera' }]);
      await store.setMeta('rng', 5);
      await store.deleteClass(c.id);
    } finally {
      store.close();
    }
    await ProjectStore.deleteDatabase(name);
    expect(locks.requests.length).toBeGreaterThanOrEqual(6);
    expect(locks.requests.every((r) => r.name === writerLockName(name) && r.mode === 'exclusive')).toBe(true);
  });
});
