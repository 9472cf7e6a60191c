/**
 * The app's languages: English and Simplified Chinese through one typed `t()` over i18next; the language comes from
 * the person's saved choice, else `navigator.languages` (zh* → zh-CN, else English); `<html lang>`, the title and
 * the description follow it.
 *
 * Why i18next rather than a hand-written typed catalogue: it brings plural rules for every locale (Intl.PluralRules,
 * `_one` / `_other` keys), interpolation that never re-reads a user's text as markup or as a nested key, and fallback
 * to English, all well kept. What it does not give cheaply is a compile-time check, so `t()` (instance.ts) types
 * every key and every `{{placeholder}}` from the English catalogue's literal strings: a missing key or parameter is
 * a compile error, and the zh-CN catalogue must have exactly the English keys (types.ts). tests/unit/app/i18n.test.ts
 * checks both catalogues against the keys the sources use and their placeholders against each other.
 * Catalogues are flat ('panel.thing'), so every key is one greppable string.
 */
import { currentLanguage, t, useLanguage } from './instance';
import { saveLanguage, type Language } from './language';

export { CATALOGUES, currentLanguage, t } from './instance';
export { LANGUAGES, LANGUAGE_STORAGE_KEY, detectLanguage, initialLanguage, type Language } from './language';
export type { MessageKey, MessageParams } from './types';
export {
  formatBytes,
  formatDateTime,
  formatList,
  formatMilliseconds,
  formatNumber,
  formatPercent,
  formatSeconds,
} from './format';

/** The name of each language in that language, for the switcher. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': '中文' };

/** Switches language and remembers the choice; the page's lang, title and description follow. */
export function setLanguage(language: Language): void {
  useLanguage(language);
  saveLanguage(language);
  applyToDocument();
}

/** Puts the current language on the page: `<html lang>`, `<title>` and the meta description. */
export function applyToDocument(): void {
  if (typeof document === 'undefined') return;
  document.documentElement.lang = currentLanguage();
  document.title = t('meta.title');
  document.querySelector('meta[name="description"]')?.setAttribute('content', t('meta.description'));
}
