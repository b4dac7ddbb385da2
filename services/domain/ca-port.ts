/**
 * The CA port: one small interface every backend implements (the step-ca `cas/apiv1` shape), and the optional
 * capabilities a backend may declare. Callers ask for a capability with its type guard, never by backend kind:
 * a new backend is one folder under services/ca/ and one line in services/ca/registry.ts.
 */

import type { ErrorCode } from './errors.js';

/** What a CA backend needs to issue one certificate. */
export interface IssuanceInput {
  /** Request fingerprint (SHA-256 hex of the PKCS#10 DER). */
  fingerprint: string;
  fqdn: string;
  /** The PKCS#10 DER. */
  csrDer: Buffer;
  /** The request's SubjectPublicKeyInfo DER (the key the certificate is for). */
  publicKeyDer: Buffer;
  /** The PKCS#10 as it was requested, re-encoded as PEM (`NEW CERTIFICATE REQUEST`), for certreq. */
  csrPem: string;
  /** True when the request itself asks for both serverAuth and clientAuth EKUs. */
  requestHasScomEkus: boolean;
  /** The DNS names the certificate must carry as its SAN, the FQDN first (services/rules/request-names.ts). */
  dnsNames: string[];
  /** The request's own SAN entries ("DNS:x", "IP:…"), which a CA that copies the request would issue. */
  requestedSubjectAltNames: string[];
}

/**
 * What a CA answered. `retry` is a transport failure (RPC unavailable, timeout, hung process): the request is
 * safe and will be tried again with backoff. `failed` is permanent.
 */
export type CaOutcome =
  | { kind: 'issued'; caRequestId: string; certificateDer: Buffer; message: string }
  | { kind: 'pending'; caRequestId: string; message: string; /** When to ask again (the backend's poll interval). */ pollAfterMs: number }
  | { kind: 'denied'; caRequestId: string | null; message: string }
  | { kind: 'retry'; caRequestId: string | null; code: ErrorCode; message: string }
  | { kind: 'failed'; caRequestId: string | null; code: ErrorCode; message: string; raw?: string };

export interface CaPing {
  ok: boolean;
  message: string;
}

/**
 * One small CA-backend interface (the step-ca `cas/apiv1` shape): the built-in CA is just another backend,
 * and the records are kept outside the backend, in the store.
 */
export interface CaBackend {
  /** The registry key of the backend (`ca.backend` in the configuration). */
  readonly kind: string;
  /**
   * Submit a request. Before anything irreversible happens at the CA the backend calls `persistCaRequestId`
   * with an id from which `resume` can continue without submitting again (the AD CS RequestId; the built-in
   * CA's issuance intent), and waits for it: the callback resolves once the id is durable.
   */
  submit(input: IssuanceInput, persistCaRequestId: (id: string) => Promise<void>): Promise<CaOutcome>;
  /** Continue a request that already has a CA request id: retrieve, resubmit, or re-derive. Never submits again. */
  resume(input: IssuanceInput, caRequestId: string): Promise<CaOutcome>;
  /** The CA certificates of the chain, DER, issuing CA first and the root last. */
  chain(): Promise<Buffer[]>;
  ping(): Promise<CaPing>;
  /**
   * The exact command an administrator runs to revoke a certificate at this CA by hand, for when agentcert could
   * not (AD CS: `certutil -config "<CA>" -revoke <serial> <code>`). Optional: a CRL-signing backend never needs it.
   */
  manualRevokeCommand?(serialHex: string, reason: RevocationReason): string;
}

/** The answer to an administrative CA call (revoke, publish a CRL, amend a pending request). */
export type CaAdminOutcome =
  | { kind: 'done'; message: string }
  | { kind: 'retry'; code: 'AC_CA_UNAVAILABLE'; message: string }
  | { kind: 'failed'; code: 'AC_CA_DENIED' | 'AC_CA_OUTPUT_UNKNOWN'; message: string; raw?: string };

/** RFC 5280 §5.3.1 CRLReason codes an admin or the service may give (certificateHold is left out: nothing un-holds). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function isRevocationReason(s: string): s is RevocationReason {
  return Object.hasOwn(REVOCATION_REASONS, s);
}

/** Revocation performed at the CA (AD CS: `certutil -revoke <serial> <reason>`). */
export interface CaRevoker {
  revoke(serialHex: string, reason: RevocationReason): Promise<CaAdminOutcome>;
}

export interface CrlEntryInput {
  serialHex: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlInput {
  entries: CrlEntryInput[];
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * The backend signs CRLs that agentcert composes from its own records (the built-in CA: its revocations are
 * agentcert's records, so recording one is revoking it).
 */
export interface CrlSigner {
  signCrl(input: CrlInput): Promise<Buffer>;
}

/** The CA publishes its own CRL when asked (AD CS: `certutil -crl`). */
export interface CrlPublisher {
  publishCrl(): Promise<CaAdminOutcome>;
}

/**
 * The extensions of a request still pending at the CA can be set before it is issued (AD CS:
 * `certutil -setextension <RequestId> <OID> <flags> @file`). `valueDer` is the extension value (extnValue content).
 */
export interface PendingAmender {
  setPendingExtension(caRequestId: string, oid: string, critical: boolean, valueDer: Buffer): Promise<CaAdminOutcome>;
}

const hasFunction = (b: object, name: string): boolean => typeof (b as Record<string, unknown>)[name] === 'function';

export function isCaRevoker(b: CaBackend): b is CaBackend & CaRevoker {
  return hasFunction(b, 'revoke');
}
export function isCrlSigner(b: CaBackend): b is CaBackend & CrlSigner {
  return hasFunction(b, 'signCrl');
}
export function isCrlPublisher(b: CaBackend): b is CaBackend & CrlPublisher {
  return hasFunction(b, 'publishCrl');
}
export function isPendingAmender(b: CaBackend): b is CaBackend & PendingAmender {
  return hasFunction(b, 'setPendingExtension');
}

/** A revocation can be made effective: at the CA, or in the CRL agentcert signs. */
export function canRevoke(b: CaBackend): boolean {
  return isCaRevoker(b) || isCrlSigner(b);
}
