/**
 * The one verdict on a request: the SCOM readiness rules, the identity rules and the renewal rule together.
 * The pipeline and `agentcert inspect` both call this; each passes the facts it has about the store.
 */
import type { Finding, ReasonCode, VerdictOutcome } from '../domain/index.js';
import type { ParsedRequest } from '../pki/index.js';
import { checkRequest } from './catalog.js';
import { checkIdentity, decideVerdict, type TenantRules } from './identity.js';
import { checkRequestNames, type NameTenant } from './request-names.js';
import type { RenewalCheck } from './renewal.js';

export interface AssessInput {
  parsed: ParsedRequest;
  /** The FQDN the certificate is for (from the file name), lower case. */
  fqdn: string;
  minKeyBits: number;
  /** The tenant whose folder the request came from; null when the folder is no tenant's (a file rule says so). */
  tenant: (TenantRules & Pick<NameTenant, 'allowShortNameAlias'>) | null;
  protectedNames: readonly string[];
  /** The FQDN holds a valid certificate, or has a request being issued, for another key. */
  hasActiveCertificateWithOtherKey: boolean;
  renewal: RenewalCheck;
  /** The CA issues what the request asks for, unchanged (ca.adcs.issuesAtSubmit): names must be right before submit. */
  caIssuesAsRequested: boolean;
  /** Findings the caller gathered from the store (name ownership, the new-name hold: lifecycle/steps/trust.ts). */
  trust?: readonly Finding[];
}

export interface Assessment {
  outcome: VerdictOutcome;
  findings: Finding[];
  /** The reason the outcome is recorded with: the deciding rule, or CHECKS_PASSED / RENEWAL. */
  reason: ReasonCode;
  message: string;
  renewalOf: string | null;
}

export function assess(i: AssessInput): Assessment {
  const findings = [
    ...checkRequest({ parsed: i.parsed, fileFqdn: i.fqdn, minKeyBits: i.minKeyBits }),
    // Every name in the request (CN, every SAN entry) is policy input; a folder that is no tenant's may name only its FQDN.
    ...checkRequestNames({ parsed: i.parsed, fqdn: i.fqdn, tenant: i.tenant ?? { name: '', allowedNames: [] }, protectedNames: i.protectedNames, caIssuesAsRequested: i.caIssuesAsRequested }),
    ...(i.tenant
      ? checkIdentity({ fqdn: i.fqdn, tenant: i.tenant, protectedNames: i.protectedNames, hasActiveCertificateWithOtherKey: i.hasActiveCertificateWithOtherKey, isAuthenticatedRenewal: i.renewal.isRenewal })
      : []),
    ...(i.trust ?? []),
    ...(i.renewal.finding ? [i.renewal.finding] : []),
  ];
  const { outcome } = decideVerdict(findings);
  const summary = findings.filter((f) => f.severity === 'error' || f.holds).map((f) => f.message).join('; ');
  const renewalOf = i.renewal.renewalOf;
  if (outcome === 'reject') return { outcome, findings, reason: findings.find((f) => f.severity === 'error')!.rule as ReasonCode, message: summary, renewalOf };
  if (outcome === 'hold') return { outcome, findings, reason: findings.find((f) => f.holds)!.rule as ReasonCode, message: summary, renewalOf };
  return i.renewal.isRenewal
    ? { outcome, findings, reason: 'RENEWAL', message: `authenticated renewal of ${renewalOf}; request checks passed`, renewalOf }
    : { outcome, findings, reason: 'CHECKS_PASSED', message: `request checks passed (${findings.length} note(s))`, renewalOf };
}
