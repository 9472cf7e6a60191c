/**
 * The first-run guide: three steps (add a class, give it varied pictures, learn) at the top of the app on a first
 * visit, until dismissed or until a first round is learned; the header's Help button shows it again. It is a
 * region in the page, not a modal, so nothing is blocked while a person reads it.
 */
import { t } from '../i18n';
import { h } from './dom';
import type { InstallOffer } from './install';
import type { Store } from './store';

/** Where "the guide was dismissed" is remembered (localStorage). */
const GUIDE_SEEN_KEY = 'retain.guideSeen';

function seen(): boolean {
  try {
    return localStorage.getItem(GUIDE_SEEN_KEY) === '1';
  } catch {
    return false;
  }
}

function markSeen(): void {
  try {
    localStorage.setItem(GUIDE_SEEN_KEY, '1');
  } catch {
    // Storage refused: the guide shows again next visit, which is harmless.
  }
}

/** The guide's element and the header button that opens it again. */
export interface FirstRunGuide {
  element: HTMLElement;
  helpButton: HTMLButtonElement;
}

/** Builds the guide (shown now on a first visit) and the Help button. */
export function firstRunGuide(store: Store, install: InstallOffer): FirstRunGuide {
  const steps: [string, string][] = [
    [t('guide.step1Title'), t('guide.step1')],
    [t('guide.step2Title'), t('guide.step2')],
    [t('guide.step3Title'), t('guide.step3')],
  ];
  const installHint = h('p', { class: 'hint small', 'data-testid': 'install-hint' });
  const close = h('button', { type: 'button', class: 'primary', 'data-testid': 'guide-close' }, t('guide.close'));
  const heading = h('h2', { id: 'guide-heading', tabindex: -1 }, t('guide.title'));
  const element = h(
    'section',
    { class: 'panel guide', 'aria-labelledby': 'guide-heading', 'data-testid': 'first-run-guide', hidden: true },
    heading,
    h(
      'ol',
      { class: 'guide-steps' },
      steps.map(([title, text]) => h('li', {}, h('strong', {}, title), h('p', {}, text))),
    ),
    h('div', { class: 'guide-foot' }, h('div', {}, h('p', { class: 'hint small' }, t('guide.privacy')), installHint), close),
  );
  const helpButton = h(
    'button',
    {
      type: 'button',
      class: 'header-button',
      'aria-controls': 'first-run-guide',
      'aria-expanded': 'false',
      'data-testid': 'help-button',
    },
    t('help.button'),
  );
  element.id = 'first-run-guide';

  const show = (focus: boolean) => {
    installHint.textContent = install.hint() ?? '';
    element.hidden = false;
    helpButton.setAttribute('aria-expanded', 'true');
    if (focus) {
      element.scrollIntoView({ block: 'start', behavior: 'smooth' });
      heading.focus({ preventScroll: true });
    }
  };
  const hide = () => {
    markSeen();
    element.hidden = true;
    helpButton.setAttribute('aria-expanded', 'false');
  };
  close.addEventListener('click', () => {
    hide();
    helpButton.focus();
  });
  helpButton.addEventListener('click', () => (element.hidden ? show(true) : hide()));

  // First use: shown until dismissed; a learned round means the person is past the first steps.
  let automatic = !seen() && store.state.rounds === 0;
  if (automatic) show(false);
  store.subscribe((s) => {
    if (automatic && s.rounds > 0) {
      automatic = false;
      hide();
    }
  });
  return { element, helpButton };
}
