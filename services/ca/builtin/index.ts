export * from './ca-files.js';
export * from './builtin-backend.js';
