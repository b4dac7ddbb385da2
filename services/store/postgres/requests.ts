/**
 * The requests aggregate: a request row and its events, written together in one transaction. Every write that
 * reads first locks the row (`FOR UPDATE`), so two instances changing one request serialise and the second sees
 * the first's state (a StateConflictError when it no longer matches).
 */
import {
  AgentcertError, StateConflictError, sqlStateList, type Clock, type NewRequest, type NoteRecord, type RequestFilter, type RequestStore,
  type StoredRequest, type TransitionRecord,
} from '../../domain/index.js';
import type { PgDb } from './database.js';
import { appendEvent } from './events.js';
import { insertCertificate } from './certificates.js';
import { pgToRequest } from './rows.js';
import { afterNote, afterTransition } from '../record-changes.js';

/** Due work at the time in $1: the `pipeline` group, or republishable with the flag, and no later retry scheduled. */
export const DUE_AT_1 = `(state IN (${sqlStateList('pipeline')}) OR (state IN (${sqlStateList('republishable')}) AND republish)) AND (next_attempt_at IS NULL OR next_attempt_at <= $1)`;

export class PgRequests implements RequestStore {
  constructor(private readonly db: PgDb, private readonly clock: Clock, private readonly lease: { owner: string; seconds: number }) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  private async locked(id: string): Promise<StoredRequest> {
    const row = await this.db.one(`SELECT * FROM requests WHERE id = $1 FOR UPDATE`, [id]);
    if (!row) throw new AgentcertError('AC_NOT_FOUND', `no request ${id}`);
    return pgToRequest(row);
  }

  /**
   * The fingerprint's unique constraint decides which instance creates the request: a second insert of the same
   * fingerprint waits for the first to commit and then inserts nothing (ON CONFLICT DO NOTHING).
   */
  async insert(r: NewRequest, message: string): Promise<{ request: StoredRequest; created: boolean }> {
    for (const len of [12, 20, 64]) {
      const out = await this.db.transaction(async () => {
        const now = this.now();
        const id = r.fingerprint.slice(0, len);
        const rows = await this.db.query(
          `INSERT INTO requests (id, fingerprint, fqdn, tenant, role, state, csr_der, original, source_name, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, 'received', $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING RETURNING *`,
          [id, r.fingerprint, r.fqdn, r.tenant, r.role ?? 'agent', r.csrDer, r.originalBytes, r.sourceName, now],
        );
        if (rows[0]) {
          // The creating instance owns the new request (and so the dropped file) from the same commit on.
          await this.db.query(`INSERT INTO leases (request_id, owner, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`, [id, this.lease.owner, this.lease.seconds]);
          await appendEvent(this.db, { requestId: id, fqdn: r.fqdn, at: now, from: null, to: 'received', reason: 'RECEIVED', message, actor: 'share', data: { sourceName: r.sourceName } });
          return { request: pgToRequest(rows[0]), created: true };
        }
        const existing = await this.byFingerprint(r.fingerprint);
        return existing ? { request: existing, created: false } : null; // null: the id was taken by another fingerprint
      });
      if (out) return out;
    }
    throw new AgentcertError('AC_INTERNAL', `no free request id for fingerprint ${r.fingerprint}`);
  }

  async get(id: string): Promise<StoredRequest | null> {
    const row = await this.db.one(`SELECT * FROM requests WHERE id = $1`, [id]);
    return row ? pgToRequest(row) : null;
  }

  async byFingerprint(fp: string): Promise<StoredRequest | null> {
    const row = await this.db.one(`SELECT * FROM requests WHERE fingerprint = $1`, [fp]);
    return row ? pgToRequest(row) : null;
  }

  async find(f: RequestFilter = {}): Promise<StoredRequest[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown): string => (args.push(v), `$${args.length}`);
    if (f.state) where.push(`state = ${arg(f.state)}`);
    if (f.fqdn) where.push(`fqdn = ${arg(f.fqdn.toLowerCase())}`);
    if (f.tenant) where.push(`tenant = ${arg(f.tenant)}`);
    const sql = `SELECT * FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ${arg(f.limit ?? 1000)} OFFSET ${arg(f.offset ?? 0)}`;
    return (await this.db.query(sql, args)).map(pgToRequest);
  }

  async due(now: Date, limit: number): Promise<StoredRequest[]> {
    const rows = await this.db.query(`SELECT * FROM requests WHERE ${DUE_AT_1} ORDER BY created_at, seq LIMIT $2`, [now.toISOString(), limit]);
    return rows.map(pgToRequest);
  }

  async nextScheduledAt(): Promise<string | null> {
    const row = await this.db.one<{ t: string | null }>(`SELECT MIN(next_attempt_at) AS t FROM requests WHERE state IN (${sqlStateList('pipeline')}) AND next_attempt_at IS NOT NULL`);
    return row?.t ?? null;
  }

  transition(id: string, t: TransitionRecord): Promise<StoredRequest> {
    return this.db.transaction(async () => {
      const cur = await this.locked(id);
      if (!t.from.includes(cur.state)) throw new StateConflictError(id, t.from.join('|'), cur.state);
      const now = this.now();
      const next = afterTransition(cur, t, now);
      await this.db.query(`UPDATE requests SET state = $1, ca_request_id = $2, findings = $3, attempts = $4, next_attempt_at = $5, republish = $6, updated_at = $7 WHERE id = $8`, [
        next.state, next.caRequestId, JSON.stringify(next.findings), next.attempts, next.nextAttemptAt, next.republish, now, id,
      ]);
      if (t.certificate) await insertCertificate(this.db, t.certificate, now);
      await appendEvent(this.db, { requestId: id, fqdn: cur.fqdn, at: now, from: cur.state, to: t.to, reason: t.reason, message: t.message, actor: t.actor, data: t.data });
      return next;
    });
  }

  note(id: string, e: NoteRecord): Promise<StoredRequest> {
    return this.db.transaction(async () => {
      const cur = await this.locked(id);
      const now = this.now();
      const next = afterNote(cur, e, now);
      await this.db.query(`UPDATE requests SET attempts = $1, next_attempt_at = $2, republish = $3, updated_at = $4 WHERE id = $5`, [next.attempts, next.nextAttemptAt, next.republish, now, id]);
      await appendEvent(this.db, { requestId: id, fqdn: cur.fqdn, at: now, from: cur.state, to: cur.state, reason: e.reason, message: e.message, actor: e.actor ?? 'service', data: e.data ?? null });
      return next;
    });
  }
}
