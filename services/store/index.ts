export * from './sqlite-store.js';
export type { StoredRequest } from './rows.js';
export * from './lock.js';
