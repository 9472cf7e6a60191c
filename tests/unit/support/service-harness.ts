/**
 * The learner service as the worker runs it, in Node, for the app's and the memory's tests (one or several
 * services on one project, i.e. tabs): a real project store (fake-indexeddb; the test imports
 * 'fake-indexeddb/auto' first), the real engine on tfjs WASM, and a small deterministic feature extractor (colour
 * means of the left and right halves) and frame reader in place of MobileNet and the canvas.
 */
import { ProjectStore, type StoreTestHooks } from '../../../src/memory/store/project-store';
import type { AppEvent, LearnSettings, Prediction, SampleInfo } from '../../../src/app/protocol';
import { clEngine } from '../../../src/app/worker/engine';
import type { FeatureExtractor } from '../../../src/app/worker/engine-contract';
import type { FrameReader } from '../../../src/app/worker/frames';
import { LearnerService } from '../../../src/app/worker/service';

/** A test picture: RGBA bytes of a plain colour with noise; `released` once the service let go of it. */
interface TestFrame {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  released?: boolean;
}

/** Whether the service released a picture made by `picture()` (it must, once it has read it). */
export function wasReleased(frame: ImageBitmap): boolean {
  return (frame as unknown as TestFrame).released === true;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const INPUT = 8;

/** Frames without a canvas: nearest-neighbour pixels; the thumbnail a PNG-signed byte string. */
const testFrames: FrameReader = {
  check(frame) {
    const f = frame as unknown as TestFrame | null;
    if (!f || !(f.rgba instanceof Uint8ClampedArray) || f.width === 0 || f.height === 0) throw new Error('The frame is empty (0 pixels)');
  },
  pixels(frame, size) {
    const f = frame as unknown as TestFrame;
    const out = new Uint8ClampedArray(size * size * 4);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const s = (Math.floor((y * f.height) / size) * f.width + Math.floor((x * f.width) / size)) * 4;
        out.set(f.rgba.subarray(s, s + 4), (y * size + x) * 4);
      }
    return out;
  },
  async thumbnail(frame) {
    const bytes = new Uint8Array(PNG_SIGNATURE.length + 48);
    bytes.set(PNG_SIGNATURE);
    bytes.set((frame as unknown as TestFrame).rgba.subarray(0, 48), PNG_SIGNATURE.length);
    return { bytes: bytes.buffer, type: 'image/png' };
  },
  release(frame) {
    (frame as unknown as TestFrame).released = true;
  },
};

/** Mean R, G, B of the left and the right half, in [0, 1] (6 features). */
export const colourMeans: FeatureExtractor = {
  config: { inputSize: INPUT },
  featureDim: 6,
  async embedRgba(frames) {
    const out = new Float32Array(frames.length * 6);
    frames.forEach((f, i) => {
      for (let y = 0; y < INPUT; y++)
        for (let x = 0; x < INPUT; x++)
          for (let c = 0; c < 3; c++) out[i * 6 + (x < INPUT / 2 ? 0 : 3) + c] += f[(y * INPUT + x) * 4 + c] / 255 / ((INPUT * INPUT) / 2);
    });
    return out;
  },
  dispose() {},
};

/** Base colours of the test classes. */
export const COLOURS = { red: [220, 30, 30], green: [30, 200, 40], blue: [30, 40, 220], yellow: [210, 200, 30] } as const;
export type Colour = keyof typeof COLOURS;

/** A 16x12 picture of a colour with seeded per-picture noise. */
export function picture(colour: Colour, seed: number): ImageBitmap {
  let s = seed * 7919 + 17;
  const noise = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 60;
  const [r, g, b] = COLOURS[colour];
  const rgba = new Uint8ClampedArray(16 * 12 * 4);
  for (let i = 0; i < 16 * 12; i++) rgba.set([r + noise(), g + noise(), b + noise(), 255], i * 4);
  const frame: TestFrame = { width: 16, height: 12, rgba, released: false };
  return frame as unknown as ImageBitmap;
}

/** Quick rounds for tests. */
export const QUICK: LearnSettings = { preset: 'balanced', advanced: { epochs: 40, laterEpochs: 20, learningRate: 0.05, batchSize: 8 } };

/**
 * One service (one "tab") on project database `name` (fresh unless it exists), with every event it emitted; `hooks`
 * inject write failures; `listener.onEvent`, when set, hears each event as it is emitted (to act mid-round).
 */
export async function openService(
  name: string,
  hooks: StoreTestHooks = {},
): Promise<{ service: LearnerService; events: AppEvent[]; listener: { onEvent?: (e: AppEvent) => void } }> {
  const events: AppEvent[] = [];
  const listener: { onEvent?: (e: AppEvent) => void } = {};
  const service = new LearnerService({
    openStore: () => ProjectStore.open({ name, hooks }),
    deleteStore: () => ProjectStore.deleteDatabase(name),
    backbone: colourMeans,
    backend: { backend: 'wasm', note: 'unit test', adapter: null },
    engine: clEngine,
    emit: (e) => {
      events.push(e);
      listener.onEvent?.(e);
    },
    frames: testFrames,
  });
  await service.open();
  return { service, events, listener };
}

/** Adds class `name` with `n` pictures of `colour`; returns its id. */
export async function teach(service: LearnerService, name: string, colour: Colour, n = 10): Promise<string> {
  const c = await service.addClass(name);
  await capture(service, c.id, colour, n, 1000 * Object.keys(COLOURS).indexOf(colour));
  return c.id;
}

/** Adds `n` pictures of a colour (seeds seed0...) to a class; returns what the service said of each. */
export async function capture(service: LearnerService, classId: string, colour: Colour, n: number, seed0 = 0): Promise<SampleInfo[]> {
  const out: SampleInfo[] = [];
  for (let i = 0; i < n; i++) out.push(await service.addSample(classId, picture(colour, seed0 + i), 'camera'));
  return out;
}

/** The predicted class name of a fresh picture of `colour`. */
export async function predictedName(service: LearnerService, colour: Colour): Promise<string | null> {
  const p: Prediction = await service.predict(picture(colour, 9999));
  return p.scores.find((s) => s.classId === p.top)?.name ?? null;
}

/** Probabilities by class name. */
export function byName(p: Prediction): Record<string, number> {
  return Object.fromEntries(p.scores.map((s) => [s.name, s.p]));
}
