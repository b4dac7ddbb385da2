/**
 * One record's whole history (CLI `show`); the paged lists are in inventory.ts.
 */
import type { AuditEvent } from '../domain/index.js';
import { AgentcertError } from '../domain/index.js';
import type { SqliteStore, StoredRequest } from '../store/index.js';
import { derToPem } from '../pki/index.js';
import { renewalDueAt } from './renewal.js';

export interface RecordView {
  request: Omit<StoredRequest, 'csrDer' | 'originalBytes'>;
  certificate: { serialNumber: string; thumbprint: string; sha256: string; notBefore: string; notAfter: string; renewalDueAt: string; subject: string; issuer: string; state: string; pem: string } | null;
  events: AuditEvent[];
  /** The agent's management servers (README "Management group"); null when it has none. */
  assignment: { primary: string; failovers: string[]; assignedAt: string } | null;
}

function assignmentOf(store: SqliteStore, fqdn: string): RecordView['assignment'] {
  const a = store.assignments.get(fqdn);
  return a ? { primary: a.primary, failovers: a.failovers, assignedAt: a.assignedAt } : null;
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
      ? { serialNumber: c.serialNumber, thumbprint: c.thumbprint, sha256: c.sha256, notBefore: c.notBefore, notAfter: c.notAfter, renewalDueAt: renewalDueAt(new Date(c.notBefore), new Date(c.notAfter), renewal).toISOString(), subject: c.subject, issuer: c.issuer, state: c.state, pem: derToPem(c.der, 'CERTIFICATE') }
      : null,
    events: store.events(r.id),
    assignment: assignmentOf(store, r.fqdn),
  };
}
