export * from './ca-files.js';
export * from './builtin-backend.js';
export * from './settings.js';
export { builtinBackend } from './entry.js';
