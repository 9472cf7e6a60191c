/** Installing Retain: an Install button once the browser offers `beforeinstallprompt`, else a hint saying how. */
import { t } from '../i18n';
import { h } from './dom';

/** Chromium's install offer (not in the DOM typings). */
interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

/** The install button and, where the browser offers no prompt, the words for installing by hand. */
export interface InstallOffer {
  /** Hidden until the browser offers installing; a click shows the browser's own prompt. */
  button: HTMLButtonElement;
  /** How to install by hand (iOS: Share → Add to Home Screen), or null when installed or the button is offered. */
  hint(): string | null;
}

/** True when running as an installed app. */
function installed(): boolean {
  return (
    matchMedia('(display-mode: standalone)').matches ||
    (navigator as Navigator & { standalone?: boolean }).standalone === true
  );
}

/** iPhone, iPod and iPad (iPadOS reports a Mac with a touch screen): Safari there never offers a prompt. */
function isIos(): boolean {
  const ua = navigator.userAgent;
  return /iPhone|iPad|iPod/.test(ua) || (ua.includes('Macintosh') && navigator.maxTouchPoints > 1);
}

/** Listens for the browser's install offer (call early: the event can come soon after load). */
export function installOffer(): InstallOffer {
  let offer: BeforeInstallPromptEvent | null = null;
  const button = h(
    'button',
    { type: 'button', class: 'header-button', hidden: true, 'data-testid': 'install-button' },
    t('install.button'),
  );
  window.addEventListener('beforeinstallprompt', (e) => {
    // Keep the offer for our button instead of the browser's mini-infobar.
    e.preventDefault();
    offer = e as BeforeInstallPromptEvent;
    button.hidden = false;
  });
  window.addEventListener('appinstalled', () => {
    offer = null;
    button.hidden = true;
  });
  button.addEventListener('click', () => {
    const pending = offer;
    if (!pending) return;
    // An offer can be shown once; the browser sends a new event if the person may be asked again.
    offer = null;
    button.hidden = true;
    void pending.prompt().then(
      () => pending.userChoice,
      () => undefined,
    );
  });
  return {
    button,
    hint: () => (installed() || offer ? null : isIos() ? t('install.hintIos') : t('install.hintOther')),
  };
}
