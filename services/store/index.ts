import path from 'node:path';
import type { Clock, Store } from '../domain/index.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { isPostgresUrl, postgresSettings, type StoreSection } from './postgres/connection.js';

export { SqliteStore } from './sqlite/sqlite-store.js';
export { PostgresStore } from './postgres/postgres-store.js';
export { isPostgresUrl, postgresSettings, redactUrl, type PostgresSettings, type StoreSection } from './postgres/connection.js';
export * from './lock.js';

/** The store file of a data folder. */
export function storeFile(dataDir: string): string {
  return path.join(dataDir, 'agentcert.db');
}

/**
 * Open the configured store: PostgreSQL when `store.url` is a postgres:// URL (several instances may share it),
 * else the embedded SQLite file of the data folder. The PostgreSQL store connects (and migrates) on first use.
 */
export function openStore(dataDir: string, store: Readonly<StoreSection> | undefined, clock: Clock): Store {
  if (store && isPostgresUrl(store.url)) return new PostgresStore(postgresSettings({ ...store, url: store.url }), clock);
  return new SqliteStore(storeFile(dataDir), clock);
}

/** Whether a store is configured that other instances may share (no data-folder lock then). */
export function isSharedStore(store: Readonly<StoreSection> | undefined): boolean {
  return isPostgresUrl(store?.url);
}
