/**
 * The learner worker's composition root: picks the backend, loads the backbone and the project, then answers
 * `LearnerClient`'s calls (src/app/protocol.ts) and pushes events. All tfjs work of the app happens here, off
 * the main thread.
 */
/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs';
import {
  AppError,
  type AppEvent,
  type BackendName,
  type ErrorCode,
  type Method,
  type RequestMessage,
  type StartOptions,
  type WorkerMessage,
} from '../protocol';
import { Backbone, mobileNetV2Config } from '../platform/backbone';
import { chooseBackend, currentWebGpuDevice, type BackendChoice } from '../platform/backend';
import { registerWebGpuKernels } from '../../kernels';
import { clEngine } from './engine';
import { DEFAULT_DB_NAME, ProjectStore } from '../../memory/store/project-store';
import { isQuotaError } from '../../memory/errors';
import { LearnerService } from './service';
import { setLanguage, t } from '../i18n';

declare const self: DedicatedWorkerGlobalScope;

/** Written into the project database (schema meta). */
const APP_VERSION = '0.1.0';

let service: LearnerService | null = null;
let starting: Promise<void> | null = null;
let forcedBackend: BackendName | undefined;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Resolved by the next 'backend' event (end of a device-loss recovery). */
const backendWaiters: (() => void)[] = [];

function emit(event: AppEvent): void {
  post({ kind: 'event', event });
  if (event.type === 'backend') backendWaiters.splice(0).forEach((wake) => wake());
}


/** Activates a backend and loads the backbone on it; watches a WebGPU device for loss. */
async function startBackend(forced: BackendName | undefined, exclude: BackendName[]): Promise<{ backend: BackendChoice; backbone: Backbone }> {
  const backend = await chooseBackend(forced, exclude);
  // The fused WGSL losses (EWC, Fisher, distillation) take over on WebGPU; other backends use the tfjs reference.
  const kernels = await registerWebGpuKernels();
  if (kernels.fused) backend.note += '; fused WGSL continual-learning kernels active';
  const backbone = await Backbone.load(mobileNetV2Config()).catch((error: unknown) => {
    throw new AppError('internal', t('worker.backboneFailed', { reason: (error as Error)?.message ?? String(error) }));
  });
  watchDevice(exclude);
  return { backend, backbone };
}

/** On a lost GPU device: move to the next backend, reload the weights from the last checkpoint, carry on. */
function watchDevice(exclude: BackendName[]): void {
  const device = currentWebGpuDevice();
  if (!device) return;
  void device.lost.then((info) => {
    if (!service || tf.getBackend() !== 'webgpu' || currentWebGpuDevice() !== device) return;
    const next = [...exclude, 'webgpu' as const];
    void service
      .switchBackend(async () => {
        const replaced = await startBackend(undefined, next);
        replaced.backend.note = `GPU device lost (${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''}); ${replaced.backend.note}`;
        try {
          tf.removeBackend('webgpu');
        } catch {
          // Already gone.
        }
        return replaced;
      })
      .catch((error: Error) => emit({ type: 'error', code: 'device-lost', message: t('worker.recoveryFailed', { reason: error.message }) }));
  });
}

async function init(opts: StartOptions): Promise<void> {
  forcedBackend = opts.backend;
  // The worker speaks the page's language (its errors are shown as they are).
  if (opts.language) setLanguage(opts.language);
  const { backend, backbone } = await startBackend(forcedBackend, []);
  const name = opts.project ? `${DEFAULT_DB_NAME}-${opts.project}` : DEFAULT_DB_NAME;
  const s = new LearnerService({
    openStore: () => ProjectStore.open({ name, appVersion: APP_VERSION }),
    deleteStore: () => ProjectStore.deleteDatabase(name),
    backbone,
    backend,
    engine: clEngine,
    emit,
  });
  await s.open();
  service = s;
}

/** A lost device, simulated: destroys the real WebGPU device (the real recovery path), or leaves the current backend. */
async function simulateDeviceLoss(s: LearnerService): Promise<void> {
  const device = currentWebGpuDevice();
  if (device) {
    const done = new Promise<void>((resolve) => backendWaiters.push(resolve));
    device.destroy();
    await done;
    return;
  }
  const current = tf.getBackend() as BackendName;
  await s.switchBackend(async () => {
    const replaced = await startBackend(undefined, [current, ...(current === 'cpu' ? [] : ['webgpu' as const])]);
    replaced.backend.note = `simulated device loss on ${current}; ${replaced.backend.note}`;
    return replaced;
  });
}

async function handle(message: RequestMessage): Promise<unknown> {
  const { method, args } = message;
  if (method === 'init') {
    starting ??= init(args[0] as StartOptions);
    await starting;
    return service!.status();
  }
  if (starting) await starting;
  const s = service;
  if (!s) throw new AppError('internal', 'The learner is not started: call LearnerClient.start()');
  const a = args as unknown[];
  switch (method as Method) {
    case 'status':
      return s.status();
    case 'addClass':
      return s.addClass(a[0] as string);
    case 'renameClass':
      return s.renameClass(a[0] as string, a[1] as string);
    case 'deleteClass':
      return s.deleteClass(a[0] as string);
    case 'addSample':
      return s.addSample(a[0] as string, a[1] as ImageBitmap, a[2] as 'camera' | 'file');
    case 'listSamples':
      return s.listSamples(a[0] as string);
    case 'deleteSample':
      return s.deleteSample(a[0] as string);
    case 'learn':
      return s.learn(a[0] as Parameters<LearnerService['learn']>[0]);
    case 'cancelLearn':
      return s.cancelLearn();
    case 'predict':
      return s.predict(a[0] as ImageBitmap, a[1] as Parameters<LearnerService['predict']>[1]);
    case 'metrics':
      return s.metrics();
    case 'storage':
      return s.storage();
    case 'exportProject':
      return s.exportProject();
    case 'importProject':
      return s.importProject(a[0] as ArrayBuffer);
    case 'exportModel':
      return s.exportModel();
    case 'exportImageModel':
      return s.exportImageModel();
    case 'reset':
      return s.reset();
    case 'simulateDeviceLoss':
      return simulateDeviceLoss(s);
    case 'fullRetrain':
      return s.fullRetrain(a[0] as Parameters<LearnerService['fullRetrain']>[0]);
    case 'compareWithRetraining':
      return s.compareWithRetraining(a[0] as Parameters<LearnerService['compareWithRetraining']>[0]);
    case 'cancelCompare':
      return s.cancelCompare();
    case 'memory':
      return s.memoryInfo();
    default:
      throw new AppError('internal', `Unknown call "${String(method)}"`);
  }
}

/** Transferable buffers of a result (thumbnails, exports) so large answers are not copied. */
function transferables(result: unknown): Transferable[] {
  if (result instanceof ArrayBuffer) return [result];
  if (Array.isArray(result)) return result.flatMap((r) => (r && typeof r === 'object' && r.thumbnail instanceof ArrayBuffer ? [r.thumbnail] : []));
  if (result && typeof result === 'object') {
    const r = result as { thumbnail?: unknown; weights?: unknown; zip?: unknown };
    if (r.thumbnail instanceof ArrayBuffer) return [r.thumbnail];
    if (r.weights instanceof ArrayBuffer) return [r.weights];
    if (r.zip instanceof ArrayBuffer) return [r.zip];
  }
  return [];
}

function errorCode(error: unknown): ErrorCode {
  if (error instanceof AppError) return error.code;
  if (isQuotaError(error)) return 'storage-full';
  return 'internal';
}

self.addEventListener('message', (event: MessageEvent<RequestMessage>) => {
  const message = event.data;
  if (!message || message.kind !== 'request') return;
  handle(message).then(
    (result) => post({ kind: 'response', id: message.id, ok: true, result }, transferables(result)),
    (error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      post({ kind: 'response', id: message.id, ok: false, error: { code: errorCode(error), message: text } });
    },
  );
});
