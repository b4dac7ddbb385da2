import path from 'node:path';
import type { Clock, Store } from '../domain/index.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export { SqliteStore } from './sqlite/sqlite-store.js';
export * from './lock.js';

/** The store file of a data folder. */
export function storeFile(dataDir: string): string {
  return path.join(dataDir, 'agentcert.db');
}

/** Open the store of a data folder (the embedded SQLite store). */
export function openStore(dataDir: string, clock: Clock): Store {
  return new SqliteStore(storeFile(dataDir), clock);
}
