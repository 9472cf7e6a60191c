/**
 * Frame preparation in the worker: the centre square of a camera frame or picture, resized for the backbone,
 * and a small thumbnail for the UI. Uses OffscreenCanvas (workers have no DOM); the browser's resampling is
 * both faster and smoother than a bilinear resize on the GPU for a single frame.
 */
import { t } from '../i18n';

/** Pixels of one frame for the backbone: RGBA bytes, size x size. */
export interface FramePixels {
  size: number;
  rgba: Uint8ClampedArray;
}

/** Edge of the thumbnails, in pixels. */
export const THUMBNAIL_SIZE = 96;

/** The largest centred square of a width x height frame. */
function centreSquare(width: number, height: number): { sx: number; sy: number; side: number } {
  const side = Math.min(width, height);
  return { sx: Math.floor((width - side) / 2), sy: Math.floor((height - side) / 2), side };
}

/** Checks a frame is a usable, non-empty image. */
export function checkFrame(frame: unknown): asserts frame is ImageBitmap {
  if (typeof ImageBitmap === 'undefined' || !(frame instanceof ImageBitmap))
    throw new Error('The frame must be an ImageBitmap (createImageBitmap(video or image))');
  if (frame.width === 0 || frame.height === 0)
    throw new Error(t('worker.emptyFrame'));
}

/** The centre square of the frame resized to size x size (RGBA). */
export function framePixels(frame: ImageBitmap, size: number): FramePixels {
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error(t('worker.noOffscreenCanvas'));
  const { sx, sy, side } = centreSquare(frame.width, frame.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(frame, sx, sy, side, side, 0, 0, size, size);
  return { size, rgba: ctx.getImageData(0, 0, size, size).data };
}

/** A THUMBNAIL_SIZE-pixel WebP (or JPEG where WebP encoding is missing) of the frame's centre square. */
export async function frameThumbnail(frame: ImageBitmap): Promise<{ bytes: ArrayBuffer; type: string }> {
  const canvas = new OffscreenCanvas(THUMBNAIL_SIZE, THUMBNAIL_SIZE);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error(t('worker.noOffscreenCanvas'));
  const { sx, sy, side } = centreSquare(frame.width, frame.height);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(frame, sx, sy, side, side, 0, 0, THUMBNAIL_SIZE, THUMBNAIL_SIZE);
  let blob = await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
  // Browsers without a WebP encoder silently return PNG: prefer the smaller JPEG then.
  if (blob.type !== 'image/webp') blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
  return { bytes: await blob.arrayBuffer(), type: blob.type };
}

/**
 * How the service reads a frame: checks it, takes its pixels and thumbnail, and frees it. The worker uses the
 * OffscreenCanvas functions above; Node tests, which have no canvas, pass their own.
 */
export interface FrameReader {
  /** Throws a specific message when the frame is not a usable image. */
  check(frame: unknown): void;
  /** The centre square at size x size, RGBA. */
  pixels(frame: ImageBitmap, size: number): Uint8ClampedArray;
  /** A small encoded picture of the frame for the UI. */
  thumbnail(frame: ImageBitmap): Promise<{ bytes: ArrayBuffer; type: string }>;
  /** Frees the frame's memory (every frame passed to the service is released once used). */
  release(frame: unknown): void;
}

/** The browser's frame reader (OffscreenCanvas in the worker). */
export const canvasFrameReader: FrameReader = {
  check: checkFrame,
  pixels: (frame, size) => framePixels(frame, size).rgba,
  thumbnail: frameThumbnail,
  release(frame) {
    if (typeof ImageBitmap !== 'undefined' && frame instanceof ImageBitmap) frame.close();
  },
};
