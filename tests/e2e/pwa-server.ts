/**
 * A static server for the built app (dist/) that a test can start and STOP: stopping it is how the offline tests
 * prove the service worker serves everything (setOffline alone does not stop the worker's own fetches).
 */
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DIST_DIR } from './chromium';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** A running server: its base URL, how many requests it answered, and how to stop it. */
export interface DistServer {
  url: string;
  requests: string[];
  /** Extra bytes appended to sw.js (a changed service worker = a new version of the app). */
  setServiceWorkerSuffix(suffix: string): void;
  close(): Promise<void>;
}

/** Serves `root` (default dist/) on a free localhost port (WebGPU and service workers need localhost), with extra response headers. */
export async function serveDist(root = path.resolve(DIST_DIR), headers: Record<string, string> = {}): Promise<DistServer> {
  const requests: string[] = [];
  let swSuffix = '';
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname);
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      let body: Buffer = await readFile(file);
      if (url.pathname === '/sw.js' && swSuffix) body = Buffer.concat([body, Buffer.from(`\n${swSuffix}\n`)]);
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Cache-Control': url.pathname === '/sw.js' ? 'no-cache' : 'max-age=0',
        ...headers,
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  return {
    url: `http://localhost:${address.port}`,
    requests,
    setServiceWorkerSuffix(suffix) {
      swSuffix = suffix;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
