/**
 * Helpers bench:app's rows call inside the lab page (a function passed to `page.evaluate` cannot import, so both
 * rows reach these through `window.retainLab`): teaching a scene class, watching main-thread frames, a median, and the
 * "Not sure" figures.
 */
import type { LearnerClient } from '../src/app/client';

/** Adds class "Scene k" with `perClass` synthetic pictures of kind k (alternating camera / file); returns its id. */
export async function addSceneClass(
  client: LearnerClient,
  makeScene: (kind: number, seed: number, size?: number) => Promise<ImageBitmap>,
  kind: number,
  perClass: number,
): Promise<string> {
  const c = await client.addClass(`Scene ${kind}`);
  for (let i = 0; i < perClass; i++) await client.addSample(c.id, await makeScene(kind, i, 240), i % 2 ? 'camera' : 'file');
  return c.id;
}

/** What a frame watch saw: the longest gap between animation frames and how many frames ran. */
export interface FrameWatch {
  stop(): { longestMs: number; frames: number };
}

/** Starts a requestAnimationFrame loop timing the main thread; resolves once it has settled (~100 ms). */
export async function watchFrames(): Promise<FrameWatch> {
  let longest = 0;
  let frames = 0;
  let last = performance.now();
  let running = true;
  const tick = (now: number) => {
    longest = Math.max(longest, now - last);
    last = now;
    frames++;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame((now) => {
    last = now;
    requestAnimationFrame(tick);
  });
  await new Promise((r) => setTimeout(r, 100));
  return {
    stop() {
      running = false;
      return { longestMs: longest, frames };
    },
  };
}

/** The median (upper middle for an even count) of a list. */
export function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** One probe picture's open-set answer (the app's `openSet` report plus whether it was "Not sure" / right). */
interface OpenSetProbe {
  score: number;
  threshold: number;
  notSure: boolean;
  right: boolean;
  variants?: Record<string, { score: number; threshold: number }>;
}

/**
 * "Not sure" at the app's default calibration: fresh pictures (seeds 5000+) of the taught kinds `knownKinds`
 * (class ids `ids[kind]`) against pictures (seeds 6000+) of kinds never taught; `perKind` of each. Returns the shares
 * accepted, the false accepts at the threshold that accepts 95 % of these known pictures, and each score's own figures.
 */
export async function openSetFigures(
  client: LearnerClient,
  makeScene: (kind: number, seed: number, size?: number) => Promise<ImageBitmap>,
  ids: readonly string[],
  knownKinds: number[],
  unknownKinds: number[],
  perKind: number,
) {
  const probe = async (kinds: number[], seed: number): Promise<OpenSetProbe[]> => {
    const out: OpenSetProbe[] = [];
    for (const k of kinds)
      for (let i = 0; i < perKind; i++) {
        const p = await client.predict(await makeScene(k, seed + i, 240));
        if (!p.openSet) throw new Error('The open-set test was not calibrated');
        out.push({ ...p.openSet, notSure: !!p.notSure, right: p.top === ids[k] });
      }
    return out;
  };
  const known = await probe(knownKinds, 5000);
  const unknown = await probe(unknownKinds, 6000);
  const share = (v: OpenSetProbe[]) => v.filter((x) => !x.notSure).length / v.length;
  // The threshold that accepts 95 % of these fresh known pictures, and what it lets through.
  const at95 = (scores: number[]) => {
    const sorted = [...scores].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
  };
  const cut = at95(known.map((x) => x.score));
  return {
    openSetTrueAccept: share(known),
    openSetFalseAccept: share(unknown),
    openSetThreshold: known[0].threshold,
    openSetCalibrationPictures: (await client.predict(await makeScene(knownKinds[0], 7000, 240))).openSet?.calibrationPictures ?? null,
    openSetFalseAcceptAtTrueAccept95: unknown.filter((x) => x.score <= cut).length / unknown.length,
    openSetKnownTop1WhenAccepted: known.filter((x) => !x.notSure && x.right).length / Math.max(1, known.filter((x) => !x.notSure).length),
    openSetKnownPictures: known.length,
    openSetUnknownPictures: unknown.length,
    openSetUnknownKinds: unknownKinds,
    // Each open-set score of src/app/worker/open-set.ts at its own calibration, and at 95 % of these known.
    openSetByScore: Object.fromEntries(
      Object.keys(known[0].variants ?? {}).map((kind) => {
        const accepted = (v: OpenSetProbe[]) => v.filter((x) => x.variants![kind].score <= x.variants![kind].threshold).length / v.length;
        const kindCut = at95(known.map((x) => x.variants![kind].score));
        return [
          kind,
          {
            trueAccept: accepted(known),
            falseAccept: accepted(unknown),
            falseAcceptAtTrueAccept95: unknown.filter((x) => x.variants![kind].score <= kindCut).length / unknown.length,
          },
        ];
      }),
    ),
  };
}
