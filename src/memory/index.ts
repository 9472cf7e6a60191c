/** Public API of the memory layer: replay memories, buffer policies, persistence, export/import. */
export * from './types';
export * from './errors';
export * from './random';
export * from './buffer';
export * from './policies';
export * from './replay-memory';
export { validateSamples, isFloat32Array } from './validate';
export * from './schema';
export * from './project-store';
export * from './idb-replay-memory';
export * from './project-file';
export { crc32 } from './crc32';
export * from './pack';
