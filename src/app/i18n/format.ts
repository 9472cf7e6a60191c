/** Numbers, percentages, sizes, durations and lists in the current language, through Intl. */
import { currentLanguage } from './instance';

const cache = new Map<string, Intl.NumberFormat>();
/** One cached Intl.NumberFormat per language and options (building one is slow). */
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${currentLanguage()}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) {
    format = new Intl.NumberFormat(currentLanguage(), options);
    cache.set(key, format);
  }
  return format;
}

/** "1,234" / "0.25": a plain number with at most `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  return numberFormat({ maximumFractionDigits: digits }).format(value);
}

/** "97%" from a fraction in [0,1]; "–" for null or a non-number. */
export function formatPercent(fraction: number | null | undefined, digits = 0): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return numberFormat({
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(fraction);
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** "1.2 MB"-style sizes (decimal units, as browsers and operating systems show storage); "–" for a non-size. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = value >= 100 || unit === 0 ? 0 : 1;
  return numberFormat({
    style: 'unit',
    unit: BYTE_UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: digits,
  }).format(value);
}

/** "3.2 sec" / "3.2秒": a duration in seconds. */
export function formatSeconds(seconds: number, digits = 1): string {
  return numberFormat({
    style: 'unit',
    unit: 'second',
    unitDisplay: 'short',
    maximumFractionDigits: digits,
  }).format(seconds);
}

/** "12 ms" / "12毫秒": a duration in milliseconds, whole. */
export function formatMilliseconds(ms: number): string {
  return numberFormat({
    style: 'unit',
    unit: 'millisecond',
    unitDisplay: 'short',
    maximumFractionDigits: 0,
  }).format(ms);
}

/** "a, b and c" / "a、b和c": a list joined the language's way. */
export function formatList(items: readonly string[], type: 'conjunction' | 'unit' = 'conjunction'): string {
  return new Intl.ListFormat(currentLanguage(), { type, style: 'long' }).format(items);
}

/** A date and time, medium date and short time ("1 Dec 2026, 21:30" / "2026年12月1日 21:30"). */
export function formatDateTime(date: Date | number): string {
  return new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}
