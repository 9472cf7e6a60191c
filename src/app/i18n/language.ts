/** Which language to start in: the person's saved choice, else the browser's preference list. */

/** The languages the app speaks. */
export const LANGUAGES = ['en', 'zh-CN'] as const;
/** One of the app's languages. */
export type Language = (typeof LANGUAGES)[number];

/** Where the person's explicit choice is remembered (localStorage). */
export const LANGUAGE_STORAGE_KEY = 'retain.language';

/** True for one of the app's language tags. */
export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The language for a browser's preference list: the first Chinese or English entry decides (zh* → zh-CN), else English. */
export function detectLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** The saved choice, if any (storage may be missing or refused: workers, Node, privacy modes). */
export function savedLanguage(): Language | null {
  try {
    const value = globalThis.localStorage?.getItem(LANGUAGE_STORAGE_KEY);
    return isLanguage(value) ? value : null;
  } catch {
    return null;
  }
}

/** Remembers an explicit choice (silently not, where storage is refused). */
export function saveLanguage(language: Language): void {
  try {
    globalThis.localStorage?.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // The switch still applies to this page.
  }
}

/** The language to start in: the saved choice, else the browser's preferences (English when there are none). */
export function initialLanguage(): Language {
  const nav = globalThis.navigator as Navigator | undefined;
  return savedLanguage() ?? detectLanguage(nav?.languages?.length ? nav.languages : [nav?.language ?? 'en']);
}
