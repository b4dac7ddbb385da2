/** The requests aggregate: a request row and its events, written together in one transaction. */
import {
  AgentcertError, StateConflictError, sqlStateList, type Clock, type NewRequest, type NoteRecord, type RequestFilter, type RequestState,
  type RequestStore, type StoredRequest, type TransitionRecord,
} from '../../domain/index.js';
import type { SqliteDb } from './database.js';
import { appendEvent } from './events.js';
import { insertCertificate } from './certificates.js';
import { rowToRequest, type RequestRow } from './rows.js';
import { afterNote, afterTransition } from '../record-changes.js';

/** Due work at the time bound to its `?`: the `pipeline` group, or republishable with the flag, and no later retry scheduled. */
export const DUE_AT = `(state IN (${sqlStateList('pipeline')}) OR (state IN (${sqlStateList('republishable')}) AND republish = 1)) AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`;

export class SqliteRequests implements RequestStore {
  constructor(private readonly s: SqliteDb, private readonly clock: Clock) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  private getSync(id: string): StoredRequest | null {
    const row = this.s.stmt(`SELECT * FROM requests WHERE id = ?`).get(id) as RequestRow | undefined;
    return row ? rowToRequest(row) : null;
  }

  private byFingerprintSync(fp: string): StoredRequest | null {
    const row = this.s.stmt(`SELECT * FROM requests WHERE fingerprint = ?`).get(fp) as RequestRow | undefined;
    return row ? rowToRequest(row) : null;
  }

  insert(r: NewRequest, message: string): Promise<{ request: StoredRequest; created: boolean }> {
    return this.s.atomic(() => {
      const existing = this.byFingerprintSync(r.fingerprint);
      if (existing) return { request: existing, created: false };
      const now = this.now();
      const id = this.getSync(r.fingerprint.slice(0, 12)) ? r.fingerprint.slice(0, 20) : r.fingerprint.slice(0, 12);
      this.s
        .stmt(
          `INSERT INTO requests (id, fingerprint, fqdn, tenant, role, state, csr_der, original, source_name, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?)`,
        )
        .run(id, r.fingerprint, r.fqdn, r.tenant, r.role ?? 'agent', r.csrDer, r.originalBytes, r.sourceName, now, now);
      appendEvent(this.s, { requestId: id, fqdn: r.fqdn, at: now, from: null, to: 'received', reason: 'RECEIVED', message, actor: 'share', data: { sourceName: r.sourceName } });
      return { request: this.getSync(id)!, created: true };
    });
  }

  get(id: string): Promise<StoredRequest | null> {
    return this.s.run(() => this.getSync(id));
  }

  byFingerprint(fp: string): Promise<StoredRequest | null> {
    return this.s.run(() => this.byFingerprintSync(fp));
  }

  find(f: RequestFilter = {}): Promise<StoredRequest[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.state) (where.push('state = ?'), args.push(f.state));
    if (f.fqdn) (where.push('fqdn = ?'), args.push(f.fqdn.toLowerCase()));
    if (f.tenant) (where.push('tenant = ?'), args.push(f.tenant));
    const sql = `SELECT * FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`;
    return this.s.run(() => (this.s.stmt(sql).all(...args, f.limit ?? 1000, f.offset ?? 0) as RequestRow[]).map(rowToRequest));
  }

  due(now: Date, limit: number): Promise<StoredRequest[]> {
    return this.s.run(() =>
      (this.s
        .stmt(`SELECT * FROM requests WHERE ${DUE_AT} ORDER BY created_at LIMIT ?`)
        .all(now.toISOString(), limit) as RequestRow[]).map(rowToRequest),
    );
  }

  nextScheduledAt(): Promise<string | null> {
    return this.s.run(() =>
      (this.s.stmt(`SELECT MIN(next_attempt_at) AS t FROM requests WHERE state IN (${sqlStateList('pipeline')}) AND next_attempt_at IS NOT NULL`).get() as { t: string | null }).t,
    );
  }

  transition(id: string, t: TransitionRecord): Promise<StoredRequest> {
    return this.s.atomic(() => {
      const cur = this.getSync(id);
      if (!cur) throw new AgentcertError('AC_NOT_FOUND', `no request ${id}`);
      if (!t.from.includes(cur.state)) throw new StateConflictError(id, t.from.join('|'), cur.state);
      const now = this.now();
      const next = afterTransition(cur, t, now);
      this.s
        .stmt(`UPDATE requests SET state = ?, ca_request_id = ?, findings = ?, attempts = ?, next_attempt_at = ?, republish = ?, updated_at = ? WHERE id = ?`)
        .run(next.state, next.caRequestId, JSON.stringify(next.findings), next.attempts, next.nextAttemptAt, next.republish ? 1 : 0, now, id);
      if (t.certificate) insertCertificate(this.s, t.certificate, now);
      appendEvent(this.s, { requestId: id, fqdn: cur.fqdn, at: now, from: cur.state, to: t.to, reason: t.reason, message: t.message, actor: t.actor, data: t.data });
      // The row as just written (not read back: reading the request's blobs again was a visible share of a
      // transition in the bulk bench).
      return next;
    });
  }

  note(id: string, e: NoteRecord): Promise<StoredRequest> {
    return this.s.atomic(() => {
      const cur = this.getSync(id);
      if (!cur) throw new AgentcertError('AC_NOT_FOUND', `no request ${id}`);
      const now = this.now();
      const next = afterNote(cur, e, now);
      this.s
        .stmt(`UPDATE requests SET attempts = ?, next_attempt_at = ?, republish = ?, updated_at = ? WHERE id = ?`)
        .run(next.attempts, next.nextAttemptAt, next.republish ? 1 : 0, now, id);
      appendEvent(this.s, { requestId: id, fqdn: cur.fqdn, at: now, from: cur.state as RequestState, to: cur.state, reason: e.reason, message: e.message, actor: e.actor ?? 'service', data: e.data ?? null });
      return next;
    });
  }
}
