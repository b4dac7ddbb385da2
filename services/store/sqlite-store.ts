/**
 * The store: one SQLite file (better-sqlite3, WAL). Every state change is a transaction that checks the
 * current state, updates the row and appends the event row, so the audit trail and the state never disagree.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AgentcertError, type AuditEvent, type Clock, type Finding, type IssuedCertificate, type RequestState } from '../domain/index.js';
import { AssignmentStore } from './assignments.js';
import { MIGRATIONS } from './migrations.js';
import { rowToCertificate, rowToEvent, rowToRequest, type CertificateRow, type EventRow, type RequestRow, type StoredRequest } from './rows.js';
import {
  countActiveExpiring, countCertificatesByState, expiryByMonth, pageCertificates, pageRequests,
  type CertificatePageFilter, type CertificateSummary, type Page, type RequestPageFilter, type RequestSummary,
} from './listing.js';

export interface NewRequest {
  fingerprint: string;
  fqdn: string;
  tenant: string;
  role?: string;
  csrDer: Buffer | null;
  originalBytes: Buffer;
  sourceName: string;
}

export interface TransitionInput {
  from: RequestState | readonly RequestState[];
  to: RequestState;
  reason: string;
  message: string;
  actor?: string;
  data?: Record<string, unknown> | null;
  caRequestId?: string | null;
  findings?: Finding[];
  /** Resets the retry counter and schedule unless given. */
  attempts?: number;
  nextAttemptAt?: string | null;
  republish?: boolean;
  /** Stored in the same transaction: a certificate can never exist without its `issued` event. */
  certificate?: Omit<IssuedCertificate, 'createdAt' | 'state' | 'revokedAt' | 'revocationReason'>;
}

export interface RequestFilter {
  state?: RequestState;
  fqdn?: string;
  tenant?: string;
  limit?: number;
  offset?: number;
}

export class StateConflictError extends Error {
  constructor(readonly requestId: string, readonly expected: string, readonly actual: string) {
    super(`request ${requestId} is ${actual}, expected ${expected}`);
  }
}

export class SqliteStore {
  readonly db: Database.Database;
  constructor(readonly file: string, private readonly clock: Clock) {
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
    this.assignments = new AssignmentStore(this.db);
  }

  /** Each agent's management servers (assignments.ts). */
  readonly assignments: AssignmentStore;

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once, reused: preparing a statement costs as much as running it (measured in the bulk bench). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
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

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  close(): void {
    this.db.close();
  }

  /**
   * Insert a new request with its `received` event, or return the existing one for the same fingerprint.
   * With `rejection`, the request is rejected in the same transaction (a file that is not a request at all), so
   * the pipeline never sees it as `received`.
   */
  insertRequest(r: NewRequest, message: string, rejection?: { reason: string; message: string; findings: Finding[] }): { request: StoredRequest; created: boolean } {
    return this.db.transaction(() => {
      const existing = this.getByFingerprint(r.fingerprint);
      if (existing) return { request: existing, created: false };
      const now = this.nowIso();
      let id = r.fingerprint.slice(0, 12);
      if (this.getRequest(id)) id = r.fingerprint.slice(0, 20);
      this
      .stmt(
          `INSERT INTO requests (id, fingerprint, fqdn, tenant, role, state, csr_der, original, source_name, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?)`,
        )
        .run(id, r.fingerprint, r.fqdn, r.tenant, r.role ?? 'agent', r.csrDer, r.originalBytes, r.sourceName, now, now);
      this.appendEvent(id, r.fqdn, null, 'received', 'RECEIVED', message, 'share', { sourceName: r.sourceName });
      if (rejection) {
        this.stmt(`UPDATE requests SET state = 'rejected', findings = ? WHERE id = ?`).run(JSON.stringify(rejection.findings), id);
        this.appendEvent(id, r.fqdn, 'received', 'rejected', rejection.reason, rejection.message, 'service', null);
      }
      return { request: this.getRequest(id)!, created: true };
    })();
  }

  private appendEvent(
    requestId: string,
    fqdn: string,
    from: RequestState | null,
    to: RequestState,
    reason: string,
    message: string,
    actor: string,
    data: Record<string, unknown> | null,
  ): void {
    this
      .stmt(`INSERT INTO events (request_id, fqdn, at, from_state, to_state, reason, message, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(requestId, fqdn, this.nowIso(), from, to, reason, message, actor, data ? JSON.stringify(data) : null);
  }

  /** Move a request from one of `from` to `to`, atomically with its event (and certificate, when given). */
  transition(id: string, t: TransitionInput): StoredRequest {
    return this.db.transaction(() => {
      const cur = this.getRequest(id);
      if (!cur) throw new AgentcertError('AC_NOT_FOUND', `no request ${id}`);
      const from = typeof t.from === 'string' ? [t.from] : t.from;
      if (!from.includes(cur.state)) throw new StateConflictError(id, from.join('|'), cur.state);
      const now = this.nowIso();
      this
      .stmt(
          `UPDATE requests SET state = ?, ca_request_id = ?, findings = ?, attempts = ?, next_attempt_at = ?, republish = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          t.to,
          t.caRequestId !== undefined ? t.caRequestId : cur.caRequestId,
          JSON.stringify(t.findings ?? cur.findings),
          t.attempts ?? 0,
          t.nextAttemptAt ?? null,
          t.republish ? 1 : 0,
          now,
          id,
        );
      if (t.certificate) this.insertCertificate(t.certificate, now);
      this.appendEvent(id, cur.fqdn, cur.state, t.to, t.reason, t.message, t.actor ?? 'service', t.data ?? null);
      // The row as just written (not read back: reading the request's blobs again was a visible share of a
      // transition in the bulk bench).
      return {
        ...cur,
        state: t.to,
        caRequestId: t.caRequestId !== undefined ? t.caRequestId : cur.caRequestId,
        findings: t.findings ?? cur.findings,
        attempts: t.attempts ?? 0,
        nextAttemptAt: t.nextAttemptAt ?? null,
        republish: t.republish === true,
        updatedAt: now,
      };
    })();
  }

  /**
   * Several writes as one transaction (nested calls become savepoints): used where two transitions belong
   * together, such as `issued` and the verify gate's verdict on the same certificate.
   */
  atomic<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private insertCertificate(c: NonNullable<TransitionInput['certificate']>, now: string): void {
    this
      .stmt(
        `INSERT INTO certificates (serial, request_id, fqdn, tenant, thumbprint, sha256, not_before, not_after, subject, issuer, der, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
      )
      .run(c.serialNumber, c.requestId, c.fqdn, c.tenant, c.thumbprint, c.sha256, c.notBefore, c.notAfter, c.subject, c.issuer, c.der, now);
  }

  /** Record something that happened to a request without changing its state (a retry, a re-drop, a re-publish). */
  note(id: string, e: { reason: string; message: string; actor?: string; data?: Record<string, unknown> | null; attempts?: number; nextAttemptAt?: string | null; republish?: boolean }): StoredRequest {
    return this.db.transaction(() => {
      const cur = this.getRequest(id);
      if (!cur) throw new AgentcertError('AC_NOT_FOUND', `no request ${id}`);
      this
      .stmt(`UPDATE requests SET attempts = ?, next_attempt_at = ?, republish = ?, updated_at = ? WHERE id = ?`)
        .run(
          e.attempts ?? cur.attempts,
          e.nextAttemptAt !== undefined ? e.nextAttemptAt : cur.nextAttemptAt,
          e.republish !== undefined ? (e.republish ? 1 : 0) : cur.republish ? 1 : 0,
          this.nowIso(),
          id,
        );
      this.appendEvent(id, cur.fqdn, cur.state, cur.state, e.reason, e.message, e.actor ?? 'service', e.data ?? null);
      return this.getRequest(id)!;
    })();
  }

  getRequest(id: string): StoredRequest | null {
    const row = this.stmt(`SELECT * FROM requests WHERE id = ?`).get(id) as RequestRow | undefined;
    return row ? rowToRequest(row) : null;
  }

  getByFingerprint(fp: string): StoredRequest | null {
    const row = this.stmt(`SELECT * FROM requests WHERE fingerprint = ?`).get(fp) as RequestRow | undefined;
    return row ? rowToRequest(row) : null;
  }

  /** Requests the pipeline can advance now: not terminal, not waiting for a person, and due. */
  dueRequests(now: Date, limit: number): StoredRequest[] {
    const rows = this
      .stmt(
        `SELECT * FROM requests
         WHERE (state IN ('received','checked','submitted','awaiting_ca','issued','verified') OR (state IN ('packaged','rejected') AND republish = 1))
           AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
         ORDER BY created_at LIMIT ?`,
      )
      .all(now.toISOString(), limit) as RequestRow[];
    return rows.map(rowToRequest);
  }

  /** When the next scheduled attempt is due, for the scheduler's sleep. */
  nextScheduledAt(): string | null {
    const row = this
      .stmt(`SELECT MIN(next_attempt_at) AS t FROM requests WHERE state IN ('received','checked','submitted','awaiting_ca','issued','verified') AND next_attempt_at IS NOT NULL`)
      .get() as { t: string | null };
    return row.t;
  }

  findRequests(f: RequestFilter = {}): StoredRequest[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.state) (where.push('state = ?'), args.push(f.state));
    if (f.fqdn) (where.push('fqdn = ?'), args.push(f.fqdn.toLowerCase()));
    if (f.tenant) (where.push('tenant = ?'), args.push(f.tenant));
    const sql = `SELECT * FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`;
    const rows = this.stmt(sql).all(...args, f.limit ?? 1000, f.offset ?? 0) as RequestRow[];
    return rows.map(rowToRequest);
  }

  events(requestId: string): AuditEvent[] {
    return (this.stmt(`SELECT * FROM events WHERE request_id = ? ORDER BY id`).all(requestId) as EventRow[]).map(rowToEvent);
  }

  certificateForRequest(requestId: string): IssuedCertificate | null {
    const row = this.stmt(`SELECT * FROM certificates WHERE request_id = ?`).get(requestId) as CertificateRow | undefined;
    return row ? rowToCertificate(row) : null;
  }

  /** Find a certificate by serial (either byte order) or thumbprint. */
  findCertificate(key: string): IssuedCertificate | null {
    const k = key.replace(/[\s:]/g, '').toUpperCase();
    const row = this.stmt(`SELECT * FROM certificates WHERE serial = ? OR thumbprint = ?`).get(k, k) as CertificateRow | undefined;
    return row ? rowToCertificate(row) : null;
  }

  findCertificates(f: { fqdn?: string; state?: string; expiringBefore?: string; limit?: number; offset?: number } = {}): IssuedCertificate[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.fqdn) (where.push('fqdn = ?'), args.push(f.fqdn.toLowerCase()));
    if (f.state) (where.push('state = ?'), args.push(f.state));
    if (f.expiringBefore) (where.push('not_after <= ?'), args.push(f.expiringBefore));
    const sql = `SELECT * FROM certificates ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY not_after, serial LIMIT ? OFFSET ?`;
    return (this.stmt(sql).all(...args, f.limit ?? 1000, f.offset ?? 0) as CertificateRow[]).map(rowToCertificate);
  }

  /** An active certificate past its notAfter. */
  expireCertificate(serial: string): void {
    this.stmt(`UPDATE certificates SET state = 'expired' WHERE serial = ? AND state IN ('active', 'superseded')`).run(serial);
  }

  /** Mark a certificate superseded (a newer one for the same FQDN is installed). */
  supersedeCertificate(serial: string): void {
    this.stmt(`UPDATE certificates SET state = 'superseded' WHERE serial = ? AND state = 'active'`).run(serial);
  }

  countByState(): Record<string, number> {
    const rows = this.stmt(`SELECT state, COUNT(*) AS n FROM requests GROUP BY state`).all() as { state: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  getMeta(key: string): string | null {
    const row = this.stmt(`SELECT value FROM meta WHERE key = ?`).get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.stmt(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  // ---- The admin surface (listing.ts holds the page queries) ----

  pageRequests(f: RequestPageFilter): Page<RequestSummary> {
    return pageRequests(this.db, f);
  }

  pageCertificates(f: CertificatePageFilter): Page<CertificateSummary> {
    return pageCertificates(this.db, f);
  }

  expiryByMonth(from: Date, to: Date): { month: string; count: number }[] {
    return expiryByMonth(this.db, from.toISOString(), to.toISOString());
  }

  countActiveExpiring(now: Date, before: Date): number {
    return countActiveExpiring(this.db, now.toISOString(), before.toISOString());
  }

  countCertificatesByState(): Record<string, number> {
    return countCertificatesByState(this.db);
  }

  /** The audit trail across requests, newest first, optionally of one actor or reason. */
  pageEvents(f: { requestId?: string; actor?: string; reason?: string; afterId?: number; limit: number; offset: number }): Page<AuditEvent> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.requestId) (where.push('request_id = ?'), args.push(f.requestId));
    if (f.actor) (where.push('actor = ?'), args.push(f.actor));
    if (f.reason) (where.push('reason = ?'), args.push(f.reason));
    if (f.afterId !== undefined) (where.push('id > ?'), args.push(f.afterId));
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.stmt(`SELECT COUNT(*) AS n FROM events ${w}`).get(...args) as { n: number }).n;
    const rows = this.stmt(`SELECT * FROM events ${w} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args, f.limit, f.offset) as EventRow[];
    return { items: rows.map(rowToEvent), total, limit: f.limit, offset: f.offset };
  }

  /** The newest event (the pipeline's last sign of life), or null on an empty store. */
  lastEvent(): { id: number; at: string } | null {
    return (this.stmt(`SELECT id, at FROM events ORDER BY id DESC LIMIT 1`).get() as { id: number; at: string } | undefined) ?? null;
  }

  /** The request that has been in one of `states` the longest (by the time of its last change). */
  oldestIn(states: readonly RequestState[]): { id: string; fqdn: string; state: RequestState; since: string } | null {
    const marks = states.map(() => '?').join(',');
    const row = this
      .stmt(`SELECT id, fqdn, state, updated_at AS since FROM requests WHERE state IN (${marks}) ORDER BY updated_at LIMIT 1`)
      .get(...states) as { id: string; fqdn: string; state: RequestState; since: string } | undefined;
    return row ?? null;
  }

  /** How many requests the pipeline could work on now (the stall monitor). */
  countDue(now: Date): number {
    return (
      this
      .stmt(`SELECT COUNT(*) AS n FROM requests WHERE state IN ('received','checked','submitted','awaiting_ca','issued','verified') AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`)
        .get(now.toISOString()) as { n: number }
    ).n;
  }

  /** Issuance latencies (created → packaged) of packagings recorded after event `afterId`, for the histogram. */
  packagedSince(afterId: number): { eventId: number; seconds: number }[] {
    return this
      .stmt(
        `SELECT e.id AS eventId, (julianday(e.at) - julianday(r.created_at)) * 86400.0 AS seconds
         FROM events e JOIN requests r ON r.id = e.request_id
         WHERE e.id > ? AND e.to_state = 'packaged' AND e.from_state = 'verified' ORDER BY e.id`,
      )
      .all(afterId) as { eventId: number; seconds: number }[];
  }

  /** CA failures (retries and permanent errors with an AC_CA_* code other than a denial) after event `afterId`. */
  caErrorsSince(afterId: number): { eventId: number; reason: string }[] {
    return this
      .stmt(`SELECT id AS eventId, reason FROM events WHERE id > ? AND substr(reason, 1, 6) = 'AC_CA_' AND reason <> 'AC_CA_DENIED' ORDER BY id`)
      .all(afterId) as { eventId: number; reason: string }[];
  }

  /**
   * Revoke a certificate: its row and its request's state change in one transaction with the request's
   * `revoked` event, so "revoked" shows the same everywhere and the audit trail names who did it.
   */
  revokeCertificate(serial: string, r: { reason: string; comment: string; actor: string }): IssuedCertificate {
    return this.db.transaction(() => {
      const cert = this.findCertificate(serial);
      if (!cert) throw new AgentcertError('AC_NOT_FOUND', `no certificate with serial ${serial}`);
      if (cert.state === 'revoked') throw new AgentcertError('AC_STATE_CONFLICT', `certificate ${cert.serialNumber} was revoked already (${cert.revokedAt})`);
      const now = this.nowIso();
      this.stmt(`UPDATE certificates SET state = 'revoked', revoked_at = ?, revocation_reason = ? WHERE serial = ?`).run(now, r.reason, cert.serialNumber);
      const req = this.getRequest(cert.requestId)!;
      const message = `certificate ${cert.serialNumber} revoked by ${r.actor} (${r.reason})${r.comment ? `: ${r.comment}` : ''}`;
      const data = { serialNumber: cert.serialNumber, revocationReason: r.reason };
      if (req.state === 'revoked') this.note(req.id, { reason: 'REVOKED', message, actor: r.actor, data });
      else this.transition(req.id, { from: req.state, to: 'revoked', reason: 'REVOKED', message, actor: r.actor, data, attempts: req.attempts });
      return this.findCertificate(cert.serialNumber)!;
    })();
  }

  /** Every revoked certificate, for the CRL. */
  revokedCertificates(): { serialNumber: string; revokedAt: string; reason: string | null }[] {
    return this
      .stmt(`SELECT serial AS serialNumber, revoked_at AS revokedAt, revocation_reason AS reason FROM certificates WHERE state = 'revoked' ORDER BY revoked_at, serial`)
      .all() as { serialNumber: string; revokedAt: string; reason: string | null }[];
  }

  /** The next cRLNumber (RFC 5280 §5.2.3: monotonically increasing), taken atomically across processes. */
  nextCrlNumber(): bigint {
    return this.db.transaction(() => {
      const next = BigInt(this.getMeta('crl.number') ?? '0') + 1n;
      this.setMeta('crl.number', next.toString());
      return next;
    }).immediate();
  }
}
