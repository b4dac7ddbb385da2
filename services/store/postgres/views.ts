/**
 * Read models over the PostgreSQL tables: the admin surface's pages and counts, and the monitors' and metrics'
 * figures — the same answers as the SQLite store's (sqlite/views.ts, sqlite/listing.ts), in the same order.
 * Free-text search is ILIKE '%text%' on the columns SQLite's LIKE searches, served by the trigram indexes of
 * migration 4 (postgres/migrations.ts).
 */
import { sqlStateList, type AuditEvent, type CertificatePageFilter, type CertificateSummary, type EventPageFilter, type Page, type RequestPageFilter, type RequestState, type RequestSummary, type StateGroup, type StoreViews, type TenantStateCount } from '../../domain/index.js';
import type { PgDb, Row } from './database.js';
import { DUE_AT_1 } from './requests.js';
import { pgToEvent } from './rows.js';

/** `ILIKE` with the wildcards of the user's text taken literally (backslash is ILIKE's default escape). */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

class Where {
  readonly parts: string[] = [];
  readonly args: unknown[] = [];
  arg(v: unknown): string {
    this.args.push(v);
    return `$${this.args.length}`;
  }
  add(sql: string): void {
    this.parts.push(sql);
  }
  get sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/** ` AND tenant = ANY($n)` and its argument when the counts are limited to some tenants (a tenant-scoped token). */
function inTenants(tenants: readonly string[] | undefined, n: number): { sql: string; args: unknown[] } {
  return tenants ? { sql: ` AND tenant = ANY($${n}::text[])`, args: [[...tenants]] } : { sql: '', args: [] };
}

const count = (rows: Row[]): number => Number(rows[0]?.['n'] ?? 0);
const byKey = (rows: Row[], key: string): Record<string, number> => Object.fromEntries(rows.map((r) => [String(r[key]), Number(r['n'])]));

export class PgViews implements StoreViews {
  constructor(private readonly db: PgDb) {}

  async pageRequests(f: RequestPageFilter): Promise<Page<RequestSummary>> {
    const w = new Where();
    if (f.state) w.add(`r.state = ${w.arg(f.state)}`);
    if (f.tenant) w.add(`r.tenant = ${w.arg(f.tenant)}`);
    if (f.tenants) w.add(`r.tenant = ANY(${w.arg([...f.tenants])}::text[])`);
    if (f.fqdn) w.add(`r.fqdn = ${w.arg(f.fqdn.toLowerCase())}`);
    if (f.q) {
      const p = w.arg(likePattern(f.q.toLowerCase()));
      w.add(`(r.fqdn ILIKE ${p} OR r.id ILIKE ${p})`);
    }
    const total = count(await this.db.query(`SELECT COUNT(*) AS n FROM requests r ${w.sql}`, w.args));
    const rows = await this.db.query<RequestSummary & Row>(
      `SELECT r.id, r.fingerprint, r.fqdn, r.tenant, r.role, r.state, r.source_name AS "sourceName", r.attempts,
              r.next_attempt_at AS "nextAttemptAt", r.created_at AS "createdAt", r.updated_at AS "updatedAt",
              c.serial AS "serialNumber", c.state AS "certificateState", c.not_after AS "notAfter"
       FROM requests r LEFT JOIN certificates c ON c.request_id = r.id ${w.sql}
       ORDER BY r.created_at DESC, r.seq DESC LIMIT ${w.arg(f.limit)} OFFSET ${w.arg(f.offset)}`,
      w.args,
    );
    return { items: rows, total, limit: f.limit, offset: f.offset };
  }

  async pageCertificates(f: CertificatePageFilter): Promise<Page<CertificateSummary>> {
    const w = new Where();
    if (f.state) w.add(`state = ${w.arg(f.state)}`);
    if (f.tenant) w.add(`tenant = ${w.arg(f.tenant)}`);
    if (f.tenants) w.add(`tenant = ANY(${w.arg([...f.tenants])}::text[])`);
    if (f.fqdn) w.add(`fqdn = ${w.arg(f.fqdn.toLowerCase())}`);
    if (f.expiringBefore) w.add(`not_after <= ${w.arg(f.expiringBefore)} AND not_after > ${w.arg(f.now ?? '')}`);
    if (f.q) {
      const p = w.arg(likePattern(f.q));
      w.add(`(fqdn ILIKE ${p} OR serial ILIKE ${p} OR thumbprint ILIKE ${p})`);
    }
    const total = count(await this.db.query(`SELECT COUNT(*) AS n FROM certificates ${w.sql}`, w.args));
    const rows = await this.db.query<CertificateSummary & Row>(
      `SELECT serial AS "serialNumber", request_id AS "requestId", fqdn, tenant, thumbprint, not_before AS "notBefore", not_after AS "notAfter",
              subject, issuer, state, revoked_at AS "revokedAt", revocation_reason AS "revocationReason", created_at AS "createdAt"
       FROM certificates ${w.sql} ORDER BY not_after, seq LIMIT ${w.arg(f.limit)} OFFSET ${w.arg(f.offset)}`,
      w.args,
    );
    return { items: rows, total, limit: f.limit, offset: f.offset };
  }

  async pageEvents(f: EventPageFilter): Promise<Page<AuditEvent>> {
    const w = new Where();
    if (f.tenants) w.add(`request_id IN (SELECT id FROM requests WHERE tenant = ANY(${w.arg([...f.tenants])}::text[]))`);
    if (f.requestId) w.add(`request_id = ${w.arg(f.requestId)}`);
    if (f.actor) w.add(`actor = ${w.arg(f.actor)}`);
    if (f.reason) w.add(`reason = ${w.arg(f.reason)}`);
    const total = count(await this.db.query(`SELECT COUNT(*) AS n FROM events ${w.sql}`, w.args));
    const rows = await this.db.query(`SELECT * FROM events ${w.sql} ORDER BY id DESC LIMIT ${w.arg(f.limit)} OFFSET ${w.arg(f.offset)}`, w.args);
    return { items: rows.map(pgToEvent), total, limit: f.limit, offset: f.offset };
  }

  async requestsByState(tenants?: readonly string[]): Promise<Record<string, number>> {
    const t = inTenants(tenants, 1);
    return byKey(await this.db.query(`SELECT state, COUNT(*) AS n FROM requests WHERE TRUE${t.sql} GROUP BY state`, t.args), 'state');
  }

  async certificatesByState(tenants?: readonly string[]): Promise<Record<string, number>> {
    const t = inTenants(tenants, 1);
    return byKey(await this.db.query(`SELECT state, COUNT(*) AS n FROM certificates WHERE TRUE${t.sql} GROUP BY state`, t.args), 'state');
  }

  async countsByTenant(tenants?: readonly string[]): Promise<{ requests: TenantStateCount[]; certificates: TenantStateCount[] }> {
    const t = inTenants(tenants, 1);
    const of = async (table: string): Promise<TenantStateCount[]> =>
      (await this.db.query(`SELECT tenant, state, COUNT(*) AS n FROM ${table} WHERE TRUE${t.sql} GROUP BY tenant, state`, t.args)).map((r) => ({ tenant: String(r['tenant']), state: String(r['state']), n: Number(r['n']) }));
    return { requests: await of('requests'), certificates: await of('certificates') };
  }

  async countActiveExpiring(now: Date, before: Date, tenants?: readonly string[]): Promise<number> {
    const t = inTenants(tenants, 3);
    return count(await this.db.query(`SELECT COUNT(*) AS n FROM certificates WHERE state = 'active' AND not_after > $1 AND not_after <= $2${t.sql}`, [now.toISOString(), before.toISOString(), ...t.args]));
  }

  async expiryByMonth(from: Date, to: Date, tenants?: readonly string[]): Promise<{ month: string; count: number }[]> {
    const t = inTenants(tenants, 3);
    const rows = await this.db.query(
      `SELECT substr(not_after, 1, 7) AS month, COUNT(*) AS n FROM certificates WHERE state = 'active' AND not_after > $1 AND not_after <= $2${t.sql} GROUP BY month ORDER BY month`,
      [from.toISOString(), to.toISOString(), ...t.args],
    );
    return rows.map((r) => ({ month: String(r['month']), count: Number(r['n']) }));
  }

  async lastRequestAt(): Promise<string | null> {
    return (await this.db.one<{ at: string | null }>(`SELECT MAX(created_at) AS at FROM requests`))?.at ?? null;
  }

  async oldestIn(group: StateGroup): Promise<{ id: string; fqdn: string; state: RequestState; since: string } | null> {
    return this.db.one<{ id: string; fqdn: string; state: RequestState; since: string }>(
      `SELECT id, fqdn, state, updated_at AS since FROM requests WHERE state IN (${sqlStateList(group)}) ORDER BY updated_at, seq LIMIT 1`,
    );
  }

  async countDue(now: Date): Promise<number> {
    return count(await this.db.query(`SELECT COUNT(*) AS n FROM requests WHERE ${DUE_AT_1}`, [now.toISOString()]));
  }

  async lastEvent(): Promise<{ id: number; at: string } | null> {
    const row = await this.db.one(`SELECT id, at FROM events ORDER BY id DESC LIMIT 1`);
    return row ? { id: Number(row['id']), at: String(row['at']) } : null;
  }

  async packagedSince(afterId: number): Promise<{ eventId: number; seconds: number }[]> {
    const rows = await this.db.query(
      `SELECT e.id, EXTRACT(EPOCH FROM (e.at::timestamptz - r.created_at::timestamptz))::float8 AS seconds
       FROM events e JOIN requests r ON r.id = e.request_id
       WHERE e.id > $1 AND e.to_state = 'packaged' AND e.from_state = 'verified' ORDER BY e.id`,
      [afterId],
    );
    return rows.map((r) => ({ eventId: Number(r['id']), seconds: Number(r['seconds']) }));
  }

  async caErrorsSince(afterId: number): Promise<{ eventId: number; reason: string }[]> {
    const rows = await this.db.query(`SELECT id, reason FROM events WHERE id > $1 AND substr(reason, 1, 6) = 'AC_CA_' AND reason <> 'AC_CA_DENIED' ORDER BY id`, [afterId]);
    return rows.map((r) => ({ eventId: Number(r['id']), reason: String(r['reason']) }));
  }
}
