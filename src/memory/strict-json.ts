/** JSON parsing that refuses duplicate object keys (JSON.parse silently keeps the last one). */

/** Where a duplicate key was found: the path of the object holding it and the key itself. */
export interface DuplicateKey {
  /** Path of the object, e.g. `meta[3]` or `$` for the top level. */
  path: string;
  key: string;
}

interface Frame {
  /** Keys seen so far (objects only): a short list, a Set past SMALL_OBJECT keys (most objects have a few). */
  keys: string[] | Set<string> | null;
  /** Index of the current element (arrays only). */
  index: number;
  /** The key whose value is being read (objects only). */
  key: string;
}

/** The path of the innermost frame, built only when a duplicate is reported (no string per object otherwise). */
function pathOf(stack: readonly Frame[]): string {
  let path = '$';
  for (let i = 0; i + 1 < stack.length; i++) path += stack[i].keys ? `.${stack[i].key}` : `[${stack[i].index}]`;
  return path;
}

const SMALL_OBJECT = 16;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Finds the first duplicate key in a JSON text that `JSON.parse` already accepted (so the syntax is known to be
 * valid and a single pass over the characters suffices: no value is built). Returns null when every object's
 * keys are distinct. Keys are compared after unescaping ("a" and "\u0061" are the same key).
 */
export function findDuplicateKey(text: string): DuplicateKey | null {
  const stack: Frame[] = [];
  let prev = 0; // last significant character outside strings
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) {
          escaped = true;
          i++;
        } else if (c === QUOTE) break;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && (prev === 0x7b || prev === 0x2c)) {
        const raw = text.slice(start, i + 1);
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (Array.isArray(top.keys) ? top.keys.includes(key) : top.keys.has(key)) return { path: pathOf(stack), key };
        if (Array.isArray(top.keys)) {
          top.keys.push(key);
          if (top.keys.length > SMALL_OBJECT) top.keys = new Set(top.keys);
        } else top.keys.add(key);
        top.key = key;
      }
      prev = QUOTE;
      continue;
    }
    if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) continue;
    if (ch === 0x7b || ch === 0x5b) {
      stack.push({ keys: ch === 0x7b ? [] : null, index: 0, key: '' });
    } else if (ch === 0x7d || ch === 0x5d) {
      stack.pop();
    } else if (ch === 0x2c) {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
    }
    prev = ch;
  }
  return null;
}

/** `JSON.parse`, then a duplicate-key check; throws SyntaxError for bad JSON and returns the duplicate if any. */
export function parseJsonStrict(text: string): { value: unknown; duplicate: DuplicateKey | null } {
  const value: unknown = JSON.parse(text);
  return { value, duplicate: findDuplicateKey(text) };
}
