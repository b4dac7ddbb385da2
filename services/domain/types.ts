/**
 * The vocabulary of agentcert. Node built-ins only (ARCHITECTURE.md: domain depends on nothing).
 */

/** Request states (ARCHITECTURE.md "State machine"). */
export const REQUEST_STATES = [
  'received',
  'checked',
  'awaiting_approval',
  'submitted',
  'awaiting_ca',
  'issued',
  'verified',
  'packaged',
  'installed',
  'install_failed',
  'rejected',
  'denied',
  'failed',
  /** The CA signed a certificate the verify gate refused: revoked at the CA (or an admin must), the owner told why. */
  'refused',
  'superseded',
  'revoked',
  'expired',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** States in which the pipeline has nothing more to do for a request (until a result or admin acts). */
export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set<RequestState>([
  'packaged',
  'installed',
  'install_failed',
  'rejected',
  'denied',
  'failed',
  'refused',
  'superseded',
  'revoked',
  'expired',
]);

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
}

/** One state transition: the audit trail is the list of these. */
export interface AuditEvent {
  id: number;
  requestId: string;
  fqdn: string;
  at: string;
  from: RequestState | null;
  to: RequestState;
  /** Stable reason code (services/domain/errors.ts or a rule id). */
  reason: string;
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
  state: 'active' | 'revoked' | 'superseded' | 'expired';
  revokedAt: string | null;
  revocationReason: string | null;
  createdAt: string;
}
