/**
 * Helpers bench:app's rows call inside the lab page (a function passed to `page.evaluate` cannot import, so both
 * rows reach these through `window.retainLab`): teaching a scene class, watching main-thread frames, a median.
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
