// Node module hooks so Vite's `?raw` imports (the WGSL sources) load outside Vite: `import s from 'x.wgsl?raw'`
// gives the file's text. Registered with `node --import ./bench/kernels/node/raw-loader.mjs`.
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';

/** Resolves `<file>?raw` to the file's URL with the query kept, so `load` can tell it apart. */
export async function resolve(specifier, context, next) {
  if (specifier.endsWith('?raw')) {
    const resolved = await next(specifier.slice(0, -'?raw'.length), context);
    return { url: `${resolved.url}?raw`, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

/** Loads `<file>?raw` as a module whose default export is the file's text. */
export async function load(url, context, next) {
  if (url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -'?raw'.length)), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return next(url, context);
}

// Registering from the hooks' own file: `--import` runs this module once on the main thread.
if (!process.env.RETAIN_RAW_LOADER_REGISTERED) {
  process.env.RETAIN_RAW_LOADER_REGISTERED = '1';
  register(import.meta.url);
}
