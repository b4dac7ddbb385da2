/**
 * One PostgreSQL database (node-postgres pool) behind the asynchronous Store port. A statement outside a
 * transaction takes any pooled connection; `transaction(fn)` checks one connection out, runs BEGIN … COMMIT on
 * it, and every statement `fn` issues (found by AsyncLocalStorage) runs on that connection, so nested calls
 * join the outer transaction. Opening is lazy: the first statement waits for the migrations (migrations.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { AgentcertError } from '../../domain/index.js';
import { migrate } from './migrations.js';
import { connectionOptions, redactUrl, type PostgresSettings } from './connection.js';

export type Row = Record<string, unknown>;

/** Error codes of a database that is not there (connection refused, reset, DNS, timeouts, server shutting down). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08006', '08001', '08003', '08004']);

/** True when `err` says the database cannot be reached (as opposed to a statement the database refused). */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && UNREACHABLE.has(e.code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(e.message ?? '');
}

export class PgDb {
  readonly pool: pg.Pool;
  /** The database as messages name it: host, port and database, never the password. */
  readonly location: string;
  private readonly inside = new AsyncLocalStorage<pg.PoolClient>();
  private ready: Promise<void> | null = null;

  constructor(readonly settings: PostgresSettings) {
    this.location = redactUrl(settings.url);
    this.pool = new pg.Pool({ ...connectionOptions(settings), max: settings.poolSize });
    // An idle pooled connection that the server drops must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Migrate once per process before the first statement (retried on the next call after a failure). */
  private open(): Promise<void> {
    if (!this.ready) {
      this.ready = migrate(this.pool).catch((err: unknown) => {
        this.ready = null;
        throw this.wrap(err);
      });
    }
    return this.ready;
  }

  /** A connection error becomes AC_STORE_UNAVAILABLE naming the database (without credentials). */
  wrap(err: unknown): unknown {
    if (err instanceof AgentcertError || !isUnreachable(err)) return err;
    return new AgentcertError('AC_STORE_UNAVAILABLE', `the database ${this.location} cannot be reached: ${redactText((err as Error).message, this.settings)}`);
  }

  async query<T extends Row = Row>(sql: string, args: unknown[] = []): Promise<T[]> {
    const client = this.inside.getStore();
    if (!client) await this.open();
    try {
      const res = await (client ?? this.pool).query<T>(sql, args);
      return res.rows;
    } catch (err) {
      throw this.wrap(err);
    }
  }

  async one<T extends Row = Row>(sql: string, args: unknown[] = []): Promise<T | null> {
    return (await this.query<T>(sql, args))[0] ?? null;
  }

  /** `fn` as one transaction on one connection; a nested call joins the outer transaction. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return fn();
    await this.open();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.wrap(err);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await this.inside.run(client, fn);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone: the server rolled back; do not return it to the pool
      }
      throw this.wrap(err);
    } finally {
      client.release(broken);
    }
  }

  /** Whether anything was ever asked of the database (closing an unused store does not migrate it). */
  get opened(): boolean {
    return this.ready !== null;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A driver message with the password (if it appears) cut out. */
export function redactText(text: string, s: Pick<PostgresSettings, 'url' | 'password'>): string {
  let out = text.split(s.url).join(redactUrl(s.url));
  if (s.password) out = out.split(s.password).join('***');
  return out;
}
