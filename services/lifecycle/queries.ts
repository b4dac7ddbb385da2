/**
 * Read-side application functions shared by the CLI and the API: the inventory and one record's history.
 */
import type { AuditEvent, RequestState } from '../domain/index.js';
import { AgentcertError } from '../domain/index.js';
import type { SqliteStore, StoredRequest } from '../store/index.js';
import { renewalDueAt } from './renewal.js';

export interface InventoryItem {
  id: string;
  fqdn: string;
  tenant: string;
  state: RequestState;
  serialNumber: string | null;
  thumbprint: string | null;
  notAfter: string | null;
  createdAt: string;
  updatedAt: string;
}

export function listInventory(store: SqliteStore, f: { state?: RequestState; expiringDays?: number; now: Date; limit?: number; offset?: number }): InventoryItem[] {
  const rows = store.findRequests({ ...(f.state ? { state: f.state } : {}), limit: f.limit ?? 100_000, offset: f.offset ?? 0 });
  const horizon = f.expiringDays !== undefined ? new Date(f.now.getTime() + f.expiringDays * 86_400_000) : null;
  const out: InventoryItem[] = [];
  for (const r of rows) {
    const c = store.certificateForRequest(r.id);
    if (horizon && (!c || c.state !== 'active' || new Date(c.notAfter) > horizon)) continue;
    out.push({ id: r.id, fqdn: r.fqdn, tenant: r.tenant, state: r.state, serialNumber: c?.serialNumber ?? null, thumbprint: c?.thumbprint ?? null, notAfter: c?.notAfter ?? null, createdAt: r.createdAt, updatedAt: r.updatedAt });
  }
  return out;
}

export interface RecordView {
  request: Omit<StoredRequest, 'csrDer' | 'originalBytes'>;
  certificate: { serialNumber: string; thumbprint: string; sha256: string; notBefore: string; notAfter: string; renewalDueAt: string; subject: string; issuer: string; state: string; pem: string } | null;
  events: AuditEvent[];
}

/** Find by request id, fingerprint, FQDN (the newest request), serial or thumbprint. */
export function showRecord(store: SqliteStore, key: string, renewal: { percent: number; daysBefore: number | null } = { percent: 66.67, daysBefore: null }): RecordView {
  const k = key.trim();
  const r =
    store.getRequest(k.toLowerCase()) ??
    store.getByFingerprint(k.toLowerCase()) ??
    store.findRequests({ fqdn: k.toLowerCase(), limit: 1 })[0] ??
    (() => {
      const c = store.findCertificate(k);
      return c ? store.getRequest(c.requestId) : null;
    })();
  if (!r) throw new AgentcertError('AC_NOT_FOUND', `nothing matches "${key}" (tried request id, fingerprint, FQDN, serial, thumbprint)`);
  const c = store.certificateForRequest(r.id);
  const { csrDer: _csr, originalBytes: _orig, ...request } = r;
  return {
    request,
    certificate: c
      ? { serialNumber: c.serialNumber, thumbprint: c.thumbprint, sha256: c.sha256, notBefore: c.notBefore, notAfter: c.notAfter, renewalDueAt: renewalDueAt(new Date(c.notBefore), new Date(c.notAfter), renewal).toISOString(), subject: c.subject, issuer: c.issuer, state: c.state, pem: `-----BEGIN CERTIFICATE-----\n${c.der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n` }
      : null,
    events: store.events(r.id),
  };
}
