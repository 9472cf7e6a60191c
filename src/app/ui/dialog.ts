/** Modal confirmation and text-input dialogs built on `<dialog>` (focus trap, Escape to cancel, for free). */
import { t } from '../i18n';
import { h } from './dom';

/** Options of a confirmation. */
export interface ConfirmOptions {
  title: string;
  message: string;
  /** Label of the confirming button, e.g. "Delete class". */
  confirmLabel: string;
  /** Styles the confirming button as destructive. */
  danger?: boolean;
}

/** Asks a yes/no question; resolves true only when the person confirms. */
export function confirmDialog(opts: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h(
      'button',
      { type: 'button', 'data-testid': 'dialog-cancel', value: 'cancel' },
      t('dialog.cancel'),
    );
    const ok = h(
      'button',
      {
        type: 'submit',
        class: opts.danger ? 'danger' : 'primary',
        'data-testid': 'dialog-confirm',
        value: 'ok',
      },
      opts.confirmLabel,
    );
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'dialog-title' }, opts.title),
      h('p', {}, opts.message),
      h('div', { class: 'dialog-actions' }, cancel, ok),
    );
    const dialog = h('dialog', { 'data-testid': 'confirm-dialog', 'aria-labelledby': 'dialog-title' }, form);
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    // The safe choice gets the focus, so an accidental Enter does not destroy anything.
    (opts.danger ? cancel : ok).focus();
  });
}

/** Options of a text prompt. */
export interface PromptOptions {
  title: string;
  label: string;
  initial?: string;
  confirmLabel: string;
  /** Returns an error message for an unacceptable value, or null. */
  validate?: (value: string) => string | null;
}

/** Asks for one line of text; resolves the trimmed value, or null when cancelled. */
export function promptDialog(opts: PromptOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('input', {
      type: 'text',
      id: 'dialog-input',
      value: opts.initial ?? '',
      required: true,
      autocomplete: 'off',
      'data-testid': 'dialog-input',
    });
    const error = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'dialog-error' });
    const cancel = h('button', { type: 'button', 'data-testid': 'dialog-cancel' }, t('dialog.cancel'));
    const ok = h(
      'button',
      { type: 'submit', class: 'primary', 'data-testid': 'dialog-confirm' },
      opts.confirmLabel,
    );
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'dialog-title' }, opts.title),
      h('label', { for: 'dialog-input' }, opts.label),
      input,
      error,
      h('div', { class: 'dialog-actions' }, cancel, ok),
    );
    const dialog = h('dialog', { 'data-testid': 'prompt-dialog', 'aria-labelledby': 'dialog-title' }, form);
    let result: string | null = null;
    form.addEventListener('submit', (ev) => {
      const value = input.value.trim();
      const problem = value ? (opts.validate?.(value) ?? null) : t('dialog.typeName');
      if (problem) {
        ev.preventDefault();
        error.textContent = problem;
        input.focus();
        return;
      }
      result = value;
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      resolve(result);
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    input.select();
  });
}
