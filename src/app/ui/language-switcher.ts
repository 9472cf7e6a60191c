/** The language switcher (中文 / English): remembers the choice and reloads the page into it (the project lives in the worker's storage). */
import { LANGUAGES, LANGUAGE_NAMES, currentLanguage, setLanguage, t, type Language } from '../i18n';
import { h } from './dom';

/** What the switcher needs to know: whether a switch would now interrupt work (then it waits). */
export interface LanguageSwitcherOptions {
  /** Returns true while a switch would lose work (learning, capturing, an import). */
  busy?: () => boolean;
}

/**
 * Builds the switcher: one button per language, the current one pressed. A switch reloads the page because every
 * panel writes its words once when built; all state survives (project and settings are stored, the camera restarts).
 */
export function languageSwitcher(opts: LanguageSwitcherOptions = {}): {
  element: HTMLElement;
  /** Re-reads `busy()` and enables or disables the buttons. */
  refresh(): void;
} {
  const buttons = LANGUAGES.map((language: Language) => {
    const pressed = language === currentLanguage();
    const button = h(
      'button',
      {
        type: 'button',
        class: 'small lang-option',
        lang: language,
        'aria-pressed': String(pressed),
        'data-testid': `language-${language}`,
      },
      LANGUAGE_NAMES[language],
    );
    button.addEventListener('click', () => {
      if (language === currentLanguage() || opts.busy?.()) return;
      setLanguage(language);
      location.reload();
    });
    return button;
  });
  const element = h(
    'div',
    {
      class: 'language-switcher',
      role: 'group',
      'aria-label': t('language.label'),
      'data-testid': 'language-switcher',
    },
    buttons,
  );
  return {
    element,
    refresh() {
      const busy = opts.busy?.() ?? false;
      for (const b of buttons) {
        b.disabled = busy && b.getAttribute('aria-pressed') !== 'true';
        b.title = busy ? t('language.busy') : '';
      }
    },
  };
}
