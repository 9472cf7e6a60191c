/**
 * Fake-camera videos for Chromium's `--use-file-for-fake-video-capture`: Y4M (YUV4MPEG2, 4:2:0) files with
 * visually distinct moving scenes, one per class, plus per-frame noise so that no two frames are identical.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { seededRng } from '../../../src/util/rng';

/** The scenes the generator can draw; each one stands for one class in the app tests. */
export type SceneName = 'red-stripes' | 'green-circles' | 'blue-checkerboard';

/** Options of one generated video. */
export interface Y4mOptions {
  width?: number;
  height?: number;
  /** Frames per second written in the header (Chromium plays the file at this rate and loops it). */
  fps?: number;
  seconds?: number;
  /** Amplitude of the uniform per-pixel noise, in 0-255 units. */
  noise?: number;
  /** Seed of the noise, so that a given call always writes the same bytes. */
  seed?: number;
}

type Rgb = [number, number, number];

/** The colour of one pixel of a scene at time `t` (seconds); scenes move so consecutive frames differ. */
function scenePixel(scene: SceneName, x: number, y: number, w: number, h: number, t: number): Rgb {
  switch (scene) {
    case 'red-stripes': {
      // Diagonal red/dark-red stripes drifting right, on a warm background.
      const period = 40;
      const phase = (x + y * 0.5 + t * 60) % period;
      return phase < period / 2 ? [220, 30, 30] : [110, 15, 20];
    }
    case 'green-circles': {
      // Green discs on a pale background, their centres orbiting slowly.
      const cell = 80;
      const ox = Math.sin(t * 2) * 12;
      const oy = Math.cos(t * 2) * 12;
      const cx = ((((x + ox) % cell) + cell) % cell) - cell / 2;
      const cy = ((((y + oy) % cell) + cell) % cell) - cell / 2;
      const inside = cx * cx + cy * cy < (cell * 0.32) ** 2;
      return inside ? [30, 170, 60] : [215, 235, 210];
    }
    case 'blue-checkerboard': {
      // Blue/white checkerboard scrolling diagonally, with a slow vertical gradient.
      const size = 32;
      const sx = Math.floor((x + t * 25) / size);
      const sy = Math.floor((y + t * 15) / size);
      const shade = 0.8 + 0.2 * (y / h);
      return (sx + sy) % 2 === 0 ? [25 * shade, 60 * shade, 200 * shade] : [230, 235, 250];
    }
  }
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Draws one frame of a scene at time `t` into `out` (RGB, row-major, 0-255 plus noise, unclamped). */
function renderScene(
  scene: SceneName,
  width: number,
  height: number,
  t: number,
  rand: () => number,
  noise: number,
  out: Float32Array,
): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = scenePixel(scene, x, y, width, height, t);
      const n = (rand() - 0.5) * 2 * noise;
      const i = (y * width + x) * 3;
      out[i] = r + n;
      out[i + 1] = g + n;
      out[i + 2] = b + n;
    }
  }
}

/** One still frame of a scene as a 24-bit BMP file (a format every browser's createImageBitmap decodes). */
export function makeBmp(
  scene: SceneName,
  opts: { width?: number; height?: number; t?: number; noise?: number; seed?: number } = {},
): Buffer {
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const rgb = new Float32Array(width * height * 3);
  renderScene(scene, width, height, opts.t ?? 0, seededRng(opts.seed ?? 7), opts.noise ?? 18, rgb);
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const pixelBytes = rowBytes * height;
  const file = Buffer.alloc(54 + pixelBytes);
  file.write('BM', 0, 'ascii');
  file.writeUInt32LE(54 + pixelBytes, 2);
  file.writeUInt32LE(54, 10); // pixel data offset
  file.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22); // positive: bottom-up rows
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  file.writeUInt32LE(pixelBytes, 34);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      file[row + x * 3] = clamp(rgb[i + 2]);
      file[row + x * 3 + 1] = clamp(rgb[i + 1]);
      file[row + x * 3 + 2] = clamp(rgb[i]);
    }
  }
  return file;
}

/** Builds the bytes of a Y4M file (full-range BT.601 YCbCr, which is what `C420jpeg` means). */
export function makeY4m(scene: SceneName, opts: Y4mOptions = {}): Buffer {
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const fps = opts.fps ?? 10;
  const frames = Math.max(1, Math.round((opts.seconds ?? 4) * fps));
  const noise = opts.noise ?? 18;
  if (width % 2 || height % 2) throw new Error(`Y4M 4:2:0 needs even sizes, got ${width}x${height}`);
  const rand = seededRng(opts.seed ?? 1);

  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`, 'ascii');
  const frameHeader = Buffer.from('FRAME\n', 'ascii');
  const ySize = width * height;
  const cSize = (width / 2) * (height / 2);
  const chunks: Buffer[] = [header];
  const rgb = new Float32Array(ySize * 3);

  for (let f = 0; f < frames; f++) {
    renderScene(scene, width, height, f / fps, rand, noise, rgb);
    const planes = Buffer.alloc(ySize + 2 * cSize);
    for (let i = 0; i < ySize; i++) {
      const r = rgb[i * 3];
      const g = rgb[i * 3 + 1];
      const b = rgb[i * 3 + 2];
      planes[i] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
    }
    // Chroma: average each 2x2 block, then convert.
    for (let cy = 0; cy < height / 2; cy++) {
      for (let cx = 0; cx < width / 2; cx++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (const [dx, dy] of [
          [0, 0],
          [1, 0],
          [0, 1],
          [1, 1],
        ] as const) {
          const i = ((cy * 2 + dy) * width + cx * 2 + dx) * 3;
          r += rgb[i];
          g += rgb[i + 1];
          b += rgb[i + 2];
        }
        r /= 4;
        g /= 4;
        b /= 4;
        const ci = cy * (width / 2) + cx;
        planes[ySize + ci] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
        planes[ySize + cSize + ci] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
      }
    }
    chunks.push(frameHeader, planes);
  }
  return Buffer.concat(chunks);
}

/** Writes one Y4M file per scene into a fresh temp folder and returns their paths by scene. */
export function writeSceneVideos(
  scenes: SceneName[] = ['red-stripes', 'green-circles', 'blue-checkerboard'],
  opts: Y4mOptions = {},
): Record<SceneName, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'retain-y4m-'));
  const out = {} as Record<SceneName, string>;
  scenes.forEach((scene, i) => {
    const file = path.join(dir, `${scene}.y4m`);
    writeFileSync(file, makeY4m(scene, { seed: 1 + i, ...opts }));
    out[scene] = file;
  });
  return out;
}

/** Writes `count` still BMP frames of each scene (different moments, different noise) into a fresh temp folder. */
export function writeSceneStills(
  scenes: SceneName[] = ['red-stripes', 'green-circles', 'blue-checkerboard'],
  count = 3,
): Record<SceneName, string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'retain-stills-'));
  const out = {} as Record<SceneName, string[]>;
  scenes.forEach((scene, i) => {
    out[scene] = Array.from({ length: count }, (_, k) => {
      const file = path.join(dir, `${scene}-${k + 1}.bmp`);
      writeFileSync(file, makeBmp(scene, { t: 0.37 * k, seed: 100 + 10 * i + k }));
      return file;
    });
  });
  return out;
}
