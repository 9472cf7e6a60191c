/**
 * The message catalogues against the sources and each other: every key the code asks for exists in both languages,
 * no catalogue keeps a key nobody asks for, each message has the same placeholders in both, English plurals have
 * both forms; every refusal of the (English-only) project store that a person can meet reaches them in their
 * language; plus language detection, interpolation and Intl formatting in each language.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CATALOGUES,
  LANGUAGES,
  detectLanguage,
  formatBytes,
  formatList,
  formatPercent,
  formatSeconds,
  setLanguage,
  t,
} from '../../../src/app/i18n';
import { AppError } from '../../../src/app/protocol';
import { STORE_REFUSALS, storageError } from '../../../src/app/worker/storage-errors';
import { ProjectStoreError, type ProjectStoreErrorCode } from '../../../src/memory/errors';

const ROOT = path.resolve(import.meta.dirname, '../../..');
/** Where user-visible text is written: the app (UI, worker, platform, bench page) and the service worker. */
const SOURCE_DIRS = ['src/app', 'src/sw'];

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  return readdirSync(abs).flatMap((name) => {
    const file = path.join(abs, name);
    if (statSync(file).isDirectory()) return sourceFiles(path.join(dir, name));
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [file] : [];
  });
}

/** The catalogues themselves are not sources of keys. */
const CATALOGUE_DIRS = ['src/app/i18n/en', 'src/app/i18n/zh-CN'].map((d) => path.join(ROOT, d) + path.sep);
const files = SOURCE_DIRS.flatMap(sourceFiles).filter((f) => !CATALOGUE_DIRS.some((d) => f.startsWith(d)));
const sources = new Map(files.map((f) => [path.relative(ROOT, f), readFileSync(f, 'utf8')]));

/** Every key passed to t('…') in the sources, with the first file that uses it. */
const usedKeys = new Map<string, string>();
for (const [file, text] of sources) {
  for (const m of text.matchAll(/\bt\(\s*'([^']+)'/g)) if (!usedKeys.has(m[1])) usedKeys.set(m[1], file);
}

const en = CATALOGUES.en;
const zh = CATALOGUES['zh-CN'];
const PLURAL = /_(one|other)$/;
const baseOf = (key: string) => key.replace(PLURAL, '');
/** The placeholder names of a message, sorted. */
const placeholders = (message: string) =>
  [...message.matchAll(/\{\{\s*([^},\s]+)[^}]*\}\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('are asked for by the sources (the scan finds the app’s keys)', () => {
    expect(usedKeys.size).toBeGreaterThan(20);
  });

  it('never build a key at run time (a key must be a literal the scan can see)', () => {
    const dynamic = [...sources].filter(([, text]) => /\bt\(\s*[`"]/.test(text)).map(([f]) => f);
    expect(dynamic).toEqual([]);
  });

  for (const language of LANGUAGES) {
    const catalogue = CATALOGUES[language];
    it(`${language}: has every key the sources use`, () => {
      const missing = [...usedKeys]
        .filter(([key]) => !(key in catalogue) && !(`${key}_other` in catalogue))
        .map(([key, file]) => `${key} (${file})`);
      expect(missing).toEqual([]);
    });

    it(`${language}: has no key the sources do not use`, () => {
      const unused = Object.keys(catalogue).filter((key) => !usedKeys.has(baseOf(key)));
      expect(unused).toEqual([]);
    });

    it(`${language}: has no empty message`, () => {
      expect(
        Object.entries(catalogue)
          .filter(([, v]) => v.trim() === '')
          .map(([k]) => k),
      ).toEqual([]);
    });
  }

  it('zh-CN has exactly the English keys (Chinese has no singular form: `_one` only in English)', () => {
    const englishKeys = Object.keys(en)
      .filter((k) => !k.endsWith('_one'))
      .sort();
    expect(Object.keys(zh).sort()).toEqual(englishKeys);
  });

  it('English plurals have both forms and each uses {{count}} in its general form', () => {
    const bases = new Set(
      Object.keys(en)
        .filter((k) => PLURAL.test(k))
        .map(baseOf),
    );
    for (const base of bases) {
      expect(en, base).toHaveProperty([`${base}_one`]);
      expect(en, base).toHaveProperty([`${base}_other`]);
      expect(placeholders(en[`${base}_other`]), base).toContain('count');
      expect(en, `${base} also as a plain key`).not.toHaveProperty([base]);
    }
  });

  it('each message has the same placeholders in both languages', () => {
    const differ = Object.keys(zh)
      .filter((key) => placeholders(zh[key]).join() !== placeholders(en[key]).join())
      .map((key) => `${key}: en {${placeholders(en[key]).join()}} zh {${placeholders(zh[key]).join()}}`);
    expect(differ).toEqual([]);
  });

  it('the Chinese catalogue is Chinese (no message left in English)', () => {
    // Product and technical names stay as they are, and so does a message of placeholders and symbols only;
    // every other message must contain Chinese characters.
    const names = /^(Retain|WebGPU|WebGL|WebAssembly|CPU|English)$/;
    const onlyPlaceholders = /^[\s\p{P}\p{S}\d]*(\{\{[^}]+\}\}[\s\p{P}\p{S}\d]*)*$/u;
    const english = Object.entries(zh)
      .filter(([, v]) => !/\p{Script=Han}/u.test(v) && !names.test(v) && !onlyPlaceholders.test(v))
      .map(([k, v]) => `${k}: ${v}`);
    expect(english).toEqual([]);
  });
});

describe('language', () => {
  afterAll(() => setLanguage('en'));

  it('follows the first Chinese or English entry of navigator.languages', () => {
    expect(detectLanguage(['zh-CN', 'en'])).toBe('zh-CN');
    expect(detectLanguage(['zh-TW'])).toBe('zh-CN');
    expect(detectLanguage(['zh'])).toBe('zh-CN');
    expect(detectLanguage(['en-GB', 'zh-CN'])).toBe('en');
    expect(detectLanguage(['fr-FR', 'zh-Hans-CN', 'en'])).toBe('zh-CN');
    expect(detectLanguage(['fr-FR', 'de'])).toBe('en');
    expect(detectLanguage([])).toBe('en');
  });

  it('fills placeholders and switches without a restart', () => {
    setLanguage('en');
    expect(t('app.startFailed', { reason: 'no <b>GPU</b> & co' })).toBe(
      'Retain could not start: no <b>GPU</b> & co',
    );
    setLanguage('zh-CN');
    expect(t('app.startFailed', { reason: 'x' })).toBe('Retain 无法启动：x');
    // A user's text that looks like a nested key stays as typed.
    expect(t('app.startFailed', { reason: '$t(app.tagline)' })).toBe('Retain 无法启动：$t(app.tagline)');
  });

  it('formats numbers, sizes, durations and lists through Intl in the current language', () => {
    setLanguage('en');
    expect(formatPercent(0.973)).toBe('97%');
    expect(formatPercent(null)).toBe('–');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(512)).toMatch(/^512 (B|byte)$/);
    expect(formatSeconds(3.25)).toMatch(/^3\.3 sec/);
    expect(formatList(['a', 'b', 'c'])).toBe('a, b, and c');
    setLanguage('zh-CN');
    expect(formatPercent(0.5)).toBe('50%');
    expect(formatSeconds(3.25)).toBe('3.3秒');
    expect(formatList(['a', 'b', 'c'])).toBe('a、b和c');
  });
});

describe('store refusals the worker sends to the page', () => {
  afterAll(() => setLanguage('en'));
  /** The store's own words: they must not be what the person reads. */
  const DETAIL = 'the store explains itself in English';
  const shown = (Object.keys(STORE_REFUSALS) as ProjectStoreErrorCode[]).filter((code) => STORE_REFUSALS[code] !== null);

  it('include the ones a person can cause (another tab, a newer app, something deleted elsewhere)', () => {
    expect(shown).toEqual(expect.arrayContaining(['blocked', 'newer-schema', 'project-changed', 'unknown-class', 'unknown-sample']));
  });

  for (const language of LANGUAGES) {
    it(`${language}: each has its own text, with the action in words`, () => {
      setLanguage(language);
      for (const code of shown) {
        const error = storageError(new ProjectStoreError(code, DETAIL), 'open');
        expect(error, code).toBeInstanceOf(AppError);
        expect(error.message, code).not.toContain(DETAIL);
        // A key missing from the catalogue comes back as its name (or, in Chinese, as the English text).
        expect(error.message, code).not.toMatch(/worker\./);
        if (language === 'zh-CN') expect(error.message.replace(t('worker.actionOpen'), ''), code).toMatch(/\p{Script=Han}/u);
      }
      expect(storageError(new ProjectStoreError('blocked', DETAIL), 'open').message).toContain(t('worker.actionOpen'));
    });
  }

  it('a bug in the store keeps its own words, as an internal error', () => {
    const error = storageError(new ProjectStoreError('bad-input', DETAIL), 'saveRound');
    expect([(error as AppError).code, error.message]).toEqual(['internal', t('worker.storageFailed', { action: t('worker.actionSaveRound'), reason: DETAIL })]);
  });
});
