/**
 * Tabs of one project, as separate connections in Node: a write is announced to the other stores (BroadcastChannel),
 * another tab's reset or upgrade closes this connection and says so (`versionchange`), and a tab holding an older
 * version open makes opening or resetting fail with "close other Retain tabs" instead of hanging (`blocked`).
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { ProjectStore, ProjectStoreError, SCHEMA_VERSION, type OtherTabEvent } from '../../../src/memory';

let counter = 0;
const fresh = () => `tabs-${++counter}-${Date.now()}`;

/** Resolves with the first event `store` hears from another tab (or null after `ms`). */
function nextOtherTabEvent(store: ProjectStore, ms = 2000): Promise<OtherTabEvent | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => (off(), resolve(null)), ms);
    const off = store.onOtherTab((e) => {
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

describe('tabs of one project', () => {
  it('a write in one tab is announced to the other, never to itself', async () => {
    const name = fresh();
    const a = await ProjectStore.open({ name });
    const b = await ProjectStore.open({ name });
    try {
      const heardByB = nextOtherTabEvent(b);
      const heardByA = nextOtherTabEvent(a, 300);
      await a.addClass({ name: 'Cat' });
      expect(await heardByB).toMatchObject({ type: 'changed', change: { kind: 'classes' } });
      expect(await heardByA).toBeNull();
    } finally {
      a.close();
      b.close();
    }
  });

  it("another tab's reset closes this connection, says why, and lets the reset through", async () => {
    const name = fresh();
    const a = await ProjectStore.open({ name });
    await a.addClass({ name: 'Cat' });
    const heard = nextOtherTabEvent(a);
    await ProjectStore.deleteDatabase(name);
    expect(await heard).toEqual({ type: 'closed', reason: 'deleted' });
    const error = await a.addClass({ name: 'Dog' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProjectStoreError);
    expect((error as ProjectStoreError).code).toBe('project-changed');
    expect((error as Error).message).toMatch(/another Retain tab reset this project/);
    const reopened = await ProjectStore.open({ name });
    expect(await reopened.listClasses()).toEqual([]);
    reopened.close();
  });

  it('a schema upgrade by a newer tab closes this connection instead of failing its next write with InvalidStateError', async () => {
    const name = fresh();
    const a = await ProjectStore.open({ name });
    const heard = nextOtherTabEvent(a);
    const newer = await openDB(name, SCHEMA_VERSION + 1);
    expect(await heard).toEqual({ type: 'closed', reason: 'upgrade' });
    expect(((await a.addClass({ name: 'Dog' }).catch((e: unknown) => e)) as ProjectStoreError).code).toBe('project-changed');
    newer.close();
  });

  it('opening or resetting while an old tab keeps the project open fails with "close other Retain tabs" instead of hanging', async () => {
    const name = fresh();
    // An old tab: version 1, and no versionchange handler (it never lets go).
    const old = await openDB(name, 1, { upgrade: (db) => void db.createObjectStore('meta', { keyPath: 'key' }) });
    const resetting = await ProjectStore.deleteDatabase(name, 300).catch((e: unknown) => e);
    expect(resetting).toBeInstanceOf(ProjectStoreError);
    expect((resetting as ProjectStoreError).code).toBe('blocked');
    expect((resetting as Error).message).toMatch(/close other Retain tabs/);
    // Queued behind the pending reset: no `blocked` event comes, the wait ends it.
    const opening = await ProjectStore.open({ name, waitMs: 300 }).catch((e: unknown) => e);
    expect(opening).toBeInstanceOf(ProjectStoreError);
    expect((opening as ProjectStoreError).code).toBe('blocked');
    expect((opening as Error).message).toMatch(/close other Retain tabs/);
    old.close();
    // Once the old tab is gone, the project opens.
    const store = await ProjectStore.open({ name });
    expect(store.db.version).toBe(SCHEMA_VERSION);
    store.close();
  });
});
