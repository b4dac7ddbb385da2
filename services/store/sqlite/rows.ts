/** Row ↔ domain mapping for the SQLite store. */
import type { AgentRole, AuditEvent, Finding, IssuedCertificate, ReasonCode, RequestState, StoredRequest } from '../../domain/index.js';

export interface RequestRow {
  id: string;
  fingerprint: string;
  fqdn: string;
  tenant: string;
  role: string;
  state: string;
  csr_der: Buffer | null;
  original: Buffer;
  source_name: string;
  ca_request_id: string | null;
  attempts: number;
  next_attempt_at: string | null;
  republish: number;
  findings: string;
  created_at: string;
  updated_at: string;
}

export interface EventRow {
  id: number;
  request_id: string;
  fqdn: string;
  at: string;
  from_state: string | null;
  to_state: string;
  reason: string;
  message: string;
  actor: string;
  data: string | null;
}

export interface CertificateRow {
  serial: string;
  request_id: string;
  fqdn: string;
  tenant: string;
  thumbprint: string;
  sha256: string;
  not_before: string;
  not_after: string;
  subject: string;
  issuer: string;
  der: Buffer;
  state: string;
  revoked_at: string | null;
  revocation_reason: string | null;
  created_at: string;
}

export function rowToRequest(r: RequestRow): StoredRequest {
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    fqdn: r.fqdn,
    tenant: r.tenant,
    role: r.role as AgentRole,
    state: r.state as RequestState,
    csrDer: r.csr_der ?? Buffer.alloc(0),
    originalBytes: r.original,
    sourceName: r.source_name,
    caRequestId: r.ca_request_id,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    republish: r.republish === 1,
    findings: JSON.parse(r.findings) as Finding[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function rowToEvent(r: EventRow): AuditEvent {
  return {
    id: r.id,
    requestId: r.request_id,
    fqdn: r.fqdn,
    at: r.at,
    from: r.from_state as RequestState | null,
    to: r.to_state as RequestState,
    reason: r.reason as ReasonCode,
    message: r.message,
    actor: r.actor,
    data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
  };
}

export function rowToCertificate(r: CertificateRow): IssuedCertificate {
  return {
    serialNumber: r.serial,
    requestId: r.request_id,
    fqdn: r.fqdn,
    tenant: r.tenant,
    thumbprint: r.thumbprint,
    sha256: r.sha256,
    notBefore: r.not_before,
    notAfter: r.not_after,
    subject: r.subject,
    issuer: r.issuer,
    der: r.der,
    state: r.state as IssuedCertificate['state'],
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    createdAt: r.created_at,
  };
}
