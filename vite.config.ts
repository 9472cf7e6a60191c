import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

// Every page of the multi-page build: the app (index.html), the benchmark page and the lab pages under lab/
// that the browser tests and benchmarks drive.
const pages = Object.fromEntries(
  [
    ...readdirSync('.').filter((f) => f.endsWith('.html')),
    ...(existsSync('lab') ? readdirSync('lab').filter((f) => f.endsWith('.html')).map((f) => `lab/${f}`) : []),
  ].map((file) => [
    file.replace(/\.html$/, '').replace(/[\\/]/g, '-'),
    path.resolve(file),
  ]),
);

/**
 * Serves and emits the top-level manifest.webmanifest at the site root (checked to be valid JSON) and links it
 * from every page. The link is injected after Vite's HTML processing so the manifest keeps its stable root URL
 * (Vite would otherwise hash it into assets/).
 */
function webManifest(): Plugin {
  const file = path.resolve('manifest.webmanifest');
  const read = () => {
    const text = readFileSync(file, 'utf8');
    JSON.parse(text);
    return text;
  };
  return {
    name: 'retain-web-manifest',
    configureServer(server) {
      server.middlewares.use('/manifest.webmanifest', (_req, res) => {
        res.setHeader('Content-Type', 'application/manifest+json');
        res.end(read());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'manifest.webmanifest', source: read() });
    },
    transformIndexHtml: {
      order: 'post',
      handler: (html) =>
        html.includes('rel="manifest"')
          ? html
          : [{ tag: 'link', attrs: { rel: 'manifest', href: '/manifest.webmanifest' }, injectTo: 'head' }],
    },
  };
}


/**
 * The Content-Security-Policy every built page carries (a <meta>, so it holds on any static host): scripts only
 * from the app's origin plus WebAssembly compilation (tfjs's WASM backend), no inline script, no plugins, no
 * <base>, images from the app, blob: and data: (thumbnails), connections only to the app's origin. Colours and
 * other user data reach CSS only through the CSSOM with validated values, so inline style attributes stay
 * blocked too. Not in `vite dev`, whose client injects inline scripts. Hosts should also send the headers README
 * lists (frame-ancestors, for one, cannot be set by a <meta>).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'retain-content-security-policy',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [
        { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
      ],
    },
  };
}

export default defineConfig({
  build: {
    target: 'es2022',
    // RETAIN_OUT_DIR: a second build beside dist/ (two test runs at once on one machine).
    outDir: process.env.RETAIN_OUT_DIR ?? 'dist',
    rollupOptions: { input: pages },
  },
  worker: { format: 'es' },
  plugins: [
    webManifest(),
    contentSecurityPolicy(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      manifest: false,
      injectRegister: false,
      injectManifest: {
        // Everything the app needs offline: shell, scripts (worker included), tfjs's .wasm, the backbone's
        // model.json + weight shards, icons and the manifest.
        globPatterns: ['**/*.{html,js,css,wasm,json,bin,png,svg,ico,webmanifest}'],
        globIgnores: ['**/node_modules/**'],
        // The backbone's shard (~2.6 MB) and the threaded WASM exceed workbox's 2 MiB default.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      },
      devOptions: { enabled: false },
    }),
  ],
});
