/**
 * Issue 14, item 2 and the app side of item 1: an import is decoded with the app's own options (backbone width,
 * settings table), staged in a database of its own, opened there as the app opens a project at start, and made
 * current in one transaction only after that; anything else leaves every store of the current project as it was.
 * And the store never creates a class id a project file could not carry.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CLASS_ID } from '../../../src/memory/class-rules';
import { decodeProject, encodeProject } from '../../../src/memory/project-file';
import { ProjectStore } from '../../../src/memory/store/project-store';
import { AppError } from '../../../src/app/protocol';
import type { LearnerService } from '../../../src/app/worker/service';
import { stagingName } from '../../../src/app/worker/staged-import';
import { DiskFiller, digestStores } from '../../../lab/fixtures/memory/full-disk';
import { QUICK, openService, picture, predictedName, teach } from '../support/service-harness';
import { useWasmBackend } from '../support/setup-wasm';

beforeAll(useWasmBackend);

let counter = 0;
const open: LearnerService[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.dispose();
});

/** A service on a fresh project where Red and Green were learned in one round. */
async function taught(): Promise<{ service: LearnerService; name: string }> {
  const name = `staged-${++counter}-${Date.now()}`;
  const { service } = await openService(name);
  open.push(service);
  await teach(service, 'Red', 'red');
  await teach(service, 'Green', 'green');
  await service.learn(QUICK);
  return { service, name };
}

/** Digest of every object store of project database `name` (read through a second connection). */
async function digest(name: string): Promise<Record<string, string>> {
  const store = await ProjectStore.open({ name });
  try {
    return await digestStores(store.db as never);
  } finally {
    store.close();
  }
}

/** Names of the IndexedDB databases that exist now. */
async function databases(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '');
}

/** `file` decoded, edited and encoded again (a well-formed file, every checksum right). */
function edited(file: ArrayBuffer, edit: (rows: ReturnType<typeof decodeProject>) => void): ArrayBuffer {
  const rows = decodeProject(file);
  edit(rows);
  rows.meta = rows.meta.filter((m) => m.key !== 'schema');
  const bytes = encodeProject(rows);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Imports `file` expecting a refusal; returns its message after checking nothing of the project changed. */
async function refused(service: LearnerService, name: string, file: ArrayBuffer): Promise<string> {
  const before = await digest(name);
  const status = service.status();
  const err = await service.importProject(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  expect(await digest(name)).toEqual(before);
  expect(service.status()).toEqual(status);
  expect(await databases()).not.toContain(stagingName(name));
  return `${(err as AppError).code}: ${(err as Error).message}`;
}

describe('staged import', () => {
  it('imports a project that opens: same predictions, staging removed, and a restart predicts and learns', async () => {
    const { service, name } = await taught();
    const file = await service.exportProject();
    const other = await taught();
    await other.service.renameClass('0', 'Crimson');
    await other.service.importProject(file);
    expect(other.service.status()).toMatchObject({ rounds: 1, classes: [{ name: 'Red' }, { name: 'Green' }] });
    expect(await predictedName(other.service, 'green')).toBe('Green');
    expect(await databases()).not.toContain(stagingName(other.name));
    // The imported project is what the current database holds: a new service on it predicts and learns.
    const restarted = await openService(other.name);
    open.push(restarted.service);
    expect(await predictedName(restarted.service, 'red')).toBe('Red');
    await teach(restarted.service, 'Blue', 'blue');
    expect((await restarted.service.learn(QUICK)).round).toBe(2);
    expect(await predictedName(restarted.service, 'blue')).toBe('Blue');
    expect(name).not.toBe(other.name);
  });

  it('refuses a file that decodes but whose model does not open (non-finite predictions): current project byte-identical', async () => {
    const { service, name } = await taught();
    const file = await service.exportProject();
    // Finite weights of 3e38: every check of the file passes, the restored model restores, but its scores overflow.
    const huge = edited(file, (rows) => {
      for (const cp of rows.checkpoints) for (const t of cp.engineState.tensors) if (t.name.startsWith('model/')) t.data.fill(3e38);
    });
    const tensors = tf.memory().numTensors;
    const message = await refused(service, name, huge);
    expect(message).toMatch(/^import-refused: .*does not open as a project: .*non-finite score/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await predictedName(service, 'red')).toBe('Red');
    // A valid file whose latest checkpoint has no app metrics: the model would sit under "no round yet".
    const noHistory = edited(file, (rows) => {
      rows.checkpoints.sort((a, b) => a.round - b.round).at(-1)!.metrics = null;
    });
    expect(await refused(service, name, noHistory)).toMatch(/does not open as a project: .*round history/);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('passes the backbone width and the settings table to the decoder', async () => {
    const { service, name } = await taught();
    const file = await service.exportProject();
    const widened = edited(file, (rows) => {
      for (const s of rows.samples) s.embedding = Float32Array.from([...s.embedding, 0]);
    });
    expect(await refused(service, name, widened)).toMatch(/import-refused: .*width/);
    const badSettings = edited(file, (rows) => {
      for (const cp of rows.checkpoints) (cp.strategy!.settings as Record<string, unknown>).learningRate = 1e6;
    });
    expect(await refused(service, name, badSettings)).toMatch(/import-refused: .*settings refused: learningRate must be/);
  });

  it('a full disk at any write of the import leaves the current project byte-identical or imports it whole', async () => {
    const { service, name } = await taught();
    const file = await service.exportProject();
    const other = await taught();
    await other.service.renameClass('0', 'Crimson');
    const filler = new DiskFiller().install();
    try {
      // The project as an import leaves it (the export folds the logits table into the rows): re-importing it is idempotent.
      const original = await other.service.exportProject();
      await other.service.importProject(original);
      const before = await digest(other.name);
      // Count the writes of one import, then undo it by importing the original back.
      filler.reset();
      await other.service.importProject(file);
      const writes = filler.writes;
      const imported = await digest(other.name);
      await other.service.importProject(original);
      expect(await digest(other.name)).toEqual(before);
      let refusals = 0;
      for (let n = 1; n <= writes; n += Math.max(1, Math.floor(writes / 12))) {
        filler.reset();
        filler.fillFrom(n);
        const err = await other.service.importProject(file).catch((e: unknown) => e);
        filler.free();
        const after = await digest(other.name);
        if (err) {
          refusals++;
          // Quota on a write, or on creating the staging database (the browser then aborts the open: 'internal' with the reason).
          expect(['storage-full', 'internal']).toContain((err as AppError).code);
          expect(after).toEqual(before);
          expect(other.service.status().classes[0].name).toBe('Crimson');
        } else {
          expect(after).toEqual(imported);
          await other.service.importProject(original);
        }
      }
      expect(refusals).toBeGreaterThan(0);
    } finally {
      filler.uninstall();
    }
    expect(await databases()).not.toContain(stagingName(other.name));
    expect(name).not.toBe(other.name);
  });
});

describe('class ids', () => {
  it(`the store refuses a class id of ${MAX_CLASS_ID} or more, so every project exports a file the app imports`, async () => {
    const name = `ids-${++counter}-${Date.now()}`;
    const store = await ProjectStore.open({ name });
    await store.setMeta('nextClassId', MAX_CLASS_ID - 1);
    expect((await store.addClass({ name: 'Last' })).id).toBe(MAX_CLASS_ID - 1);
    await expect(store.addClass({ name: 'One more' })).rejects.toThrow(`used all ${MAX_CLASS_ID} class ids`);
    expect((await store.listClasses()).map((c) => c.name)).toEqual(['Last']);
    expect(await store.getMeta('nextClassId')).toBe(MAX_CLASS_ID);
    store.close();
    const { service } = await openService(name);
    open.push(service);
    await service.importProject(await service.exportProject());
    expect(service.status().classes.map((c) => c.name)).toEqual(['Last']);
    await service.addSample(String(MAX_CLASS_ID - 1), picture('red', 1), 'camera');
  });
});
