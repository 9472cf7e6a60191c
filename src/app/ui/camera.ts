/** The camera: getUserMedia into a <video>, front/back switching, frame grabbing, readable failure messages. */

import { t } from '../i18n';

/** Which way the camera looks (phones have both). */
export type Facing = 'user' | 'environment';

/** State of the camera as the screens show it. */
export type CameraState =
  | { kind: 'off' }
  | { kind: 'starting' }
  | { kind: 'live'; label: string; facing: Facing | null }
  | { kind: 'error'; reason: 'unsupported' | 'denied' | 'not-found' | 'busy' | 'other'; message: string };

/** Turns a getUserMedia failure into a state with a message a person can act on. */
export function describeCameraError(err: unknown): Extract<CameraState, { kind: 'error' }> {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  const files = t('camera.filesInstead');
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return {
        kind: 'error',
        reason: 'denied',
        message: t('camera.denied', { files }),
      };
    case 'NotFoundError':
    case 'OverconstrainedError':
      return { kind: 'error', reason: 'not-found', message: t('camera.notFound', { files }) };
    case 'NotReadableError':
    case 'AbortError':
      return {
        kind: 'error',
        reason: 'busy',
        message: t('camera.busy', { files }),
      };
    default:
      return {
        kind: 'error',
        reason: 'other',
        message: t('camera.failed', { reason: err instanceof Error ? err.message : String(err), files }),
      };
  }
}

/** Drives one <video> element from the device camera. */
export class Camera {
  private stream: MediaStream | null = null;
  private facing: Facing = 'environment';
  private listeners = new Set<(s: CameraState) => void>();
  private current: CameraState = { kind: 'off' };

  constructor(readonly video: HTMLVideoElement) {}

  /** The state right now. */
  get state(): CameraState {
    return this.current;
  }

  /** Calls `cb` on every state change; returns an unsubscribe function. */
  onChange(cb: (s: CameraState) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** True when a frame can be grabbed now. */
  get ready(): boolean {
    return this.current.kind === 'live' && this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA;
  }

  /** Starts (or restarts) the camera facing `facing`; the result arrives as a state. */
  async start(facing: Facing = this.facing): Promise<CameraState> {
    this.facing = facing;
    if (!navigator.mediaDevices?.getUserMedia) {
      return this.set({
        kind: 'error',
        reason: 'unsupported',
        message: t('camera.unsupported'),
      });
    }
    this.stopTracks();
    this.set({ kind: 'starting' });
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: facing }, width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch (err) {
      return this.set(describeCameraError(err));
    }
    const track = this.stream.getVideoTracks()[0];
    track?.addEventListener('ended', () =>
      this.set({
        kind: 'error',
        reason: 'other',
        message: t('camera.ended'),
      }),
    );
    this.video.srcObject = this.stream;
    try {
      await this.video.play();
    } catch {
      // Autoplay of a muted inline video is allowed everywhere we target; a refusal still leaves frames flowing.
    }
    const settings = track?.getSettings();
    const actualFacing =
      settings?.facingMode === 'user' || settings?.facingMode === 'environment' ? settings.facingMode : null;
    return this.set({ kind: 'live', label: track?.label || t('camera.defaultLabel'), facing: actualFacing });
  }

  /** Switches between the front and the back camera. */
  async switchFacing(): Promise<CameraState> {
    return this.start(this.facing === 'user' ? 'environment' : 'user');
  }

  /** True when the device has more than one camera (worth offering a switch). */
  async hasSeveralCameras(): Promise<boolean> {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      return devices.filter((d) => d.kind === 'videoinput').length > 1;
    } catch {
      return false;
    }
  }

  /** Stops the camera. */
  stop(): void {
    this.stopTracks();
    this.set({ kind: 'off' });
  }

  /** Copies the current video frame into an ImageBitmap (the caller transfers or closes it). */
  async grab(): Promise<ImageBitmap> {
    if (!this.ready) throw new Error(t('camera.notReady'));
    return createImageBitmap(this.video);
  }

  private stopTracks(): void {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
  }

  private set(state: CameraState): CameraState {
    this.current = state;
    this.listeners.forEach((cb) => cb(state));
    return state;
  }
}
