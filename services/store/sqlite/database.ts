/**
 * One SQLite file (better-sqlite3, WAL) behind the asynchronous Store port. better-sqlite3 runs each statement
 * synchronously on one connection, so an open transaction would take in any statement another task runs while
 * the transaction's body awaits. The gate below keeps them apart: a transaction holds the connection until it
 * commits, other work waits for it, and work inside the transaction (found by AsyncLocalStorage) runs at once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export class SqliteDb {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly inside = new AsyncLocalStorage<true>();
  private open: Promise<void> | null = null;

  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint the WAL every ~40 MB instead of every 4 MB: each checkpoint fsyncs the database file, and in a
    // burst of thousands of requests they were a visible share of the commit time (bulk bench).
    this.db.pragma('wal_autocheckpoint = 10000');
    this.migrate();
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  /** Prepared once, reused: preparing a statement costs as much as running it (measured in the bulk bench). */
  stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Run synchronous statements once no other task's transaction holds the connection. */
  async run<T>(fn: () => T): Promise<T> {
    while (this.open && !this.inside.getStore()) await this.open;
    return fn();
  }

  /** Several synchronous statements as one unit (a savepoint when a transaction is open). */
  async atomic<T>(fn: () => T): Promise<T> {
    return this.run(() => this.db.transaction(fn)());
  }

  /** An asynchronous body as one transaction: `BEGIN IMMEDIATE` takes the write lock across processes. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return fn();
    while (this.open) await this.open;
    let release!: () => void;
    this.open = new Promise<void>((r) => (release = r));
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const out = await this.inside.run(true, fn);
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.open = null;
      release();
    }
  }

  close(): void {
    this.db.close();
  }
}
