import { describe, expect, it } from 'vitest';
import { ImportError, crc32, decodeProject, encodeProject, sniffImageType, type DecodeOptions, type ImportErrorCode } from '../../../src/memory';
import { findDuplicateKey } from '../../../src/memory/strict-json';
import { resolveSettings } from '../../../src/app/worker/settings';
import type { AdvancedSettings } from '../../../src/app/protocol';
import { semanticFuzzCases, syntheticProjectRows, type SemanticMutation } from '../../../lab/fixtures/memory/semantic-fuzz';

const { good, embeddingDim, mutations } = semanticFuzzCases(16);
const OPTIONS: DecodeOptions = {
  embeddingDim,
  validateStrategy: (s) => void resolveSettings({ preset: s.preset, advanced: s.settings as unknown as Partial<AdvancedSettings> }),
};

function refusal(bytes: Uint8Array, options: DecodeOptions = OPTIONS): ImportError | null {
  try {
    decodeProject(bytes, options);
    return null;
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
}

function mutation(name: string): SemanticMutation {
  const m = mutations.find((x) => x.name === name);
  if (!m) throw new Error(`no mutation named ${name}`);
  return m;
}

describe('decodeProject: a valid file', () => {
  it('accepts the app-format project and re-encodes it byte for byte', () => {
    const rows = decodeProject(good, OPTIONS);
    expect(rows.classes).toHaveLength(4);
    expect(rows.samples).toHaveLength(20);
    expect(rows.thumbnails.map((t) => t.type).sort()).toContain('image/webp');
    const again = encodeProject(rows, { exportedAt: 1_700_000_000_000 });
    expect(Buffer.from(again).equals(Buffer.from(good))).toBe(true);
  });

  it('stores colours in lower case', () => {
    const rows = decodeProject(mutation('class 2 colour #ABCDEF (valid)').bytes, OPTIONS);
    expect(rows.classes[2].colour).toBe('#abcdef');
  });

  it('decodes into typed arrays no larger than the file', () => {
    const rows = decodeProject(good, OPTIONS);
    let bytes = 0;
    for (const s of rows.samples) bytes += s.embedding.byteLength + (s.logits?.byteLength ?? 0);
    for (const t of rows.thumbnails) bytes += t.bytes.byteLength;
    for (const c of rows.checkpoints) for (const t of c.engineState.tensors) bytes += t.data.byteLength;
    expect(bytes).toBeLessThan(good.byteLength);
    // Each row owns its buffer (structured clone into IndexedDB copies the whole buffer of a view).
    expect(rows.samples[0].embedding.buffer.byteLength).toBe(embeddingDim * 4);
  });
});

describe('decodeProject: the semantic fuzz', () => {
  it('has at least 300 mutations with distinct names, valid and invalid ones', () => {
    expect(mutations.length).toBeGreaterThanOrEqual(300);
    expect(new Set(mutations.map((m) => m.name)).size).toBe(mutations.length);
    expect(mutations.filter((m) => m.expectValid).length).toBeGreaterThan(10);
  });

  it('refuses every invalid mutation with an ImportError and a message, and accepts every valid one', () => {
    const wrong: string[] = [];
    for (const m of mutations) {
      const e = refusal(m.bytes);
      if (m.expectValid && e) wrong.push(`refused ${m.name}: ${e.message}`);
      if (!m.expectValid && !e) wrong.push(`accepted ${m.name}`);
      if (e && e.message.length < 10) wrong.push(`${m.name}: message too short: ${e.message}`);
    }
    expect(wrong).toEqual([]);
  });

  // The files the issue found destroying a project or wrongly accepted, each with the reason a user would read.
  const cases: [string, ImportErrorCode, RegExp][] = [
    ['meta buffer.policyState "garbage"', 'bad-manifest', /meta\[3\]\.value\.policyState/],
    ['metrics.rounds 5', 'bad-manifest', /checkpoints\[1\]\.metrics\.rounds/],
    ['metrics.rounds [{}]', 'bad-manifest', /metrics\.rounds\[0\]/],
    ['checkpoint tensor dtype int32', 'bad-manifest', /float32/],
    ['schemaVersion 0', 'unsupported-version', /schema 0/],
    ['duplicate meta key nextClassId 0 (JSON key)', 'duplicate-key', /"value" appears twice in \$\.meta\[1\]/],
    ['duplicate meta row nextClassId 0', 'duplicate-key', /meta "nextClassId" is given twice/],
    ['class id 1e9', 'bad-class', /classes\[3\]\.id/],
    ['class id 2^53', 'bad-class', /classes\[3\]\.id/],
    ['class 0 name empty', 'bad-class', /cannot be empty/],
    ['class 0 name 1 MB', 'bad-class', /at most 60 characters/],
    ['class 1 name duplicates class 0 in another case', 'bad-class', /same name/],
    ['class 0 colour "url(https://evil.example/x)"', 'bad-class', /#rrggbb/],
    ['sample 0 thumbnail type text/html', 'bad-thumbnail', /samples\[0\]\.thumbnail\.type/],
    ['sample 0 thumbnail type image/svg+xml', 'bad-thumbnail', /samples\[0\]\.thumbnail\.type/],
    ['thumbnail 0 bytes are SVG, declared image/png', 'bad-thumbnail', /declared image\/png but its bytes are not a JPEG, PNG or WebP image/],
    ['checkpoint 1 engine numOutputs 20001', 'bad-manifest', /numOutputs/],
    ['buffer policy reservoir with a class-balanced state', 'inconsistent', /class-balanced/],
    ['checkpoint 1 classToOutput output beyond the head', 'inconsistent', /maps to output 50/],
    ['checkpoint 1 engine inputDim + 1', 'shape-mismatch', /width 17/],
    ['sample 0 embedding NaN', 'bad-section', /not finite/],
    ['sample 0 embedding start shifted', 'shape-mismatch', /expected 0/],
  ];
  it.each(cases)('%s: %s', (name, code, message) => {
    const e = refusal(mutation(name).bytes);
    expect(e?.code).toBe(code);
    expect(e?.message).toMatch(message);
  });

  it("refuses a strategy the app's settings check refuses", () => {
    const m = structuredClone(syntheticProjectRows(16));
    (m.checkpoints[1].strategy!.settings as Record<string, unknown>).epochs = 0;
    const e = refusal(encodeProject(m));
    expect(e?.code).toBe('inconsistent');
    expect(e?.message).toMatch(/epochs/);
    expect(refusal(encodeProject(m), { embeddingDim })).toBeNull();
  });
});

describe('decodeProject: widths and memory', () => {
  it("refuses embeddings of another width than the app's backbone", () => {
    const e = refusal(good, { embeddingDim: 1280 });
    expect(e?.code).toBe('shape-mismatch');
    expect(e?.message).toMatch(/embedding width 16, expected 1280/);
  });

  it('refuses samples that all reference the same embedding (no byte is decoded twice)', () => {
    const rows = syntheticProjectRows(16);
    const file = encodeProject(rows);
    const length = new DataView(file.buffer).getUint32(12, true);
    const manifest = JSON.parse(new TextDecoder().decode(file.subarray(20, 20 + length)));
    for (const s of manifest.samples) s.embedding = [0, 16];
    const text = new TextEncoder().encode(JSON.stringify(manifest));
    const out = new Uint8Array(20 + text.length + file.length - 20 - length);
    out.set(file.subarray(0, 20));
    out.set(text, 20);
    out.set(file.subarray(20 + length), 20 + text.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(12, text.length, true);
    dv.setUint32(16, crc32(text), true);
    const e = refusal(out);
    expect(e?.code).toBe('shape-mismatch');
    expect(e?.message).toMatch(/starts at byte 0 of the embeddings section, expected 64/);
  });
});

describe('duplicate JSON keys and image signatures', () => {
  it('finds a duplicate key anywhere, after unescaping, and nothing in strings or across objects', () => {
    expect(findDuplicateKey('{"a":[{"b":1},{"c":{"d":1,"d":2}}]}')).toEqual({ path: '$.a[1].c', key: 'd' });
    expect(findDuplicateKey('{"a":1,"\\u0061":2}')).toEqual({ path: '$', key: 'a' });
    expect(findDuplicateKey('{"a":"\\"a","b":{"x":"}\\"x","y":1}}')).toBeNull();
    expect(findDuplicateKey('[{"a":1},{"a":1}]')).toBeNull();
    const wide = `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')},"k33":0}`;
    expect(findDuplicateKey(wide)).toEqual({ path: '$', key: 'k33' });
  });

  it('tells JPEG, PNG and WebP by their bytes and nothing else', () => {
    expect(sniffImageType(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('image/png');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(new TextEncoder().encode('<svg onload="x"/>'))).toBeNull();
    expect(sniffImageType(new TextEncoder().encode('GIF89a'))).toBeNull();
  });
});
