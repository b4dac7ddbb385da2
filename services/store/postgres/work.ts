/**
 * Several instances on one PostgreSQL database (docs/architecture.md, "Several instances").
 *
 * Leases: a row in `leases` names the instance working a request and until when (the database's clock, so the
 * instances' clocks need not agree). Due requests are claimed with `SELECT … FOR UPDATE SKIP LOCKED`
 * (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE): two instances claiming at once
 * skip each other's rows instead of waiting, and the upsert takes a lease only when it is free, expired or
 * already this instance's. A live instance renews its leases; a dead or cut-off one stops, and after
 * `store.leaseSeconds` another instance resumes the request from its last committed state.
 *
 * Election: the singleton jobs run on the instance holding a session advisory lock
 * (`pg_try_advisory_lock`, https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS)
 * on a connection of its own. The server releases it when that session ends: at once when the process dies (its
 * socket closes), and within the TCP keepalive time set below when the instance is cut off.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { StoredRequest, WorkCoordination } from '../../domain/index.js';
import { connectionOptions } from './connection.js';
import type { PgDb } from './database.js';
import { DUE_AT_1 } from './requests.js';
import { pgToRequest } from './rows.js';

/** The advisory lock key of the elected instance ("agentlead" folded into 63 bits). */
export const LEADER_LOCK = 0x6167656e746c6561n;

/** The server drops a silent session after idle + interval × count seconds (5 + 2 × 3 = 11 s). */
const KEEPALIVE = `SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3`;

export function newOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export class PgWork implements WorkCoordination {
  readonly shared = true;
  private elector: pg.Client | null = null;
  private leading = false;
  private closed = false;
  private asking: Promise<boolean> | null = null;

  constructor(private readonly db: PgDb, readonly owner: string, private readonly leaseSeconds: number) {}

  async claimDue(now: Date, limit: number): Promise<StoredRequest[]> {
    const rows = await this.db.query(
      `WITH c AS (
         SELECT r.id FROM requests r
         WHERE ${DUE_AT_1}
           AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.request_id = r.id AND l.owner <> $3 AND l.expires_at > now())
         ORDER BY r.created_at, r.seq LIMIT $2
         FOR UPDATE OF r SKIP LOCKED
       ), got AS (
         INSERT INTO leases (request_id, owner, expires_at) SELECT id, $3, now() + make_interval(secs => $4) FROM c
         ON CONFLICT (request_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE leases.expires_at <= now() OR leases.owner = excluded.owner
         RETURNING request_id
       )
       SELECT r.* FROM requests r JOIN got ON got.request_id = r.id ORDER BY r.created_at, r.seq`,
      [now.toISOString(), limit, this.owner, this.leaseSeconds],
    );
    return rows.map(pgToRequest);
  }

  async claim(id: string): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO leases (request_id, owner, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (request_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE leases.expires_at <= now() OR leases.owner = excluded.owner
       RETURNING request_id`,
      [id, this.owner, this.leaseSeconds],
    );
    return rows.length > 0;
  }

  async renew(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<{ request_id: string }>(
      `UPDATE leases SET expires_at = now() + make_interval(secs => $3) WHERE owner = $1 AND request_id = ANY($2::text[]) RETURNING request_id`,
      [this.owner, [...ids], this.leaseSeconds],
    );
    const kept = new Set(rows.map((r) => r.request_id));
    return ids.filter((id) => !kept.has(id));
  }

  async release(id: string): Promise<void> {
    await this.db.query(`DELETE FROM leases WHERE request_id = $1 AND owner = $2`, [id, this.owner]);
  }

  async heldElsewhere(id: string): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM leases WHERE request_id = $1 AND owner <> $2 AND expires_at > now()`, [id, this.owner])).length > 0;
  }

  /** One attempt at a time: the timers of the singletons ask together, and each attempt must not open a session. */
  leads(): Promise<boolean> {
    this.asking ??= this.ask().finally(() => (this.asking = null));
    return this.asking;
  }

  /** Try the lock on this instance's own session; once held, leading lasts as long as that session answers. */
  private async ask(): Promise<boolean> {
    if (this.closed) return false; // a job still running at shutdown must not open a new session
    try {
      if (!this.elector) {
        const c = await this.connectElector();
        if (this.closed) {
          await c.end().catch(() => undefined);
          return false;
        }
        this.elector = c;
      }
      if (this.leading) {
        await this.elector.query('SELECT 1');
        return true;
      }
      const r = await this.elector.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK.toString()]);
      this.leading = r.rows[0]?.ok === true;
      return this.leading;
    } catch {
      this.dropElector();
      return false;
    }
  }

  private async connectElector(): Promise<pg.Client> {
    const c = new pg.Client({ ...connectionOptions(this.db.settings), query_timeout: 5_000 });
    c.on('error', () => this.dropElector());
    await c.connect();
    await c.query(KEEPALIVE).catch(() => undefined); // ignored on a Unix socket
    return c;
  }

  private dropElector(): void {
    const c = this.elector;
    this.elector = null;
    this.leading = false;
    c?.end().catch(() => undefined);
  }

  /** Give up leadership and the leases of this instance (a graceful stop hands the work over at once). */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.elector;
    this.elector = null;
    this.leading = false;
    if (this.db.opened) await this.db.query(`DELETE FROM leases WHERE owner = $1`, [this.owner]).catch(() => undefined);
    await c?.end().catch(() => undefined);
  }
}
