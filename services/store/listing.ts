/**
 * Index-backed pages for the admin surface: one SELECT with LIMIT/OFFSET and one COUNT per page, never a
 * per-row lookup, and never the BLOB columns (CSR, original bytes, certificate DER) a list does not show.
 * The indexes these queries use are migration 2 (migrations.ts). Pages are ordered by (key, rowid): every
 * SQLite index ends with the rowid, so the inner `SELECT rowid … LIMIT/OFFSET` is answered from the index
 * alone and only the page's own rows are read from the table — a deep page costs an index walk, not a sort.
 */
import type Database from 'better-sqlite3';
import type { RequestState } from '../domain/index.js';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface RequestPageFilter {
  state?: RequestState;
  tenant?: string;
  fqdn?: string;
  /** Substring of the FQDN or the request id. */
  q?: string;
  limit: number;
  offset: number;
}

export interface RequestSummary {
  id: string;
  fingerprint: string;
  fqdn: string;
  tenant: string;
  role: string;
  state: RequestState;
  sourceName: string;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  serialNumber: string | null;
  certificateState: string | null;
  notAfter: string | null;
}

export type CertificateState = 'active' | 'revoked' | 'superseded' | 'expired';

export interface CertificatePageFilter {
  state?: CertificateState;
  tenant?: string;
  fqdn?: string;
  /** Only certificates whose notAfter lies between `now` and this instant (ISO). */
  expiringBefore?: string;
  now?: string;
  /** Substring of the FQDN, serial or thumbprint. */
  q?: string;
  limit: number;
  offset: number;
}

export interface CertificateSummary {
  serialNumber: string;
  requestId: string;
  fqdn: string;
  tenant: string;
  thumbprint: string;
  notBefore: string;
  notAfter: string;
  subject: string;
  issuer: string;
  state: CertificateState;
  revokedAt: string | null;
  revocationReason: string | null;
  createdAt: string;
}

/** `LIKE` with the wildcards of the user's text taken literally. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function pageRequests(db: Database.Database, f: RequestPageFilter): Page<RequestSummary> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.state) (where.push('r.state = ?'), args.push(f.state));
  if (f.tenant) (where.push('r.tenant = ?'), args.push(f.tenant));
  if (f.fqdn) (where.push('r.fqdn = ?'), args.push(f.fqdn.toLowerCase()));
  if (f.q) (where.push(`(r.fqdn LIKE ? ESCAPE '\\' OR r.id LIKE ? ESCAPE '\\')`), args.push(likePattern(f.q.toLowerCase()), likePattern(f.q.toLowerCase())));
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM requests r ${w}`).get(...args) as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT r.id, r.fingerprint, r.fqdn, r.tenant, r.role, r.state, r.source_name AS sourceName, r.attempts,
              r.next_attempt_at AS nextAttemptAt, r.created_at AS createdAt, r.updated_at AS updatedAt,
              c.serial AS serialNumber, c.state AS certificateState, c.not_after AS notAfter
       FROM requests r LEFT JOIN certificates c ON c.request_id = r.id
       WHERE r.rowid IN (SELECT r.rowid FROM requests r ${w} ORDER BY r.created_at DESC, r.rowid DESC LIMIT ? OFFSET ?)
       ORDER BY r.created_at DESC, r.rowid DESC`,
    )
    .all(...args, f.limit, f.offset) as RequestSummary[];
  return { items: rows, total, limit: f.limit, offset: f.offset };
}

const CERT_COLUMNS = `serial AS serialNumber, request_id AS requestId, fqdn, tenant, thumbprint, not_before AS notBefore,
  not_after AS notAfter, subject, issuer, state, revoked_at AS revokedAt, revocation_reason AS revocationReason, created_at AS createdAt`;

export function pageCertificates(db: Database.Database, f: CertificatePageFilter): Page<CertificateSummary> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.state) (where.push('state = ?'), args.push(f.state));
  if (f.tenant) (where.push('tenant = ?'), args.push(f.tenant));
  if (f.fqdn) (where.push('fqdn = ?'), args.push(f.fqdn.toLowerCase()));
  if (f.expiringBefore) {
    where.push('not_after <= ?', 'not_after > ?');
    args.push(f.expiringBefore, f.now ?? '');
  }
  if (f.q) {
    const p = likePattern(f.q);
    where.push(`(fqdn LIKE ? ESCAPE '\\' OR serial LIKE ? ESCAPE '\\' OR thumbprint LIKE ? ESCAPE '\\')`);
    args.push(likePattern(f.q.toLowerCase()), p.toUpperCase(), p.toUpperCase());
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM certificates ${w}`).get(...args) as { n: number }).n;
  const rows = db
    .prepare(`SELECT ${CERT_COLUMNS} FROM certificates WHERE rowid IN (SELECT rowid FROM certificates ${w} ORDER BY not_after, rowid LIMIT ? OFFSET ?) ORDER BY not_after, rowid`)
    .all(...args, f.limit, f.offset) as CertificateSummary[];
  return { items: rows, total, limit: f.limit, offset: f.offset };
}

/** Active certificates per calendar month (UTC, `YYYY-MM`) of their notAfter, from `from` to `to`. */
export function expiryByMonth(db: Database.Database, from: string, to: string): { month: string; count: number }[] {
  return db
    .prepare(`SELECT substr(not_after, 1, 7) AS month, COUNT(*) AS count FROM certificates WHERE state = 'active' AND not_after > ? AND not_after <= ? GROUP BY month ORDER BY month`)
    .all(from, to) as { month: string; count: number }[];
}

export function countActiveExpiring(db: Database.Database, now: string, before: string): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM certificates WHERE state = 'active' AND not_after > ? AND not_after <= ?`).get(now, before) as { n: number }).n;
}

export function countCertificatesByState(db: Database.Database): Record<string, number> {
  const rows = db.prepare(`SELECT state, COUNT(*) AS n FROM certificates GROUP BY state`).all() as { state: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}
