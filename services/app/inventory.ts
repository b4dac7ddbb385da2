/**
 * The admin surface's read side, shared by the API, the dashboard and the CLI: filtered, paginated lists with
 * totals (index-backed, services/store/sqlite/listing.ts), exports as CSV (RFC 4180) and JSON, the overview.
 */
import { ALL_TENANTS, scopedTenants, type TenantScope } from './tenant-scope.js';
import { AgentcertError, CERTIFICATE_STATES, REQUEST_STATES, type CertificateState, type CertificateSummary, type Page, type RequestState, type RequestSummary, type Store } from '../domain/index.js';

export { CERTIFICATE_STATES };
export const MAX_PAGE = 1000;

export interface RequestQuery {
  state?: string;
  tenant?: string;
  fqdn?: string;
  q?: string;
  limit?: number;
  offset?: number;
}

export interface CertificateQuery {
  state?: string;
  tenant?: string;
  fqdn?: string;
  q?: string;
  /** Only certificates that expire within this many days from now (active ones, unless `state` says otherwise). */
  expiringWithinDays?: number;
  limit?: number;
  offset?: number;
}

/**
 * Search text with a control character is refused: SQLite's LIKE stops a pattern at NUL, so "\u0000abc" matched
 * every row, and no FQDN, serial or thumbprint holds one.
 */
function searchText(q: string | undefined): string | undefined {
  const t = q?.trim();
  if (t && /[\u0000-\u001f\u007f]/.test(t)) throw new AgentcertError('AC_USAGE', 'the search text holds a control character; search for part of an FQDN, serial or thumbprint');
  return t || undefined;
}

function pageBounds(limit: number | undefined, offset: number | undefined, max = MAX_PAGE): { limit: number; offset: number } {
  const l = limit ?? 100;
  const o = offset ?? 0;
  if (!Number.isInteger(l) || l < 1 || l > max) throw new AgentcertError('AC_USAGE', `limit must be a whole number from 1 to ${max}, not ${limit}`);
  if (!Number.isInteger(o) || o < 0) throw new AgentcertError('AC_USAGE', `offset must be a whole number ≥ 0, not ${offset}`);
  return { limit: l, offset: o };
}

/** A request row with its agent's primary management server (README "Management group"), null when none. */
export type RequestListItem = RequestSummary & { primaryServer: string | null };

async function withPrimaryServers(store: Store, pending: Promise<Page<RequestSummary>>): Promise<Page<RequestListItem>> {
  const page = await pending;
  const assigned = await store.assignments.getMany(page.items.map((r) => r.fqdn));
  return { ...page, items: page.items.map((r) => ({ ...r, primaryServer: assigned.get(r.fqdn)?.primary ?? null })) };
}

/** `scope`: the caller's tenants (a tenant-scoped token; tenant-scope.ts), passed apart from the user's query. */
export function listRequests(store: Store, f: RequestQuery, scope: TenantScope = ALL_TENANTS, max = MAX_PAGE): Promise<Page<RequestListItem>> {
  if (f.state && !REQUEST_STATES.includes(f.state as RequestState)) throw new AgentcertError('AC_USAGE', `unknown request state "${f.state}"`, [`states: ${REQUEST_STATES.join(', ')}`]);
  return withPrimaryServers(store, store.views.pageRequests({
    ...(f.state ? { state: f.state as RequestState } : {}),
    ...(f.tenant ? { tenant: f.tenant } : {}),
    ...scopedTenants(scope, f.tenant),
    ...(f.fqdn ? { fqdn: f.fqdn } : {}),
    ...(searchText(f.q) ? { q: searchText(f.q)! } : {}),
    ...pageBounds(f.limit, f.offset, max),
  }));
}

export function listCertificates(store: Store, f: CertificateQuery, now: Date, scope: TenantScope = ALL_TENANTS, max = MAX_PAGE): Promise<Page<CertificateSummary>> {
  if (f.state && !(CERTIFICATE_STATES as readonly string[]).includes(f.state)) throw new AgentcertError('AC_USAGE', `unknown certificate state "${f.state}"`, [`states: ${CERTIFICATE_STATES.join(', ')}`]);
  const days = f.expiringWithinDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 0)) throw new AgentcertError('AC_USAGE', `expiringWithinDays must be a whole number of days, not ${days}`);
  const state = (f.state as CertificateState | undefined) ?? (days !== undefined ? 'active' : undefined);
  return store.views.pageCertificates({
    ...(state ? { state } : {}),
    ...(f.tenant ? { tenant: f.tenant } : {}),
    ...scopedTenants(scope, f.tenant),
    ...(f.fqdn ? { fqdn: f.fqdn } : {}),
    ...(searchText(f.q) ? { q: searchText(f.q)! } : {}),
    ...(days !== undefined ? { expiringBefore: new Date(now.getTime() + days * 86_400_000).toISOString(), now: now.toISOString() } : {}),
    ...pageBounds(f.limit, f.offset, max),
  });
}

/** Every row of a paged list, a page at a time (exports). */
export async function allPages<T>(fetch: (limit: number, offset: number) => Promise<Page<T>>, pageSize = 1000): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const p = await fetch(pageSize, offset);
    out.push(...p.items);
    if (p.items.length < pageSize) return out;
  }
}

export const REQUEST_EXPORT_COLUMNS = ['id', 'fqdn', 'tenant', 'role', 'state', 'sourceName', 'serialNumber', 'certificateState', 'notAfter', 'createdAt', 'updatedAt', 'fingerprint'] as const;
export const CERTIFICATE_EXPORT_COLUMNS = ['serialNumber', 'fqdn', 'tenant', 'state', 'notBefore', 'notAfter', 'thumbprint', 'subject', 'issuer', 'revokedAt', 'revocationReason', 'requestId', 'createdAt'] as const;

/**
 * RFC 4180: a field holding a comma, a quote or a line break is quoted, and its quotes doubled. A field that a
 * spreadsheet would read as a formula (it starts with =, +, -, @, tab or CR — a request file dropped as
 * `=1+2.req`) gets a leading apostrophe and is quoted, as the OWASP CSV Injection guidance says
 * (https://owasp.org/www-community/attacks/CSV_Injection).
 */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  const formula = /^[=+\-@\t\r]/.test(s);
  if (formula) s = `'${s}`;
  return formula || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: Iterable<object>, columns: readonly string[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField((r as Record<string, unknown>)[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

export interface Overview {
  requestsByState: Record<string, number>;
  certificatesByState: Record<string, number>;
  expiringWithin30Days: number;
  expiringWithin7Days: number;
  /** Active certificates expiring per month, the next 12 months (the first is the current month). */
  expiryTimeline: { month: string; count: number }[];
}

export async function overview(store: Store, now: Date, scope: TenantScope = ALL_TENANTS): Promise<Overview> {
  const t = scope ?? undefined;
  const day = 86_400_000;
  const months: { month: string; count: number }[] = [];
  for (let i = 0; i < 12; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
    months.push({ month: d.toISOString().slice(0, 7), count: 0 });
  }
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 12, 1));
  for (const m of await store.views.expiryByMonth(now, end, t)) {
    const slot = months.find((x) => x.month === m.month);
    if (slot) slot.count = m.count;
  }
  return {
    requestsByState: await store.views.requestsByState(t),
    certificatesByState: await store.views.certificatesByState(t),
    expiringWithin30Days: await store.views.countActiveExpiring(now, new Date(now.getTime() + 30 * day), t),
    expiringWithin7Days: await store.views.countActiveExpiring(now, new Date(now.getTime() + 7 * day), t),
    expiryTimeline: months,
  };
}

/** Requests by state (/healthz, `serve --once`). */
export function requestCounts(store: Store): Promise<Record<string, number>> {
  return store.views.requestsByState();
}
