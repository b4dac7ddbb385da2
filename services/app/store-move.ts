/** `agentcert store migrate`: the SQLite store of the data folder copied into a PostgreSQL database, and verified. */
import { existsSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { AgentcertError, systemClock } from '../domain/index.js';
import { dataLockHolder, isPostgresUrl, PostgresStore, postgresSettings, redactUrl, SqliteStore, storeFile } from '../store/index.js';
import { copySqliteToPostgres, type TableReport } from '../store/postgres/copy-from-sqlite.js';

export interface StoreMoveReport {
  from: string;
  to: string;
  tables: TableReport[];
}

export async function moveStoreToPostgres(config: Readonly<Config>, to: string): Promise<StoreMoveReport> {
  if (!isPostgresUrl(to)) throw new AgentcertError('AC_USAGE', `--to takes a postgres:// URL, not "${redactUrl(to)}"`);
  const file = storeFile(config.data.dir);
  if (!existsSync(file)) throw new AgentcertError('AC_NOT_FOUND', `no SQLite store at ${file}`, ['point --data (or data.dir) at the data folder of the store to copy']);
  const holder = dataLockHolder(config.data.dir);
  if (holder !== null) throw new AgentcertError('AC_STORE_LOCKED', `agentcert (pid ${holder}) still serves ${config.data.dir}`, ['stop it first: a store that changes while it is copied would not verify']);
  // Bring the source to the current schema first (what a start of this version would do).
  await new SqliteStore(file, systemClock).close();
  const target = new PostgresStore(postgresSettings({ ...config.store, url: to }), systemClock);
  try {
    await target.db.query('SELECT 1'); // connects and migrates the target
    return { from: file, to: target.location, tables: await copySqliteToPostgres(file, target.db) };
  } finally {
    await target.close();
  }
}
