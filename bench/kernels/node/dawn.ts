/**
 * tfjs's WebGPU backend in Node, without a browser, through Dawn (the `webgpu` npm package): creates the device
 * with the limits tfjs's own factory asks for, registers it as the 'webgpu' backend and our fused kernels on it.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { create, globals } from 'webgpu';
import { registerWebGpuKernels, type KernelSetup } from '../../../src/kernels';

/** What the Dawn start-up found. */
export interface DawnSetup extends KernelSetup {
  /** The adapter's vendor / architecture / device / description, as Dawn reports it. */
  adapterDescription: string;
  device: GPUDevice;
}

/** Starts tfjs on Dawn's first adapter; throws a specific error when there is none (no Vulkan driver or ICD). */
export async function startDawnWebGpu(): Promise<DawnSetup> {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'Dawn found no WebGPU adapter: on a GPU machine the container needs the graphics driver capability and the ' +
        'vendor Vulkan ICD (NVIDIA: NVIDIA_DRIVER_CAPABILITIES=compute,graphics,utility); here set ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json for SwiftShader',
    );
  }
  const limits = adapter.limits;
  const timestamps = adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
    requiredFeatures: timestamps ? ['timestamp-query'] : [],
  });
  const info = adapter.info;
  const adapterDescription = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ');
  // tfjs reads vendor/architecture from the info it is given (for its own choices) and keeps it as adapterInfo.
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, info as unknown as ConstructorParameters<typeof WebGPUBackend>[1]), 10);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its WebGPU backend on the Dawn device');
  const setup = await registerWebGpuKernels();
  return { ...setup, adapterDescription, device };
}
