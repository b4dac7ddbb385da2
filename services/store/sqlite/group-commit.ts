/**
 * Group commit for the SQLite store: units of work (database.ts `atomic` and `transaction`) that arrive close
 * together share one SQLite transaction and one COMMIT.
 *
 * Why: in WAL mode every COMMIT appends each page it dirtied to the WAL (https://www.sqlite.org/wal.html). A
 * request's units all touch the same pages — the requests table's index leaves, the tail of the events table,
 * the FTS5 tables — so committing each unit alone writes those pages again and again. In one transaction they
 * are written once per group.
 *
 * How:
 * - One unit's body holds the connection at a time (`busy`); the others wait in `queue`, first come first
 *   served. Work inside a body (found by AsyncLocalStorage) runs at once, and a nested unit is part of it.
 * - The first unit of a group runs `BEGIN IMMEDIATE` (the write lock across processes, as before); every unit
 *   is a SAVEPOINT in it (https://www.sqlite.org/lang_savepoint.html). A unit that throws is rolled back to
 *   its savepoint and rejects at once; the others in the group are unaffected. When SQLite has rolled back
 *   the whole transaction itself (SQLITE_FULL, SQLITE_IOERR, …: "Response To Errors Within A Transaction" in
 *   https://www.sqlite.org/lang_transaction.html), every unit of the group rejects with that error.
 * - A unit's promise settles only after the COMMIT that holds it: resolved when it succeeded, rejected with its
 *   error (after a ROLLBACK) when it failed. Callers publish side effects after awaiting, so a crash before
 *   the commit leaves nothing visible as done.
 * - The group commits when no unit runs and none waits (a setImmediate, so units queued in the same turn of
 *   the event loop join it), at once when it holds `limits.units` units or is `limits.ms` old, when a read
 *   waits, and on close(). close() rolls back the body still running (its promise rejects once the body
 *   returns), commits the rest and rejects the units still waiting for the connection.
 * - A read outside any unit (`read`) must see committed data only: when a group is open it waits for that
 *   group's commit, which then happens as soon as no body holds the connection. Waiting reads run, in order,
 *   right after the commit and before the next unit starts a new group.
 *
 * Measured with the README's store-commits bench (5,000 simulated requests × 5 units, 16 concurrent tasks, two
 * shared cores): one COMMIT a unit wrote ~475 KB a request (≈380 KB of it WAL frames) in ~213 write calls,
 * for 0.66–0.84 ms CPU a request; grouped (16 units a COMMIT), ~95 KB (≈77 KB WAL) in ~45 calls, 0.32–0.35 ms.
 * Of that, the statement journals each savepoint fills (database.ts, temp_store) were ~290 KB a request until
 * kept in memory. At 64 tasks the 64-unit bound is reached (~63 units a COMMIT, ~62 KB, 0.32 ms).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type Database from 'better-sqlite3';
import { AgentcertError } from '../../domain/index.js';

interface Group {
  units: number;
  began: number;
  /** Settles with the group's COMMIT. */
  committed: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  private readonly inside = new AsyncLocalStorage<true>();
  private group: Group | null = null;
  /** A unit holds the connection (its body may be awaiting). */
  private busy = false;
  /** The unit holding the connection has its savepoint open. */
  private inUnit = false;
  private readonly queue: Waiter[] = [];
  private readonly readers: (() => void)[] = [];
  private scheduled = false;
  private closed = false;
  /**
   * A group commits at once when it holds `units` units or has been open `ms` milliseconds, so that one long
   * burst does not hold every caller's result back (tests change them).
   */
  readonly limits = { units: 64, ms: 20 };
  /** For tests: told of every successful COMMIT with the number of units it held. */
  onCommit: ((units: number) => void) | null = null;

  constructor(private readonly db: Database.Database, private readonly file: string) {}

  /** True inside a unit's body: store work there runs at once, as part of the unit. */
  get insideUnit(): boolean {
    return this.inside.getStore() === true;
  }

  /** Synchronous statements outside any unit, once what they could see is committed. */
  async read<T>(fn: () => T): Promise<T> {
    if (this.insideUnit || (!this.group && !this.busy)) return fn();
    return new Promise<T>((resolve, reject) => {
      this.readers.push(() => {
        try {
          resolve(fn());
        } catch (err) {
          reject(err);
        }
      });
      if (!this.busy) this.flush();
    });
  }

  /** One unit of work: its own savepoint in the group's transaction; settles after the group's COMMIT. */
  async unit<T>(body: () => T | Promise<T>): Promise<T> {
    await this.acquire();
    let group: Group;
    let value: T;
    try {
      group = this.begin();
      this.db.exec('SAVEPOINT unit');
      this.inUnit = true;
      try {
        value = await this.inside.run(true, body);
        if (this.closed) throw this.closedError();
        this.db.exec('RELEASE unit');
        this.inUnit = false;
      } catch (err) {
        this.undo(group, err);
        throw err;
      }
      group.units++;
    } finally {
      this.release();
    }
    await group.committed;
    return value;
  }

  /** Commit what is open, run waiting reads, reject units still waiting, then close the connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.inUnit) this.rollbackUnit(); // a body still running: its work is not done
    this.flush();
    for (const w of this.queue.splice(0)) w.reject(this.closedError());
    this.db.close();
  }

  private acquire(): Promise<void> | void {
    if (this.closed) throw this.closedError();
    if (!this.busy) {
      this.busy = true;
      return;
    }
    return new Promise<void>((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  /** The connection is free: commit now when the group is full or a read waits, then hand it to the next unit. */
  private release(): void {
    this.busy = false;
    if (this.readers.length > 0 || this.full()) this.flush();
    const next = this.queue.shift();
    if (next) {
      this.busy = true;
      next.resolve();
    } else if (this.group) {
      this.schedule();
    }
  }

  private full(): boolean {
    const g = this.group;
    return g !== null && (g.units >= this.limits.units || performance.now() - g.began >= this.limits.ms);
  }

  private begin(): Group {
    if (this.closed) throw this.closedError();
    if (this.group) return this.group;
    this.db.exec('BEGIN IMMEDIATE');
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const committed = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    committed.catch(() => {}); // a group whose units all failed has nobody awaiting it
    this.group = { units: 0, began: performance.now(), committed, resolve, reject };
    return this.group;
  }

  /** A unit threw: roll back its own changes, or fail the group when SQLite rolled the transaction back. */
  private undo(group: Group, err: unknown): void {
    if (this.closed || !this.inUnit) return;
    if (this.db.inTransaction && this.rollbackUnit()) return;
    if (this.group === group) this.group = null;
    this.inUnit = false;
    if (this.db.inTransaction) this.rollbackAll();
    group.reject(err);
  }

  private rollbackUnit(): boolean {
    try {
      this.db.exec('ROLLBACK TO unit; RELEASE unit');
      this.inUnit = false;
      return true;
    } catch {
      return false;
    }
  }

  private rollbackAll(): void {
    try {
      this.db.exec('ROLLBACK');
    } catch {
      // nothing left to undo: SQLite ends a failed transaction itself
    }
  }

  /** Commit the open group (if any), then run the reads that waited for it. */
  private flush(): void {
    const g = this.group;
    this.group = null;
    if (g) this.commit(g);
    for (const r of this.readers.splice(0)) r();
  }

  /** COMMIT and settle the group's units; when it fails, ROLLBACK and every unit rejects with its error. */
  private commit(g: Group): void {
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.rollbackAll();
      g.reject(err);
      return;
    }
    g.resolve();
    this.onCommit?.(g.units);
  }

  /** Commit once the units queued in this turn of the event loop have joined (unless a unit holds it then). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.busy) this.flush();
    });
  }

  private closedError(): AgentcertError {
    return new AgentcertError('AC_STORE_UNAVAILABLE', `the store ${this.file} was closed before this work was committed`);
  }
}
