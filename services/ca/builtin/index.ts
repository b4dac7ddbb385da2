export * from './ca-files.js';
export * from './builtin-backend.js';
export * from './key-encryption.js';
export * from './root-offline.js';
export * from './settings.js';
export { builtinBackend } from './entry.js';
