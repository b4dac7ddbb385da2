/**
 * Reason codes: every event in the audit trail carries one. A reason is a lifecycle reason below, an error code
 * from the registry (errors.ts: retries and failures), or the id of the rule whose finding decided the outcome
 * (rules/: FILE_*, REQ_*, ID_*, CERT_*, CA_*, ADMIN_*, RENEWAL*).
 */
import type { ErrorCode } from './errors.js';

export const LIFECYCLE_REASONS = [
  'RECEIVED',
  'CHECKS_PASSED',
  'RENEWAL',
  'APPROVED',
  'SUBMITTED',
  'CA_PENDING',
  'ISSUED',
  'VERIFIED',
  'PACKAGED',
  'REPUBLISHED',
  'REDROPPED',
  /** A re-drop whose certificate is no longer the FQDN's current one: nothing republished (README "Trust model"). */
  'REDROP_NOT_CURRENT',
  /** A request's bytes dropped under another name: nothing republished, the owner told under that name. */
  'REDROP_OTHER_NAME',
  'INSTALLED',
  'INSTALL_FAILED',
  'INSTALLED_UNBOUND',
  'INSTALL_RESULT_IGNORED',
  /** A results file that is not signed, or not with the key of the certificate it names: recorded, nothing changed. */
  'INSTALL_RESULT_UNAUTHENTICATED',
  /** A results file over the size or depth limit, or not an install result: rejected once. */
  'INSTALL_RESULT_REJECTED',
  'SUPERSEDED',
  'EXPIRED',
  'REVOKED',
] as const;
export type LifecycleReason = (typeof LIFECYCLE_REASONS)[number];

/** The prefixes of rule ids (services/rules): a finding's rule is the reason of the outcome it decided. */
export type RuleId = `${'FILE' | 'REQ' | 'ID' | 'CERT' | 'CA' | 'ADMIN' | 'RENEWAL'}_${string}` | 'RENEWAL';

export type ReasonCode = LifecycleReason | ErrorCode | RuleId;
