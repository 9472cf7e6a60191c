/** JSON parsing that refuses duplicate object keys (JSON.parse silently keeps the last one). */

/** Where a duplicate key was found: the path of the object holding it and the key itself. */
export interface DuplicateKey {
  /** Path of the object, e.g. `$.meta[3]` or `$` for the top level. */
  path: string;
  key: string;
}

/** One open object or array. Frames are reused by depth, so a scan allocates (almost) nothing per object. */
interface Frame {
  isObject: boolean;
  /** Keys seen so far as [start, end) positions of their raw text (quotes included), while few and unescaped. */
  starts: number[];
  ends: number[];
  /** The keys as strings, once the object has many keys or an escaped one. */
  set: Set<string> | null;
  /** Index of the current element (arrays only). */
  index: number;
  /** Raw text position of the key whose value is being read (objects only). */
  keyStart: number;
  keyEnd: number;
}

const SMALL_OBJECT = 16;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function keyText(text: string, start: number, end: number): string {
  const raw = text.slice(start, end);
  return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}

function sameRaw(text: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let k = 1; k < aEnd - a - 1; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/** The path of the innermost frame, built only when a duplicate is reported. */
function pathOf(text: string, frames: readonly Frame[], depth: number): string {
  let path = '$';
  for (let i = 0; i < depth - 1; i++) path += frames[i].isObject ? `.${keyText(text, frames[i].keyStart, frames[i].keyEnd)}` : `[${frames[i].index}]`;
  return path;
}

/**
 * Finds the first duplicate key in a JSON text that `JSON.parse` already accepted (so the syntax is known to be
 * valid and a single pass over the characters suffices: no value is built). Returns null when every object's
 * keys are distinct. Keys are compared after unescaping ("a" and "\u0061" are the same key).
 */
export function findDuplicateKey(text: string): DuplicateKey | null {
  const frames: Frame[] = [];
  let depth = 0;
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
      const top = depth > 0 ? frames[depth - 1] : null;
      if (top?.isObject && (prev === 0x7b || prev === 0x2c)) {
        const end = i + 1;
        if (!top.set && (escaped || top.starts.length >= SMALL_OBJECT)) {
          top.set = new Set(top.starts.map((s, k) => keyText(text, s, top.ends[k])));
        }
        if (top.set) {
          const key = keyText(text, start, end);
          if (top.set.has(key)) return { path: pathOf(text, frames, depth), key };
          top.set.add(key);
        } else {
          for (let k = 0; k < top.starts.length; k++)
            if (sameRaw(text, top.starts[k], top.ends[k], start, end)) return { path: pathOf(text, frames, depth), key: keyText(text, start, end) };
          top.starts.push(start);
          top.ends.push(end);
        }
        top.keyStart = start;
        top.keyEnd = end;
      }
      prev = QUOTE;
      continue;
    }
    if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) continue;
    if (ch === 0x7b || ch === 0x5b) {
      let frame = frames[depth];
      if (!frame) frames.push((frame = { isObject: false, starts: [], ends: [], set: null, index: 0, keyStart: 0, keyEnd: 0 }));
      frame.isObject = ch === 0x7b;
      frame.starts.length = 0;
      frame.ends.length = 0;
      frame.set = null;
      frame.index = 0;
      depth++;
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--;
    } else if (ch === 0x2c && depth > 0 && !frames[depth - 1].isObject) {
      frames[depth - 1].index++;
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
