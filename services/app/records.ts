/**
 * One record's whole history, and the one lookup ladder every command and route uses: request id, fingerprint,
 * FQDN (its newest request), certificate serial (either byte order) or thumbprint.
 */
import { AgentcertError, type AuditEvent, type EventPageFilter, type IssuedCertificate, type Page, type Store, type StoredRequest } from '../domain/index.js';
import { renewalDueAt, type RenewalTiming } from '../lifecycle/index.js';
import { derToPem } from '../pki/index.js';
import { ALL_TENANTS, inScope, visible, type TenantScope } from './tenant-scope.js';

export interface RecordView {
  request: Omit<StoredRequest, 'csrDer' | 'originalBytes'>;
  certificate: { serialNumber: string; thumbprint: string; sha256: string; notBefore: string; notAfter: string; renewalDueAt: string; subject: string; issuer: string; state: string; pem: string } | null;
  events: AuditEvent[];
  /** The agent's management servers (README "Management group"); null when it has none. */
  assignment: { primary: string; failovers: string[]; assignedAt: string } | null;
}

/**
 * A request by id, fingerprint or FQDN (the newest request for that name); with `byCertificate`, also by serial or
 * thumbprint. Under a tenant scope, only that scope's requests are found (tenant-scope.ts).
 */
export async function findRequest(store: Store, key: string, o: { byCertificate: boolean; scope?: TenantScope }): Promise<StoredRequest | null> {
  const scope = o.scope ?? ALL_TENANTS;
  const k = key.trim().toLowerCase();
  const byName = async () => (await store.requests.find({ fqdn: k, ...(scope ? {} : { limit: 1 }) })).find((x) => inScope(scope, x.tenant)) ?? null;
  const r = visible(scope, await store.requests.get(k)) ?? visible(scope, await store.requests.byFingerprint(k)) ?? (await byName());
  if (r || !o.byCertificate) return r;
  const c = visible(scope, await store.certificates.find(key.trim()));
  return c ? visible(scope, await store.requests.get(c.requestId)) : null;
}

export async function resolveRequest(store: Store, key: string, scope: TenantScope = ALL_TENANTS): Promise<StoredRequest> {
  const r = await findRequest(store, key, { byCertificate: false, scope });
  if (!r) throw new AgentcertError('AC_NOT_FOUND', `no request matches "${key}" (tried request id, fingerprint, FQDN)`);
  return r;
}

/** A certificate by serial or thumbprint, or the one active certificate of an FQDN. */
export async function resolveCertificate(store: Store, key: string, scope: TenantScope = ALL_TENANTS): Promise<IssuedCertificate> {
  const c = visible(scope, await store.certificates.find(key));
  if (c) return c;
  const active = (await store.certificates.findMany({ fqdn: key.trim().toLowerCase(), state: 'active' })).filter((x) => inScope(scope, x.tenant));
  if (active.length === 1) return active[0]!;
  if (active.length > 1) throw new AgentcertError('AC_USAGE', `${key} has ${active.length} active certificates; give the serial`, active.map((x) => `${x.serialNumber} valid until ${x.notAfter}`));
  throw new AgentcertError('AC_NOT_FOUND', `no certificate matches "${key}" (tried serial, thumbprint, FQDN with an active certificate)`);
}

export async function showRecord(store: Store, key: string, renewal: RenewalTiming, scope: TenantScope = ALL_TENANTS): Promise<RecordView> {
  const r = await findRequest(store, key, { byCertificate: true, scope });
  if (!r) throw new AgentcertError('AC_NOT_FOUND', `nothing matches "${key}" (tried request id, fingerprint, FQDN, serial, thumbprint)`);
  const c = await store.certificates.forRequest(r.id);
  const { csrDer: _csr, originalBytes: _orig, ...request } = r;
  return {
    request,
    certificate: c
      ? { serialNumber: c.serialNumber, thumbprint: c.thumbprint, sha256: c.sha256, notBefore: c.notBefore, notAfter: c.notAfter, renewalDueAt: renewalDueAt(new Date(c.notBefore), new Date(c.notAfter), renewal).toISOString(), subject: c.subject, issuer: c.issuer, state: c.state, pem: derToPem(c.der, 'CERTIFICATE') }
      : null,
    events: await store.events.forRequest(r.id),
    assignment: await assignmentOf(store, r.fqdn),
  };
}

async function assignmentOf(store: Store, fqdn: string): Promise<RecordView['assignment']> {
  const a = await store.assignments.get(fqdn);
  return a ? { primary: a.primary, failovers: a.failovers, assignedAt: a.assignedAt } : null;
}

/** One certificate with its PEM and its request's state (API `GET /certificates/:serial`). */
export async function certificateDetail(store: Store, key: string, scope: TenantScope = ALL_TENANTS): Promise<Omit<IssuedCertificate, 'der'> & { pem: string; requestState: string }> {
  const c = visible(scope, await store.certificates.find(key));
  if (!c) throw new AgentcertError('AC_NOT_FOUND', `no certificate with serial or thumbprint ${key}`);
  const { der, ...rest } = c;
  return { ...rest, pem: derToPem(der, 'CERTIFICATE'), requestState: (await store.requests.get(c.requestId))?.state ?? 'unknown' };
}

/** The audit trail across requests, newest first. */
export async function listEvents(store: Store, f: Partial<Omit<EventPageFilter, 'tenants'>>, scope: TenantScope = ALL_TENANTS): Promise<Page<AuditEvent>> {
  // Query coercion lets "Infinity" through as an integer; SQLite then fails (torture API fuzz found the 500).
  for (const [k, v] of [['limit', f.limit], ['offset', f.offset]] as const) {
    if (v !== undefined && !Number.isSafeInteger(v)) throw new AgentcertError('AC_USAGE', `${k} must be a whole number, not ${v}`);
  }
  return store.views.pageEvents({ ...(scope ? { tenants: scope } : {}), ...(f.requestId ? { requestId: f.requestId } : {}), ...(f.actor ? { actor: f.actor } : {}), ...(f.reason ? { reason: f.reason } : {}), limit: f.limit ?? 100, offset: f.offset ?? 0 });
}
