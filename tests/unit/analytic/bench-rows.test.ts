import { describe, expect, it } from 'vitest';
import { BENCH_CONFIG, STRATEGY_NAMES, SCENARIO_IDS, mergeRows, checkTarget, type ResultRow } from '../../../src/bench/cl';

describe('bench:cl rows of the analytic learner', () => {
  it('every scenario runs the analytic strategy, on deskewed features only where the pixels are not permuted', () => {
    expect(STRATEGY_NAMES).toContain('analytic');
    for (const id of SCENARIO_IDS) {
      const spec = BENCH_CONFIG.scenarios[id].strategies.analytic?.analytic;
      expect(spec, id).toBeDefined();
      expect(spec!.featureMap.deskew).toBe(id.startsWith('split'));
    }
  });

  it('a Split MNIST row on the whole MNIST sits beside the 10k row instead of replacing it', () => {
    const row = (data: 'mnist-10k' | 'mnist-70k' | undefined, avgAccuracy: number) =>
      ({ scenario: 'split-mnist-class-il', strategy: 'analytic', iterations: 100, avgAccuracy, ...(data ? { data } : {}) }) as ResultRow;
    const merged = mergeRows([row(undefined, 96.9), row('mnist-70k', 97.9)], [row('mnist-10k', 97.0)]);
    expect(merged.map((r) => [r.data, r.avgAccuracy])).toEqual([
      ['mnist-10k', 97.0],
      ['mnist-70k', 97.9],
    ]);
    // Permuted MNIST runs on the whole MNIST by default: its rows keep their plain key.
    const permuted = (avgAccuracy: number) => ({ scenario: 'permuted-mnist-domain-il', strategy: 'analytic', data: 'mnist-70k', avgAccuracy }) as ResultRow;
    expect(mergeRows([permuted(80)], [permuted(81)]).map((r) => r.avgAccuracy)).toEqual([81]);
  });

  it('the 10k Class-IL target is the joint MLP row; a whole-MNIST row gets no verdict against it', () => {
    const base = { scenario: 'split-mnist-class-il', strategy: 'analytic', iterations: 100, quick: false } as const;
    expect(checkTarget({ ...base, avgAccuracy: 96, data: 'mnist-10k' })).toMatchObject({ ok: true, applies: true });
    expect(checkTarget({ ...base, avgAccuracy: 95.9, data: 'mnist-10k' })).toMatchObject({ ok: false, applies: true });
    expect(checkTarget({ ...base, avgAccuracy: 98, data: 'mnist-70k' })?.applies).toBe(false);
  });
});
