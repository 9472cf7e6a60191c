/**
 * Capturing a picture for a class: its embedding and thumbnail, whether it is held out (every 5th of a class),
 * the stored row, mirrored in the project view only once stored.
 */
import { t } from '../i18n';
import type { ProjectStore, SampleWithThumbnail } from '../../memory/store/project-store';
import type { ClassRecord, SampleRecord } from '../../memory/store/schema';
import type { SampleInfo } from '../protocol';
import type { FeatureExtractor } from './engine-contract';
import type { FrameReader } from './frames';
import type { ProjectView } from './project-view';
import { storageError } from './storage-errors';

/** What a capture works on. */
export interface CaptureContext {
  view: ProjectView;
  store: ProjectStore;
  backbone: FeatureExtractor;
  frames: FrameReader;
}

/** Embeds a frame with the backbone: the centre square at the backbone's input size. */
export function embedFrame(ctx: Pick<CaptureContext, 'backbone' | 'frames'>, frame: ImageBitmap): Promise<Float32Array> {
  return ctx.backbone.embedRgba([ctx.frames.pixels(frame, ctx.backbone.config.inputSize)]);
}

/** Embeds and stores one checked frame of class `c`; the caller frees the frame. */
export async function captureFrame(ctx: CaptureContext, c: ClassRecord, frame: ImageBitmap, source: 'camera' | 'file'): Promise<SampleInfo> {
  const { view, store } = ctx;
  const [embedding, thumb] = await Promise.all([embedFrame(ctx, frame), ctx.frames.thumbnail(frame)]);
  if (!view.classes.has(c.id)) throw new Error(t('worker.classDeleted'));
  const heldOut = view.nextIsHeldOut(c.id);
  let row: SampleRecord;
  try {
    [row] = await store.addSamples([{ classId: c.id, embedding, thumbnail: thumb.bytes, thumbnailType: thumb.type, source, heldOut }]);
  } catch (error) {
    throw storageError(error, 'storeSample');
  }
  view.samples.set(row.id, row);
  const updated = await store.getClass(c.id);
  if (updated) view.classes.set(c.id, updated);
  if (view.samples.size === 1) void store.requestPersistence();
  return { id: row.id, classId: String(c.id), thumbnail: thumb.bytes.slice(0), thumbnailType: thumb.type, heldOut, source, created: row.created };
}

/** A stored sample as the UI lists it. */
export function sampleInfo(s: SampleWithThumbnail): SampleInfo {
  return {
    id: s.id,
    classId: String(s.classId),
    thumbnail: s.thumbnail?.bytes ?? new ArrayBuffer(0),
    thumbnailType: s.thumbnail?.type ?? '',
    heldOut: s.heldOut,
    source: s.source,
    created: s.created,
  };
}
