/** The one i18next instance and the typed `t()` over it (initialised synchronously on import). */
import i18next from 'i18next';
import { en } from './en/index';
import { LANGUAGES, initialLanguage, isLanguage, type Language } from './language';
import type { MessageKey, MessageParams } from './types';
import { zhCN } from './zh-CN/index';

/** The catalogues, by language. */
export const CATALOGUES: Record<Language, Readonly<Record<string, string>>> = { en, 'zh-CN': zhCN };

const i18n = i18next.createInstance();
void i18n.init({
  lng: initialLanguage(),
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  resources: Object.fromEntries(LANGUAGES.map((l) => [l, { translation: CATALOGUES[l] }])),
  // Flat keys: a '.' or ':' inside a key is part of its name, not a path or a namespace.
  keySeparator: false,
  nsSeparator: false,
  // Text reaches the DOM as textContent, never as HTML: escaping would show "&amp;" in a class name.
  // A user's text inside a message is never read as a nested key either (skipOnVariables, i18next's default).
  interpolation: { escapeValue: false },
  initAsync: false,
});

/** The language in use. */
export function currentLanguage(): Language {
  return isLanguage(i18n.language) ? i18n.language : 'en';
}

/** Switches the language of every later `t()` call. */
export function useLanguage(language: Language): void {
  void i18n.changeLanguage(language);
}

/** The message `key` in the current language, its `{{placeholders}}` filled from `params` (a plural picks by `count`). */
export function t<K extends MessageKey>(key: K, ...params: MessageParams<K>): string {
  return i18n.t(key as string, (params[0] ?? {}) as Record<string, unknown>) as string;
}
