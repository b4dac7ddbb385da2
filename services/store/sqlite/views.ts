/** Read models over the SQLite tables: the admin surface's pages and counts, and the monitors' and metrics' figures. */
import { sqlStateList, type AuditEvent, type CertificatePageFilter, type CertificateSummary, type EventPageFilter, type Page, type RequestPageFilter, type RequestState, type RequestSummary, type StateGroup, type StoreViews, type TenantStateCount } from '../../domain/index.js';
import type { SqliteDb } from './database.js';
import { countActiveExpiring, countByState, countByTenantAndState, expiryByMonth, marks, pageCertificates, pageRequests } from './listing.js';
import { DUE_AT } from './requests.js';
import { rowToEvent, type EventRow } from './rows.js';

export class SqliteViews implements StoreViews {
  constructor(private readonly s: SqliteDb) {}

  pageRequests(f: RequestPageFilter): Promise<Page<RequestSummary>> {
    return this.s.run(() => pageRequests(this.s.db, f));
  }

  pageCertificates(f: CertificatePageFilter): Promise<Page<CertificateSummary>> {
    return this.s.run(() => pageCertificates(this.s.db, f));
  }

  pageEvents(f: EventPageFilter): Promise<Page<AuditEvent>> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.requestId) (where.push('request_id = ?'), args.push(f.requestId));
    if (f.actor) (where.push('actor = ?'), args.push(f.actor));
    if (f.reason) (where.push('reason = ?'), args.push(f.reason));
    if (f.tenants) (where.push(`request_id IN (SELECT id FROM requests WHERE tenant IN (${marks(f.tenants)}))`), args.push(...f.tenants));
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return this.s.run(() => {
      const total = (this.s.stmt(`SELECT COUNT(*) AS n FROM events ${w}`).get(...args) as { n: number }).n;
      const rows = this.s.stmt(`SELECT * FROM events ${w} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args, f.limit, f.offset) as EventRow[];
      return { items: rows.map(rowToEvent), total, limit: f.limit, offset: f.offset };
    });
  }

  requestsByState(tenants?: readonly string[]): Promise<Record<string, number>> {
    return this.s.run(() => countByState(this.s.db, 'requests', tenants));
  }

  certificatesByState(tenants?: readonly string[]): Promise<Record<string, number>> {
    return this.s.run(() => countByState(this.s.db, 'certificates', tenants));
  }

  countsByTenant(tenants?: readonly string[]): Promise<{ requests: TenantStateCount[]; certificates: TenantStateCount[] }> {
    return this.s.run(() => ({ requests: countByTenantAndState(this.s.db, 'requests', tenants), certificates: countByTenantAndState(this.s.db, 'certificates', tenants) }));
  }

  countActiveExpiring(now: Date, before: Date, tenants?: readonly string[]): Promise<number> {
    return this.s.run(() => countActiveExpiring(this.s.db, now.toISOString(), before.toISOString(), tenants));
  }

  expiryByMonth(from: Date, to: Date, tenants?: readonly string[]): Promise<{ month: string; count: number }[]> {
    return this.s.run(() => expiryByMonth(this.s.db, from.toISOString(), to.toISOString(), tenants));
  }

  oldestIn(group: StateGroup): Promise<{ id: string; fqdn: string; state: RequestState; since: string } | null> {
    return this.s.run(
      () =>
        (this.s.stmt(`SELECT id, fqdn, state, updated_at AS since FROM requests WHERE state IN (${sqlStateList(group)}) ORDER BY updated_at LIMIT 1`).get() as
          | { id: string; fqdn: string; state: RequestState; since: string }
          | undefined) ?? null,
    );
  }

  countDue(now: Date): Promise<number> {
    return this.s.run(
      () => (this.s.stmt(`SELECT COUNT(*) AS n FROM requests WHERE ${DUE_AT}`).get(now.toISOString()) as { n: number }).n,
    );
  }

  lastEvent(): Promise<{ id: number; at: string } | null> {
    return this.s.run(() => (this.s.stmt(`SELECT id, at FROM events ORDER BY id DESC LIMIT 1`).get() as { id: number; at: string } | undefined) ?? null);
  }

  lastRequestAt(): Promise<string | null> {
    return this.s.run(() => (this.s.stmt(`SELECT MAX(created_at) AS at FROM requests`).get() as { at: string | null }).at);
  }

  packagedSince(afterId: number): Promise<{ eventId: number; seconds: number }[]> {
    return this.s.run(
      () =>
        this.s
          .stmt(
            `SELECT e.id AS eventId, (julianday(e.at) - julianday(r.created_at)) * 86400.0 AS seconds
             FROM events e JOIN requests r ON r.id = e.request_id
             WHERE e.id > ? AND e.to_state = 'packaged' AND e.from_state = 'verified' ORDER BY e.id`,
          )
          .all(afterId) as { eventId: number; seconds: number }[],
    );
  }

  caErrorsSince(afterId: number): Promise<{ eventId: number; reason: string }[]> {
    return this.s.run(
      () => this.s.stmt(`SELECT id AS eventId, reason FROM events WHERE id > ? AND substr(reason, 1, 6) = 'AC_CA_' AND reason <> 'AC_CA_DENIED' ORDER BY id`).all(afterId) as { eventId: number; reason: string }[],
    );
  }
}
