/** Shared Chromium launch settings: Debian's chromium, the flags this machine needs, WebGPU through SwiftShader. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags every launch needs here (no sandbox as root, no network chatter). */
export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** All five are needed: with fewer, WebGPU reads back zeros and the device dies. */
export const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

/** Fake camera fed from a Y4M file. */
export function fakeCameraArgs(y4mPath: string): string[] {
  return [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${y4mPath}`,
  ];
}

/** Port of the built app served by `vite preview` during tests. */
export const PREVIEW_PORT = Number(process.env.RETAIN_PORT ?? 4173);
export const BASE_URL = `http://localhost:${PREVIEW_PORT}`;

/** Folder of the built app the tests serve (RETAIN_OUT_DIR lets two test runs build side by side). */
export const DIST_DIR = process.env.RETAIN_OUT_DIR ?? 'dist';
