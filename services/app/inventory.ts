/**
 * The admin surface's read side, shared by the API, the dashboard and the CLI: filtered, paginated lists with
 * totals (index-backed, services/store/sqlite/listing.ts), exports as CSV (RFC 4180) and JSON, the overview.
 */
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

function pageBounds(limit: number | undefined, offset: number | undefined, max = MAX_PAGE): { limit: number; offset: number } {
  const l = limit ?? 100;
  const o = offset ?? 0;
  if (!Number.isInteger(l) || l < 1 || l > max) throw new AgentcertError('AC_USAGE', `limit must be a whole number from 1 to ${max}, not ${limit}`);
  if (!Number.isInteger(o) || o < 0) throw new AgentcertError('AC_USAGE', `offset must be a whole number ≥ 0, not ${offset}`);
  return { limit: l, offset: o };
}

export function listRequests(store: Store, f: RequestQuery, max = MAX_PAGE): Promise<Page<RequestSummary>> {
  if (f.state && !REQUEST_STATES.includes(f.state as RequestState)) throw new AgentcertError('AC_USAGE', `unknown request state "${f.state}"`, [`states: ${REQUEST_STATES.join(', ')}`]);
  return store.views.pageRequests({
    ...(f.state ? { state: f.state as RequestState } : {}),
    ...(f.tenant ? { tenant: f.tenant } : {}),
    ...(f.fqdn ? { fqdn: f.fqdn } : {}),
    ...(f.q?.trim() ? { q: f.q.trim() } : {}),
    ...pageBounds(f.limit, f.offset, max),
  });
}

export function listCertificates(store: Store, f: CertificateQuery, now: Date, max = MAX_PAGE): Promise<Page<CertificateSummary>> {
  if (f.state && !(CERTIFICATE_STATES as readonly string[]).includes(f.state)) throw new AgentcertError('AC_USAGE', `unknown certificate state "${f.state}"`, [`states: ${CERTIFICATE_STATES.join(', ')}`]);
  const days = f.expiringWithinDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 0)) throw new AgentcertError('AC_USAGE', `expiringWithinDays must be a whole number of days, not ${days}`);
  const state = (f.state as CertificateState | undefined) ?? (days !== undefined ? 'active' : undefined);
  return store.views.pageCertificates({
    ...(state ? { state } : {}),
    ...(f.tenant ? { tenant: f.tenant } : {}),
    ...(f.fqdn ? { fqdn: f.fqdn } : {}),
    ...(f.q?.trim() ? { q: f.q.trim() } : {}),
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

/** RFC 4180: a field holding a comma, a quote or a line break is quoted, and its quotes doubled. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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

export async function overview(store: Store, now: Date): Promise<Overview> {
  const day = 86_400_000;
  const months: { month: string; count: number }[] = [];
  for (let i = 0; i < 12; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
    months.push({ month: d.toISOString().slice(0, 7), count: 0 });
  }
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 12, 1));
  for (const m of await store.views.expiryByMonth(now, end)) {
    const slot = months.find((x) => x.month === m.month);
    if (slot) slot.count = m.count;
  }
  return {
    requestsByState: await store.views.requestsByState(),
    certificatesByState: await store.views.certificatesByState(),
    expiringWithin30Days: await store.views.countActiveExpiring(now, new Date(now.getTime() + 30 * day)),
    expiringWithin7Days: await store.views.countActiveExpiring(now, new Date(now.getTime() + 7 * day)),
    expiryTimeline: months,
  };
}

/** Requests by state (/healthz, `serve --once`). */
export function requestCounts(store: Store): Promise<Record<string, number>> {
  return store.views.requestsByState();
}
