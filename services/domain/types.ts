/**
 * The vocabulary of agentcert. Node built-ins only (docs/architecture.md "Where things live": domain depends on nothing).
 */

import type { RequestState } from './states.js';
import type { ReasonCode } from './reasons.js';

export type Severity = 'error' | 'warning' | 'info';

/** One result of one rule (the rule catalog lives in services/rules). */
export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  /** What was found, in the words a server owner understands. */
  found?: string;
  /** What is required. */
  required?: string;
  remediation: string;
  /** The rule does not reject but needs an admin's approval (identity rules). */
  holds?: boolean;
}

export type VerdictOutcome = 'accept' | 'hold' | 'reject';

export interface PolicyVerdict {
  outcome: VerdictOutcome;
  findings: Finding[];
}

export type AgentRole = 'agent' | 'gateway' | 'management-server';

/** A request row as the store keeps it. */
export interface CertRequest {
  /** Short id shown to people: the first 12 hex characters of the fingerprint. */
  id: string;
  /** SHA-256 hex of the PKCS#10 DER: the idempotency key. */
  fingerprint: string;
  fqdn: string;
  tenant: string;
  state: RequestState;
  /** The PKCS#10 DER (the inner request when the file was CMS/CMC). */
  csrDer: Buffer;
  /** The bytes exactly as dropped on the share. */
  originalBytes: Buffer;
  /** The file name as dropped (for the archive and for messages). */
  sourceName: string;
  /** The CA's own request id (AD CS RequestId, or the built-in CA's issuance intent). */
  caRequestId: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  findings: Finding[];
  createdAt: string;
  updatedAt: string;
  role: AgentRole;
  /** The owner re-dropped a request whose result (package or rejection) is published again. */
  republish: boolean;
}

/** A request as the store returns it (the same shape: kept as a name for readability at call sites). */
export type StoredRequest = CertRequest;

/** One state transition: the audit trail is the list of these. */
export interface AuditEvent {
  id: number;
  requestId: string;
  fqdn: string;
  at: string;
  from: RequestState | null;
  to: RequestState;
  /** Stable reason code (reasons.ts: a lifecycle reason, an error code or a rule id). */
  reason: ReasonCode;
  message: string;
  actor: string;
  data: Record<string, unknown> | null;
}

export interface IssuedCertificate {
  serialNumber: string; // hex, upper case, as Windows shows it
  requestId: string;
  fqdn: string;
  tenant: string;
  thumbprint: string; // SHA-1 hex upper case
  sha256: string;
  notBefore: string;
  notAfter: string;
  subject: string;
  issuer: string;
  der: Buffer;
  state: CertificateState;
  revokedAt: string | null;
  revocationReason: string | null;
  createdAt: string;
}

export const CERTIFICATE_STATES = ['active', 'revoked', 'superseded', 'expired'] as const;
export type CertificateState = (typeof CERTIFICATE_STATES)[number];

/** An agent's management servers: a primary and its failovers in order (README "Management group"). */
export interface AgentAssignment {
  agent: string;
  tenant: string;
  primary: string;
  failovers: string[];
}

export interface StoredAssignment extends AgentAssignment {
  /** When the agent got its current primary. */
  assignedAt: string;
  updatedAt: string;
}
