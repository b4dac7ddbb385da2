/**
 * Index-backed pages for the admin surface: one SELECT with LIMIT/OFFSET and one COUNT per page, never a
 * per-row lookup, and never the BLOB columns (CSR, original bytes, certificate DER) a list does not show.
 * The indexes these queries use are migration 2 (sqlite/migrations.ts). Pages are ordered by (key, rowid): every
 * SQLite index ends with the rowid, so the inner `SELECT rowid … LIMIT/OFFSET` is answered from the index
 * alone and only the page's own rows are read from the table — a deep page costs an index walk, not a sort.
 *
 * Free-text search (`q`) is a substring match, which no b-tree index answers. Its candidates come from the
 * trigram indexes of migration 4 (`requests_search`, `certificates_search`): a row holding the text holds every
 * trigram of it, so the rows holding all of them are a superset of the matches, and the LIKE of a plain scan is
 * then applied to those candidates only — the results and totals are exactly the scan's. A text shorter than
 * three characters has no trigram, and one that most rows contain gains nothing from the index: both take the
 * scan (see `searchCandidates`). When such a scan is the only filter and finds no more rows than reach the end of
 * the page (a short text that few rows hold), the page is taken from a table scan and a sort of those rows: a
 * walk of the ordering index would look up every row of the table (0.3 s instead of 30 ms at 100,000).
 */
import type Database from 'better-sqlite3';
import type { CertificatePageFilter, CertificateSummary, Page, RequestPageFilter, RequestSummary } from '../../domain/index.js';

/** `LIKE` with the wildcards of the user's text taken literally. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** At most this many of the text's trigrams go into the index query (a long text needs few to be selective). */
const MAX_TRIGRAMS = 12;

/**
 * The FTS5 query for rows holding every trigram of one of `texts` (each in code points, as the trigram
 * tokenizer reads them), or null when one of them has fewer than three. Each trigram is a quoted string, so
 * nothing in the user's text is FTS5 syntax; the tokenizer folds case, so the candidates include every row that
 * the case-insensitive LIKE matches.
 */
export function trigramMatch(texts: string[]): string | null {
  const groups = new Set<string>();
  for (const text of texts) {
    // ASCII letters are folded here as the tokenizer folds them, so "host12" and "HOST12" make one group.
    const cp = [...text.replace(/[A-Z]/g, (c) => c.toLowerCase())];
    if (cp.length < 3 || text.includes('\0')) return null;
    let grams = [...new Set(cp.slice(0, -2).map((_, i) => cp.slice(i, i + 3).join('')))];
    if (grams.length > MAX_TRIGRAMS) grams = Array.from({ length: MAX_TRIGRAMS }, (_, k) => grams[Math.round((k * (grams.length - 1)) / (MAX_TRIGRAMS - 1))]!);
    groups.add(grams.map((g) => `"${g.replace(/"/g, '""')}"`).join(' AND '));
  }
  if (groups.size === 0) return null;
  return groups.size === 1 ? [...groups][0]! : [...groups].map((g) => `(${g})`).join(' OR ');
}

/** Above this share of the table's rows the candidates cost as much as the scan they would save. */
const CANDIDATE_SHARE = 0.2;

/**
 * `rowid IN (…)` restricting `table` to the trigram index's candidates for `texts`, or null for a plain scan:
 * when a text is too short for trigrams, or when the candidates exceed a fifth of the table (counted with a
 * LIMIT, so that probe stops early; measured at 100,000 rows, a candidate costs about what a scanned row does).
 */
function searchCandidates(db: Database.Database, table: 'requests' | 'certificates', alias: string, texts: string[]): { sql: string; arg: string } | null {
  const match = trigramMatch(texts);
  if (match === null) return null;
  const index = `${table}_search`;
  const rows = (db.prepare(`SELECT max(rowid) AS n FROM ${table}`).get() as { n: number | null }).n ?? 0;
  const cap = Math.max(1000, Math.floor(rows * CANDIDATE_SHARE));
  let found: number;
  try {
    found = (db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${index} WHERE ${index} MATCH ? LIMIT ?)`).get(match, cap + 1) as { n: number }).n;
  } catch (err) {
    // A text FTS5 cannot parse after all (every trigram is quoted, so none is known): the scan answers it.
    if (/^fts5:/.test((err as Error).message)) return null;
    throw err;
  }
  if (found > cap) return null;
  return { sql: `${alias}rowid IN (SELECT rowid FROM ${index} WHERE ${index} MATCH ?)`, arg: match };
}

export function pageRequests(db: Database.Database, f: RequestPageFilter): Page<RequestSummary> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.state) (where.push('r.state = ?'), args.push(f.state));
  if (f.tenant) (where.push('r.tenant = ?'), args.push(f.tenant));
  if (f.tenants) (where.push(`r.tenant IN (${marks(f.tenants)})`), args.push(...f.tenants));
  if (f.fqdn) (where.push('r.fqdn = ?'), args.push(f.fqdn.toLowerCase()));
  let scanned = false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const candidates = searchCandidates(db, 'requests', 'r.', [q]);
    if (candidates) (where.push(candidates.sql), args.push(candidates.arg));
    else scanned = where.length === 0;
    where.push(`(r.fqdn LIKE ? ESCAPE '\\' OR r.id LIKE ? ESCAPE '\\')`);
    args.push(likePattern(q), likePattern(q));
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM requests r ${w}`).get(...args) as { n: number }).n;
  const from = scanned && total < f.offset + f.limit ? 'requests r NOT INDEXED' : 'requests r';
  const rows = db
    .prepare(
      `SELECT r.id, r.fingerprint, r.fqdn, r.tenant, r.role, r.state, r.source_name AS sourceName, r.attempts,
              r.next_attempt_at AS nextAttemptAt, r.created_at AS createdAt, r.updated_at AS updatedAt,
              c.serial AS serialNumber, c.state AS certificateState, c.not_after AS notAfter
       FROM requests r LEFT JOIN certificates c ON c.request_id = r.id
       WHERE r.rowid IN (SELECT r.rowid FROM ${from} ${w} ORDER BY r.created_at DESC, r.rowid DESC LIMIT ? OFFSET ?)
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
  if (f.tenants) (where.push(`tenant IN (${marks(f.tenants)})`), args.push(...f.tenants));
  if (f.fqdn) (where.push('fqdn = ?'), args.push(f.fqdn.toLowerCase()));
  if (f.expiringBefore) {
    where.push('not_after <= ?', 'not_after > ?');
    args.push(f.expiringBefore, f.now ?? '');
  }
  let scanned = false;
  if (f.q) {
    const p = likePattern(f.q);
    // fqdn is compared with the lower-case text, serial and thumbprint with the upper-case one.
    const candidates = searchCandidates(db, 'certificates', '', [f.q.toLowerCase(), f.q.toUpperCase()]);
    if (candidates) (where.push(candidates.sql), args.push(candidates.arg));
    else scanned = where.length === 0;
    where.push(`(fqdn LIKE ? ESCAPE '\\' OR serial LIKE ? ESCAPE '\\' OR thumbprint LIKE ? ESCAPE '\\')`);
    args.push(likePattern(f.q.toLowerCase()), p.toUpperCase(), p.toUpperCase());
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM certificates ${w}`).get(...args) as { n: number }).n;
  const from = scanned && total < f.offset + f.limit ? 'certificates NOT INDEXED' : 'certificates';
  const rows = db
    .prepare(`SELECT ${CERT_COLUMNS} FROM certificates WHERE rowid IN (SELECT rowid FROM ${from} ${w} ORDER BY not_after, rowid LIMIT ? OFFSET ?) ORDER BY not_after, rowid`)
    .all(...args, f.limit, f.offset) as CertificateSummary[];
  return { items: rows, total, limit: f.limit, offset: f.offset };
}

/** One `?` per value, for `IN (…)`. */
export const marks = (values: readonly unknown[]): string => values.map(() => '?').join(', ');

/** `AND tenant IN (…)` and its arguments when the counts are limited to some tenants (a tenant-scoped token). */
function inTenants(tenants: readonly string[] | undefined): { sql: string; args: string[] } {
  return tenants ? { sql: ` AND tenant IN (${marks(tenants)})`, args: [...tenants] } : { sql: '', args: [] };
}

/** Active certificates per calendar month (UTC, `YYYY-MM`) of their notAfter, from `from` to `to`. */
export function expiryByMonth(db: Database.Database, from: string, to: string, tenants?: readonly string[]): { month: string; count: number }[] {
  const t = inTenants(tenants);
  return db
    .prepare(`SELECT substr(not_after, 1, 7) AS month, COUNT(*) AS count FROM certificates WHERE state = 'active' AND not_after > ? AND not_after <= ?${t.sql} GROUP BY month ORDER BY month`)
    .all(from, to, ...t.args) as { month: string; count: number }[];
}

export function countActiveExpiring(db: Database.Database, now: string, before: string, tenants?: readonly string[]): number {
  const t = inTenants(tenants);
  return (db.prepare(`SELECT COUNT(*) AS n FROM certificates WHERE state = 'active' AND not_after > ? AND not_after <= ?${t.sql}`).get(now, before, ...t.args) as { n: number }).n;
}

/** Rows by state (and by tenant), of the requests or the certificates table, optionally limited to some tenants. */
export function countByTenantAndState(db: Database.Database, table: 'requests' | 'certificates', tenants?: readonly string[]): { tenant: string; state: string; n: number }[] {
  const t = inTenants(tenants);
  return db.prepare(`SELECT tenant, state, COUNT(*) AS n FROM ${table} WHERE 1 = 1${t.sql} GROUP BY tenant, state`).all(...t.args) as { tenant: string; state: string; n: number }[];
}

export function countByState(db: Database.Database, table: 'requests' | 'certificates', tenants?: readonly string[]): Record<string, number> {
  const t = inTenants(tenants);
  const rows = db.prepare(`SELECT state, COUNT(*) AS n FROM ${table} WHERE 1 = 1${t.sql} GROUP BY state`).all(...t.args) as { state: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}
