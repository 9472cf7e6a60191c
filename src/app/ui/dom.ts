/** Small DOM helpers shared by the screens: element creation, formatting and downloads. */
import { t } from '../i18n';

/** Attributes `h` understands: plain attributes, `class`, `dataset`-style `data-*`, event handlers (`on*`). */
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;
/** Children `h` accepts: nodes, text, or nothing (skipped). */
export type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element: `h('button', { class: 'primary', onclick: go, 'data-testid': 'learn' }, 'Learn')`.
 * Boolean `true` sets an empty attribute, `false`/null/undefined leave it out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'style') {
      // Through the CSSOM: the Content-Security-Policy (style-src 'self') refuses style attributes set as text.
      el.style.cssText = String(value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (flattening arrays, skipping empty values). */
export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

// Sizes and percentages in the current language (Intl), kept importable from here for the panels.
export { formatBytes, formatPercent } from '../i18n';

/** Makes the browser download `data` as `filename` through a temporary `<a download>` blob URL. */
export function downloadBlob(data: BlobPart, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: some browsers start reading the URL only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The message of anything thrown, for showing to a person. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Today's date as YYYY-MM-DD, for file names. */
export function dateStamp(d = new Date()): string {
  return d.toISOString().slice(0, 10);
}

/** Sets up a canvas for crisp drawing at the device pixel ratio; returns its context and CSS size. */
export function prepareCanvas(canvas: HTMLCanvasElement): {
  ctx: CanvasRenderingContext2D;
  width: number;
  height: number;
} {
  const rect = canvas.getBoundingClientRect();
  const width = Math.max(1, Math.round(rect.width || canvas.width));
  const height = Math.max(1, Math.round(rect.height || canvas.height));
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error(t('canvas.unsupported'));
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

/** Options of a file-picking button. */
export interface FileButtonOptions {
  label: string;
  accept: string;
  multiple?: boolean;
  /** data-testid of the (hidden) input; the button gets `${testid}-button`. */
  testid: string;
  className?: string;
  onFiles: (files: File[]) => void;
}

/** A real, focusable button that opens a hidden file input (labels are not keyboard-focusable). */
export function fileButton(opts: FileButtonOptions): {
  input: HTMLInputElement;
  button: HTMLButtonElement;
  wrap: HTMLElement;
} {
  const input = h('input', {
    type: 'file',
    accept: opts.accept,
    multiple: opts.multiple ?? false,
    class: 'visually-hidden',
    tabindex: -1,
    'aria-hidden': 'true',
    'data-testid': opts.testid,
  });
  const button = h(
    'button',
    { type: 'button', class: opts.className ?? '', 'data-testid': `${opts.testid}-button` },
    opts.label,
  );
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) opts.onFiles(files);
  });
  return { input, button, wrap: h('span', { class: 'file-button' }, input, button) };
}
