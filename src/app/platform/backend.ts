/**
 * Picks the tfjs backend the learner runs on. On a real (hardware) WebGPU adapter, WebGPU and WebGL are timed on a
 * backbone-shaped probe plus a training-step probe (the head's step with the continual-learning losses, fused on
 * WebGPU) and the faster wins; software adapters (SwiftShader, llvmpipe, WARP, CPU-type) are not considered,
 * because they are slower than WASM. Otherwise WebGL and WASM are timed on the backbone probe and the faster one
 * wins; CPU is the last resort. A forced backend (`?backend=`) is used as is when it initialises.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName } from '../protocol';
import { registerFastWasmKernels } from '../../kernels/wasm';
import { registerWebGpuKernels } from '../../kernels';
import { distillationKL, ewcPenalty } from '../../ops';

/** The outcome of the choice, for the UI. */
export interface BackendChoice {
  backend: BackendName;
  /** Why: forced, adapter found, probe timings, fallbacks. */
  note: string;
  /** The WebGPU adapter's description, when one was found. */
  adapter: string | null;
}

/** What is known about the WebGPU adapter. */
export interface AdapterReport {
  description: string;
  /** True for emulated adapters that must not win by default. */
  software: boolean;
}

let wasmPathsSet = false;

/** Points tfjs's WASM backend at the .wasm files Vite emitted (served locally and precached, never a CDN). */
export function useLocalWasmFiles(): void {
  if (wasmPathsSet) return;
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlainUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  });
  // Never the threaded build, even when a host's COOP/COEP headers make the page cross-origin isolated: it
  // copies its setup function into helper threads as text, which breaks once minified (ReferenceError in the
  // learner worker), and with two cores it gained ~11 % on inference and nothing on training.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasmPathsSet = true;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|warp/i;

/** Asks for a WebGPU adapter and describes it; null when WebGPU is unavailable. */
export async function inspectWebGpuAdapter(): Promise<AdapterReport | null> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return null;
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const fields = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean) : [];
  const description = fields.join(' / ') || 'unknown adapter';
  const fallbackFlag =
    (info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    false;
  const software = fallbackFlag || SOFTWARE_ADAPTER.test(description) || /cpu/i.test(info?.architecture ?? '');
  return { description, software };
}

/** Switches tfjs to `name`; false when it cannot initialise. */
export async function trySetBackend(name: BackendName): Promise<boolean> {
  if (name === 'wasm') useLocalWasmFiles();
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    // tfjs-wasm 4.22 runs transposed matMuls (every backward pass) ~10x slower: route them to the fast path.
    if (ok && name === 'wasm') registerFastWasmKernels();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Milliseconds of one backbone-shaped step on the current backend: a MobileNet-like depthwise + pointwise
 * convolution block and a 1280-wide dense layer, median of 3 after a warm-up (shader compilation excluded).
 */
export async function probeCurrentBackend(): Promise<number> {
  const x = tf.randomUniform([1, 56, 56, 32]) as tf.Tensor4D;
  const dw = tf.randomUniform([3, 3, 32, 1]) as tf.Tensor4D;
  const pw = tf.randomUniform([1, 1, 32, 192]) as tf.Tensor4D;
  const feats = tf.randomUniform([32, 1280]) as tf.Tensor2D;
  const dense = tf.randomUniform([1280, 256]) as tf.Tensor2D;
  const step = async (): Promise<void> => {
    const out = tf.tidy(() => {
      const a = tf.relu6(tf.depthwiseConv2d(x, dw, 1, 'same'));
      const b = tf.conv2d(a, pw, 1, 'same');
      return tf.add(tf.sum(b), tf.sum(tf.matMul(feats, dense)));
    });
    await out.data();
    out.dispose();
  };
  try {
    await step();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[1];
  } finally {
    tf.dispose([x, dw, pw, feats, dense]);
  }
}

/**
 * Milliseconds of one training step of the app's head on the current backend: a 1280-256-20 MLP on 64 rows,
 * cross-entropy + distillation to fixed teacher logits + EWC on every parameter, gradients (the fused kernels
 * where the backend has them), median of 3 after a warm-up.
 */
export async function probeTrainingStep(): Promise<number> {
  const w1 = tf.variable(tf.randomUniform([1280, 256], -0.05, 0.05));
  const b1 = tf.variable(tf.zeros([256]));
  const w2 = tf.variable(tf.randomUniform([256, 20], -0.05, 0.05));
  const b2 = tf.variable(tf.zeros([20]));
  const vars = [w1, b1, w2, b2];
  const anchors = vars.map((v) => tf.clone(v));
  const fisher = vars.map((v) => tf.onesLike(v));
  const x = tf.randomUniform([64, 1280]) as tf.Tensor2D;
  const teacher = tf.randomUniform([64, 10], -2, 2) as tf.Tensor2D;
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 20), 'int32'), 20));
  const step = async (): Promise<void> => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2) as tf.Tensor2D;
        const ce = tf.losses.softmaxCrossEntropy(labels, logits);
        return tf.addN([ce, distillationKL(logits, teacher, 2, 10), ewcPenalty(vars, anchors, fisher, 100)]) as tf.Scalar;
      }, vars);
      tf.dispose(Object.values(grads));
      return value;
    });
    await loss.data();
    loss.dispose();
  };
  try {
    await step();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[1];
  } finally {
    tf.dispose([...vars, ...anchors, ...fisher, x, teacher, labels]);
  }
}

/** Backbone probe plus training-step probe on the current backend: the per-round cost a backend is chosen on. */
async function probeRound(): Promise<{ backbone: number; step: number }> {
  // The fused losses are registered for WebGPU before its step is timed, as the worker registers them.
  if (tf.getBackend() === 'webgpu') await registerWebGpuKernels();
  return { backbone: await probeCurrentBackend(), step: await probeTrainingStep() };
}

/**
 * Chooses and activates a backend. `exclude` removes backends (e.g. WebGPU after its device was lost).
 * Never throws: CPU always initialises.
 */
export async function chooseBackend(forced?: BackendName, exclude: readonly BackendName[] = []): Promise<BackendChoice> {
  const notes: string[] = [];
  let adapter: AdapterReport | null = null;
  if (!exclude.includes('webgpu')) adapter = await inspectWebGpuAdapter();

  if (forced && !exclude.includes(forced)) {
    if (await trySetBackend(forced)) {
      const extra = forced === 'webgpu' && adapter?.software ? ' (software adapter: expect it to be slow)' : '';
      return { backend: forced, note: `forced by ?backend=${forced}${extra}`, adapter: adapter?.description ?? null };
    }
    notes.push(`${forced} was requested but could not start`);
  }

  if (adapter && !adapter.software) {
    // A hardware adapter is not assumed to win: WebGPU and WebGL are timed on the backbone and a training step.
    const timed: { name: BackendName; backbone: number; step: number }[] = [];
    for (const name of ['webgpu', 'webgl'] as const) {
      if (exclude.includes(name)) continue;
      if (!(await trySetBackend(name))) {
        notes.push(name === 'webgpu' ? 'WebGPU adapter found but the backend failed to start' : 'webgl unavailable');
        continue;
      }
      try {
        timed.push({ name, ...(await probeRound()) });
      } catch (error) {
        notes.push(`${name} probe failed: ${(error as Error).message}`);
      }
    }
    timed.sort((a, b) => a.backbone + a.step - (b.backbone + b.step));
    if (timed.length > 0) {
      const describe = (t: (typeof timed)[number]) =>
        `${t.name} ${t.backbone.toFixed(1)} ms backbone + ${t.step.toFixed(1)} ms training step`;
      notes.push(`hardware WebGPU adapter ${adapter.description}; probe: ${timed.map(describe).join(', ')}`);
      for (const { name } of timed) {
        if (await trySetBackend(name)) {
          notes.push(`${name} is faster`);
          return { backend: name, note: notes.join('; '), adapter: adapter.description };
        }
      }
    }
  } else if (adapter) {
    notes.push(`WebGPU adapter is software (${adapter.description}): not used`);
  } else if (!exclude.includes('webgpu')) {
    notes.push('no WebGPU adapter');
  }

  const timings: { name: BackendName; ms: number }[] = [];
  for (const name of ['webgl', 'wasm'] as const) {
    if (exclude.includes(name)) continue;
    if (!(await trySetBackend(name))) {
      notes.push(`${name} unavailable`);
      continue;
    }
    try {
      timings.push({ name, ms: await probeCurrentBackend() });
    } catch (error) {
      notes.push(`${name} probe failed: ${(error as Error).message}`);
    }
  }
  timings.sort((a, b) => a.ms - b.ms);
  if (timings.length > 0) {
    notes.push(`probe: ${timings.map((t) => `${t.name} ${t.ms.toFixed(1)} ms`).join(', ')}`);
    for (const { name } of timings) {
      if (await trySetBackend(name)) return { backend: name, note: notes.join('; '), adapter: adapter?.description ?? null };
    }
  }
  await trySetBackend('cpu');
  notes.push('falling back to the CPU backend');
  return { backend: 'cpu', note: notes.join('; '), adapter: adapter?.description ?? null };
}

/** The GPU device of the active WebGPU backend, or null on other backends. */
export function currentWebGpuDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
}
