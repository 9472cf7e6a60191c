/** A class name checked in the UI by the one rule (src/memory/class-rules.ts), explained in the person's language. */
import type { ClassInfo } from '../client';
import { t } from '../i18n';
import { ClassRuleError, MAX_CLASS_NAME_LENGTH, checkNewClassName } from '../../memory/class-rules';

/**
 * Why `raw` cannot name a class among `classes` (the class `exceptId` being renamed may keep its own name), in
 * words for the person; null when the worker will accept it. Nothing is trimmed to fit: an over-long name is
 * explained, not cut.
 */
export function classNameProblem(raw: string, classes: readonly ClassInfo[], exceptId?: string): string | null {
  // The rule compares ids as numbers; the list index stands in for them here.
  const named = classes.map((c, i) => ({ id: i, name: c.name }));
  const except = exceptId === undefined ? undefined : classes.findIndex((c) => c.id === exceptId);
  try {
    checkNewClassName(raw, named, except);
    return null;
  } catch (err) {
    if (!(err instanceof ClassRuleError)) throw err;
    return ruleMessage(err.code, raw, classes);
  }
}

/** The message for a refused name, by the rule's error code (also for the worker's refusals); null if not a name rule. */
export function ruleMessage(code: string | undefined, raw: string, classes: readonly ClassInfo[]): string | null {
  const trimmed = raw.trim();
  switch (code) {
    case 'empty-name':
      return raw.length > 0 ? t('classes.nameSpacesOnly') : t('classes.nameEmpty');
    case 'long-name':
      return t('classes.nameTooLong', { length: trimmed.length, max: MAX_CLASS_NAME_LENGTH });
    case 'duplicate-name': {
      const other = classes.find((c) => c.name.toLocaleLowerCase() === trimmed.toLocaleLowerCase());
      return t('classes.nameDuplicate', { name: other?.name ?? trimmed });
    }
    default:
      return null;
  }
}

/** The rule's length limit, for a live explanation while typing. */
export function nameTooLong(raw: string): string | null {
  const length = raw.trim().length;
  return length > MAX_CLASS_NAME_LENGTH ? t('classes.nameTooLong', { length, max: MAX_CLASS_NAME_LENGTH }) : null;
}
