/** Banners (persistent notices such as "new version", errors) and short toasts (confirmations). */
import type { ErrorCode } from '../client';
import { t } from '../i18n';
import { h } from './dom';

/** Kind of a banner, which sets its colour and its ARIA role. */
export type BannerKind = 'info' | 'warning' | 'error';

/** Options of one banner. */
export interface BannerOptions {
  /** Stable id: showing a banner with the same id replaces the old one. */
  id: string;
  kind: BannerKind;
  message: string;
  /** Technical detail, shown folded under the message. */
  detail?: string;
  /** An optional action button. */
  action?: { label: string; run: () => void; testid?: string };
  /** Shows a close button (default true). */
  dismissible?: boolean;
  testid?: string;
}

/** Advice added to worker error messages, by error code. */
function advice(code: ErrorCode | string): string | undefined {
  switch (code) {
    case 'storage-full':
      return t('notice.adviceStorageFull');
    case 'device-lost':
      return t('notice.adviceDeviceLost');
    case 'import-refused':
      return t('notice.adviceImportRefused');
    case 'project-changed':
      return t('notice.adviceProjectChanged');
    default:
      return undefined;
  }
}

/** The banner area and the toast area of the page. */
export class Notices {
  readonly banners = h('div', { class: 'banners', 'data-testid': 'banners' });
  readonly toasts = h('div', {
    class: 'toasts',
    role: 'status',
    'aria-live': 'polite',
    'data-testid': 'toasts',
  });

  /** Shows (or replaces) a banner. */
  banner(opts: BannerOptions): HTMLElement {
    this.dismiss(opts.id);
    const el = h(
      'div',
      {
        class: `banner banner-${opts.kind}`,
        role: opts.kind === 'error' ? 'alert' : 'status',
        'data-banner-id': opts.id,
        'data-testid': opts.testid ?? `banner-${opts.id}`,
      },
      h(
        'div',
        { class: 'banner-text' },
        opts.message,
        opts.detail
          ? h(
              'details',
              { class: 'banner-detail' },
              h('summary', {}, t('notice.details')),
              h('p', { class: 'small' }, opts.detail),
            )
          : null,
      ),
    );
    if (opts.action) {
      const action = opts.action;
      el.appendChild(
        h(
          'button',
          {
            type: 'button',
            class: 'primary small',
            'data-testid': action.testid,
            onclick: () => action.run(),
          },
          action.label,
        ),
      );
    }
    if (opts.dismissible !== false) {
      el.appendChild(
        h(
          'button',
          {
            type: 'button',
            class: 'icon',
            'aria-label': t('notice.dismiss'),
            title: t('notice.dismiss'),
            onclick: () => el.remove(),
          },
          '×',
        ),
      );
    }
    this.banners.appendChild(el);
    return el;
  }

  /** Removes the banner with this id, if shown. */
  dismiss(id: string): void {
    this.banners.querySelector(`[data-banner-id="${CSS.escape(id)}"]`)?.remove();
  }

  /** Removes every error banner (after a reset or a successful import they no longer apply). */
  dismissErrors(): void {
    this.banners.querySelectorAll('.banner-error').forEach((el) => el.remove());
  }

  /** Shows an error as a banner, with advice for known codes. */
  error(message: string, code?: ErrorCode | string): void {
    const extra = code ? advice(code) : undefined;
    const text =
      extra && !message.includes(extra) ? t('notice.withAdvice', { message, advice: extra }) : message;
    // One error banner at a time: the newest replaces the last, so errors never pile up above the app.
    this.dismissErrors();
    this.banner({
      id: `error-${code ?? 'ui'}`,
      kind: 'error',
      message: text,
      testid: code ? `error-${code}` : 'error-banner',
    });
  }

  /** A short confirmation that fades by itself. */
  toast(message: string): void {
    const el = h('div', { class: 'toast', 'data-testid': 'toast' }, message);
    this.toasts.appendChild(el);
    setTimeout(() => el.remove(), 4000);
  }
}

/** The error code carried by an AppError-like value, if any. */
export function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}
