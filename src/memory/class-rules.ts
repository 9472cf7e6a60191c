/** The one rule for classes (names, colours, how many), shared by the store, the import check and the app. */
import { MemoryError } from './errors';

/** Longest class name, in characters, after trimming (the UI's input has the same maxlength). */
export const MAX_CLASS_NAME_LENGTH = 60;
/** Most classes a project may hold (every class is one output column of the head). */
export const MAX_CLASSES = 1000;
/** Class ids are head output columns and never reused: ids (and the head's width) stay below this. */
export const MAX_CLASS_ID = 4 * MAX_CLASSES;
/** The only colour form accepted: `#rrggbb` (it reaches CSS, so nothing else gets through). */
export const CLASS_COLOUR_PATTERN = /^#[0-9a-f]{6}$/i;

/** Why a class name, colour or count was refused. */
export type ClassRuleErrorCode = 'bad-name' | 'empty-name' | 'long-name' | 'duplicate-name' | 'bad-colour' | 'too-many-classes';

/** A class name, colour or count breaks the class rules; nothing was changed. */
export class ClassRuleError extends MemoryError {
  declare readonly code: ClassRuleErrorCode;
  constructor(code: ClassRuleErrorCode, message: string) {
    super(code, message);
  }
}

/** A name already taken by another class (ids let a rename keep its own name). */
export interface NamedClass {
  id: number;
  name: string;
}

/** The name as it will be stored (trimmed), or a `ClassRuleError` saying what is wrong with it. */
export function checkClassName(name: unknown): string {
  if (typeof name !== 'string') throw new ClassRuleError('bad-name', 'A class name must be text');
  const trimmed = name.trim();
  if (!trimmed) throw new ClassRuleError('empty-name', 'A class name cannot be empty');
  if (trimmed.length > MAX_CLASS_NAME_LENGTH)
    throw new ClassRuleError('long-name', `A class name can have at most ${MAX_CLASS_NAME_LENGTH} characters`);
  return trimmed;
}

/** True when two class names count as the same (case-insensitive, after trimming). */
function sameClassName(a: string, b: string): boolean {
  return a.trim().toLocaleLowerCase() === b.trim().toLocaleLowerCase();
}

/**
 * The trimmed name, checked by `checkClassName` and unique among `existing` (case-insensitively); `exceptId` is
 * the class being renamed, which may keep (or re-case) its own name.
 */
export function checkNewClassName(name: unknown, existing: Iterable<NamedClass>, exceptId?: number): string {
  const trimmed = checkClassName(name);
  for (const c of existing) {
    if (c.id !== exceptId && sameClassName(c.name, trimmed))
      throw new ClassRuleError('duplicate-name', `There is already a class named "${c.name}"`);
  }
  return trimmed;
}

/** Checks a list of classes (an import) has unique names, case-insensitively. */
export function checkUniqueClassNames(classes: readonly NamedClass[]): void {
  const seen = new Map<string, NamedClass>();
  for (const c of classes) {
    const key = c.name.trim().toLocaleLowerCase();
    const other = seen.get(key);
    if (other) throw new ClassRuleError('duplicate-name', `Classes ${other.id} and ${c.id} have the same name "${c.name}"`);
    seen.set(key, c);
  }
}

/** The colour as stored (lower case `#rrggbb`), or a `ClassRuleError`. */
export function checkClassColour(colour: unknown): string {
  if (typeof colour !== 'string' || !CLASS_COLOUR_PATTERN.test(colour))
    throw new ClassRuleError('bad-colour', `A class colour must be written #rrggbb (got ${JSON.stringify(String(colour)).slice(0, 40)})`);
  return colour.toLowerCase();
}

/**
 * Refuses a new class whose id would be `nextId` once ids reach `MAX_CLASS_ID` (ids are never reused, so a
 * project that created and deleted 4,000 classes is full): the store never holds a class a project file could
 * not carry, so the app never exports a file its own importer refuses.
 */
export function checkNextClassId(nextId: number): void {
  if (!Number.isSafeInteger(nextId) || nextId < 0 || nextId >= MAX_CLASS_ID)
    throw new ClassRuleError(
      'too-many-classes',
      `This project has used all ${MAX_CLASS_ID} class ids (a deleted class's id is never reused): export the pictures you need and start a new project`,
    );
}

/** Refuses adding `adding` classes to a project that has `current`, past `MAX_CLASSES`. */
export function checkClassCount(current: number, adding = 1): void {
  if (current + adding > MAX_CLASSES)
    throw new ClassRuleError('too-many-classes', `A project can have at most ${MAX_CLASSES} classes (it has ${current}); delete some first`);
}
