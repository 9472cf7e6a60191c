/**
 * The round-safety figures of bench:memory, measured in Node on fake-indexeddb (lab/fixtures/memory/round-safety.ts):
 * `fullDiskRoundsHalfWritten` over every write of a round failing with QuotaExceededError (a full disk from there on,
 * and a single failed write), and `twoTabRoundsLost` over two-tab trials (two connections to one database, the
 * second writer trained from the round before the first one's commit). `npx tsx bench/memory/round-safety.ts`
 * updates those keys of bench-results/memory.json in place; bench/memory/run.ts calls `measureRoundSafety()`.
 */
import 'fake-indexeddb/auto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DiskFiller } from '../../lab/fixtures/memory/full-disk';
import { fullDiskTrials, twoTabTrial } from '../../lab/fixtures/memory/round-safety';

/** Two-tab trials per run. */
const TWO_TAB_TRIALS = 10;

/** Targets of the round-safety keys. */
export const ROUND_SAFETY_TARGETS = { fullDiskRoundsHalfWritten: '== 0', twoTabRoundsLost: '== 0' };

/** The round-safety keys of bench-results/memory.json and their details. */
export interface RoundSafety {
  keys: {
    fullDiskInjectionPoints: number;
    fullDiskRoundsHalfWritten: number;
    fullDiskRoundsRetriedAfterFreeing: number;
    twoTabTrials: number;
    twoTabRoundsLost: number;
    twoTabSecondWriterTold: number;
  };
  details: Record<string, unknown>;
}

/** Runs every full-disk injection point and the two-tab trials. */
export async function measureRoundSafety(): Promise<RoundSafety> {
  const filler = new DiskFiller().install();
  let disk: Awaited<ReturnType<typeof fullDiskTrials>>;
  try {
    disk = await fullDiskTrials(filler);
  } finally {
    filler.uninstall();
  }
  const tabs = [];
  for (let seed = 1; seed <= TWO_TAB_TRIALS; seed++) tabs.push(await twoTabTrial(seed));
  const failed = disk.outcomes.filter((o) => !o.committed);
  const keys = {
    fullDiskInjectionPoints: disk.outcomes.length,
    fullDiskRoundsHalfWritten: disk.outcomes.filter((o) => o.halfWritten).length,
    fullDiskRoundsRetriedAfterFreeing: failed.filter((o) => o.retried).length,
    twoTabTrials: tabs.length,
    twoTabRoundsLost: tabs.reduce((n, t) => n + t.lost.length, 0),
    twoTabSecondWriterTold: tabs.filter((t) => t.secondWriterTold).length,
  };
  const details = {
    fullDiskSetup: `fake-indexeddb in Node; a project with one committed round, the next round staged (class-balanced memory, 3 per class, evicting); the round's ${disk.writesPerRound} write requests (its transaction and the packed snapshot after it) each made to fail with QuotaExceededError, once as a full disk from that write on and once alone; half-written = a failed round changed any object store (digest of every store), or a committed one does not reopen to exactly the memory in RAM with consistent class counts`,
    fullDiskOutcomes: disk.outcomes.map((o) => `${o.mode}@${o.at}:${o.committed ? 'committed' : o.retried ? 'refused,retried' : 'refused'}${o.halfWritten ? ' HALF' : ''}`),
    twoTabSetup: `${TWO_TAB_TRIALS} trials in Node: tab B opens, tab A opens, A teaches Cat and commits, B teaches Dog from what it read; a round is lost when a tab was told it was saved and the final stored history lacks it. The browser run is tests/e2e/tabs.spec.ts`,
  };
  console.log(
    `round safety: ${keys.fullDiskRoundsHalfWritten}/${keys.fullDiskInjectionPoints} full-disk rounds half written, ${keys.fullDiskRoundsRetriedAfterFreeing}/${failed.length} failed rounds retried after freeing; ${keys.twoTabRoundsLost} rounds lost over ${keys.twoTabTrials} two-tab trials`,
  );
  return { keys, details };
}

/** Updates the round-safety keys of bench-results/memory.json in place (every other key kept). */
async function main(): Promise<void> {
  const results = 'bench-results/memory.json';
  const safety = await measureRoundSafety();
  const previous = existsSync(results) ? (JSON.parse(readFileSync(results, 'utf8')) as Record<string, any>) : {};
  const merged = {
    ...previous,
    ...safety.keys,
    targets: { ...previous.targets, ...ROUND_SAFETY_TARGETS },
    details: { ...previous.details, ...safety.details },
    roundSafetyMeasuredAt: new Date().toISOString(),
  };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(results, `${JSON.stringify(merged, null, 2)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
