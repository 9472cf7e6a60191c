/** Two camera helpers: the capture rate measured while the button is held, and the remembered preview mirror. */
import { t } from '../i18n';
import { h } from './dom';

const RATE_STORAGE_KEY = 'retain.captureRate';
const MIRROR_STORAGE_KEY = 'retain.mirror';
/** A hold shorter than this, or with fewer pictures, says too little about the rate to replace the last figure. */
const MIN_HOLD_SECONDS = 1;
const MIN_PICTURES = 3;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not remembered where storage is refused; this page still uses it.
  }
}

/**
 * Pictures stored per second while the capture button is held, measured on this device (the worker embeds every
 * frame, so the rate is the device's, not the timer's) and remembered, so the hint can state it before the next hold.
 */
export class CaptureRate {
  private started = 0;
  private stored = 0;
  private perSecond: number | null;

  constructor() {
    const saved = Number(read(RATE_STORAGE_KEY));
    this.perSecond = Number.isFinite(saved) && saved > 0 ? saved : null;
  }

  /** The last measured rate, or null before any long enough hold. */
  get value(): number | null {
    return this.perSecond;
  }

  /** The button went down. */
  start(): void {
    this.started = performance.now();
    this.stored = 0;
  }

  /** One picture was stored while holding. */
  landed(): void {
    this.stored++;
  }

  /** The button came up: keeps the measurement when the hold was long enough; true when the figure changed. */
  stop(): boolean {
    const seconds = (performance.now() - this.started) / 1000;
    if (seconds < MIN_HOLD_SECONDS || this.stored < MIN_PICTURES) return false;
    this.perSecond = this.stored / seconds;
    write(RATE_STORAGE_KEY, String(this.perSecond));
    return true;
  }
}

/** A toggle that mirrors the preview in `stage` (front cameras feel natural mirrored); remembered across visits. */
export function mirrorToggle(stage: HTMLElement): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', class: 'toggle', title: t('camera.mirrorTitle'), 'data-testid': 'camera-mirror' },
    t('camera.mirror'),
  );
  const apply = (on: boolean) => {
    stage.classList.toggle('is-mirrored', on);
    button.setAttribute('aria-pressed', String(on));
  };
  apply(read(MIRROR_STORAGE_KEY) === '1');
  button.addEventListener('click', () => {
    const on = button.getAttribute('aria-pressed') !== 'true';
    apply(on);
    write(MIRROR_STORAGE_KEY, on ? '1' : '0');
  });
  return button;
}
