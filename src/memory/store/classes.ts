/** Class edits inside one transaction: create, rename, recolour, delete, each under the rules of `class-rules.ts`. */
import { checkClassCount, checkNewClassName, checkNextClassId } from '../class-rules';
import { ProjectStoreError } from '../errors';
import { paletteColour, type ClassRecord } from './schema';
import type { AnyTx } from './transaction';

/** A class to create. */
export interface NewClass {
  name: string;
  colour?: string;
  /** Creation time (ms); default now. */
  created?: number;
}

/** Creates a class inside `tx` (`name` and `colour` already checked); its id (never reused) comes from meta. */
export async function insertClass(tx: AnyTx, name: string, colour: string | undefined, created: number | undefined): Promise<ClassRecord> {
  const meta = tx.objectStore('meta');
  const [nextRow, existing] = await Promise.all([meta.get('nextClassId'), tx.objectStore('classes').getAll()]);
  checkClassCount(existing.length);
  const unique = checkNewClassName(name, existing);
  const next = (nextRow?.value as number | undefined) ?? 0;
  checkNextClassId(next);
  const record: ClassRecord = {
    id: next,
    name: unique,
    created: created ?? Date.now(),
    colour: colour ?? paletteColour(next),
    sampleCount: 0,
    heldOutCount: 0,
    round: -1,
  };
  await tx.objectStore('classes').add(record);
  await meta.put({ key: 'nextClassId', value: next + 1 });
  return record;
}

/** Renames class `id` inside `tx`; the name must be unique among the other classes. */
export async function renameClassRow(tx: AnyTx, id: number, name: string): Promise<ClassRecord> {
  const store = tx.objectStore('classes');
  const all = await store.getAll();
  const record = all.find((c) => c.id === id);
  if (!record) throw new ProjectStoreError('unknown-class', `no class ${id}`);
  record.name = checkNewClassName(name, all, id);
  await store.put(record);
  return record;
}

/** Sets class `id`'s colour (already checked) inside `tx`. */
export async function recolourClassRow(tx: AnyTx, id: number, colour: string): Promise<ClassRecord> {
  const store = tx.objectStore('classes');
  const record = await store.get(id);
  if (!record) throw new ProjectStoreError('unknown-class', `no class ${id}`);
  record.colour = colour;
  await store.put(record);
  return record;
}

/** Deletes class `id` with its sample rows and thumbnails inside `tx`; returns the deleted sample ids. */
export async function deleteClassRows(tx: AnyTx, id: number): Promise<string[]> {
  if (!(await tx.objectStore('classes').get(id))) throw new ProjectStoreError('unknown-class', `no class ${id}`);
  const samples = tx.objectStore('samples');
  const keys = await samples.index('by-class').getAllKeys(id);
  await Promise.all(keys.flatMap((k) => [samples.delete(k), tx.objectStore('thumbnails').delete(k)]));
  await tx.objectStore('classes').delete(id);
  return keys;
}
