/**
 * Identity rules: who may obtain a certificate for which name. A server owner in one forest must not obtain a
 * certificate for another forest's agent, let alone for a management server.
 */
import type { Finding, PolicyVerdict } from '../domain/index.js';

export interface TenantRules {
  name: string;
  allowedNames: readonly string[];
  approval: 'auto' | 'new-names' | 'manual';
}

export interface IdentityContext {
  fqdn: string;
  tenant: TenantRules;
  protectedNames: readonly string[];
  /** True when the FQDN holds a valid certificate, or has a request being issued, for another key than this request's. */
  hasActiveCertificateWithOtherKey: boolean;
  /** True for an authenticated renewal (signed by the current certificate), which skips approval. */
  isAuthenticatedRenewal?: boolean;
}

/** `*` matches every name; `*.contoso.local` matches any name below contoso.local; anything else is exact. */
export function nameMatches(pattern: string, fqdn: string): boolean {
  const p = pattern.trim().toLowerCase();
  const n = fqdn.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return n.endsWith(p.slice(1)) && n.length > p.length - 1;
  return p === n;
}

export function checkIdentity(ctx: IdentityContext): Finding[] {
  const out: Finding[] = [];
  if (!ctx.tenant.allowedNames.some((p) => nameMatches(p, ctx.fqdn))) {
    out.push({
      rule: 'ID_TENANT_NAME',
      severity: 'error',
      message: `${ctx.fqdn} is not a name tenant "${ctx.tenant.name}" may request`,
      found: ctx.fqdn,
      required: `a name matching ${ctx.tenant.allowedNames.join(', ')}`,
      remediation: `drop the request in the requests folder of the tenant that owns ${ctx.fqdn}, or ask the PKI admins to add the name to tenant "${ctx.tenant.name}"`,
    });
  }
  if (ctx.protectedNames.some((p) => nameMatches(p, ctx.fqdn))) {
    out.push({
      rule: 'ID_PROTECTED_NAME',
      severity: 'warning',
      holds: true,
      message: `${ctx.fqdn} is a protected name (management server or gateway); an admin must approve the request`,
      remediation: 'wait for an admin to approve it (pending/<FQDN>.txt shows the state), or contact the SCOM admins',
    });
  }
  if (ctx.hasActiveCertificateWithOtherKey && !ctx.isAuthenticatedRenewal) {
    out.push({
      rule: 'ID_KEY_CHANGE',
      severity: 'warning',
      holds: true,
      message: `${ctx.fqdn} already holds a valid certificate (or has one being issued) for a different key; an admin must approve a second one`,
      remediation: 'wait for an admin to approve it; renewals made by the scheduled renewal task are approved automatically',
    });
  }
  if (ctx.tenant.approval === 'manual' && !ctx.isAuthenticatedRenewal) {
    out.push({
      rule: 'ID_MANUAL_APPROVAL',
      severity: 'info',
      holds: true,
      message: `tenant "${ctx.tenant.name}" requires an admin's approval for every new certificate`,
      remediation: 'wait for an admin to approve it (pending/<FQDN>.txt shows the state)',
    });
  }
  return out;
}

/** Any error rejects; otherwise any holding finding waits for approval; otherwise accept. */
export function decideVerdict(findings: Finding[]): PolicyVerdict {
  if (findings.some((f) => f.severity === 'error')) return { outcome: 'reject', findings };
  if (findings.some((f) => f.holds)) return { outcome: 'hold', findings };
  return { outcome: 'accept', findings };
}
