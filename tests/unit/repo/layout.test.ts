/**
 * The layout rules a newcomer relies on (issue 13): no file under src/ or lab/ past 450 lines, every file under
 * src/ opens with a header comment saying what it is for, one seeded generator. Import cycles and upward imports
 * are checked by `npm run check:imports` (dependency-cruiser) in `npm test`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../../..');

/** Every .ts / .wgsl file below `dir` (relative to the repository root). */
function sources(dir: string, ext = /\.(ts|wgsl)$/): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(path.join(ROOT, d))) {
      const rel = path.join(d, name);
      if (statSync(path.join(ROOT, rel)).isDirectory()) walk(rel);
      else if (ext.test(name)) out.push(rel);
    }
  };
  walk(dir);
  return out;
}

const lines = (file: string) => readFileSync(path.join(ROOT, file), 'utf8').split('\n').length;

describe('repository layout', () => {
  it('no source file under src/ or lab/ is past 450 lines', () => {
    const long = [...sources('src'), ...sources('lab')].filter((f) => lines(f) > 450).map((f) => `${f}: ${lines(f)}`);
    expect(long).toEqual([]);
  });

  it('every file under src/ opens with a comment saying what it is for', () => {
    const bare = sources('src', /\.ts$/).filter((f) => !/^\s*(\/\*\*|\/\*|\/\/)/.test(readFileSync(path.join(ROOT, f), 'utf8')));
    expect(bare).toEqual([]);
  });

  it('one seeded generator: mulberry32 is written once, in src/util/rng.ts', () => {
    const files = [...sources('src'), ...sources('lab'), ...sources('bench'), ...sources('tests')].filter(
      (f) => f !== path.join('tests', 'unit', 'repo', 'layout.test.ts') && /0x6d2b79f5/i.test(readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(files).toEqual([path.join('src', 'util', 'rng.ts')]);
  });
});
