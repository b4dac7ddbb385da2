/**
 * One SQLite file (better-sqlite3, WAL) behind the asynchronous Store port. better-sqlite3 runs each statement
 * synchronously on one connection, so an open transaction would take in any statement another task runs while
 * a transaction's body awaits. group-commit.ts keeps them apart — one unit of work holds the connection at a
 * time, work inside a unit (found by AsyncLocalStorage) runs at once, reads wait for what is uncommitted — and
 * lets units that arrive close together share one COMMIT.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';
import { MIGRATIONS } from './migrations.js';

export class SqliteDb {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** The connection's scheduler (exposed for tests: `units.onCommit`). */
  readonly units: GroupCommit;

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
    // Every unit of work is a savepoint (group-commit.ts), whose changed pages SQLite keeps in a statement
    // journal, a temporary file once it passes 64 KiB ("Statement Journal Files" and "Other Temporary File
    // Optimizations" in https://www.sqlite.org/tempfiles.html): in memory instead, those writes were ~290 KB a
    // request in a burst. Temporary tables and transient indices are then in memory too.
    this.db.pragma('temp_store = MEMORY');
    this.migrate();
    this.units = new GroupCommit(this.db, file);
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

  /** Run synchronous statements outside any unit of work once what they could see is committed. */
  run<T>(fn: () => T): Promise<T> {
    return this.units.read(fn);
  }

  /**
   * Several synchronous statements as one unit of work, settled once committed; inside a unit, part of it
   * (a savepoint of its own).
   */
  async atomic<T>(fn: () => T): Promise<T> {
    if (this.units.insideUnit) return this.db.transaction(fn)();
    return this.units.unit(fn);
  }

  /** An asynchronous body as one unit of work (nested: part of the outer one), settled once committed. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.units.insideUnit) return fn();
    return this.units.unit(fn);
  }

  /** Commits what is open and settles every waiting promise first. */
  close(): void {
    this.units.close();
  }
}
