/** Public API of the memory layer: replay memories, buffer policies, persistence, export/import. */
export * from './types';
export * from './errors';
export * from './class-rules';
export * from './random';
export * from './buffer';
export * from './policies';
export * from './replay-memory';
export { validateSamples, isFloat32Array } from './validate';
export * from './store/schema';
export * from './store/project-store';
export * from './store/idb-replay-memory';
export type { ReplayPersistence } from './store/replay-persistence';
export { validateEngineState } from './store/commit';
export { MAX_THUMBNAIL_BYTES } from './store/samples';
export * from './project-file';
export { crc32 } from './crc32';
export * from './pack';
