/**
 * Names belong to tenants (README "Trust model"): a name a configured tenant's allowedNames match is issued only
 * through that tenant's folder. Everyone who can write requests/ can write its root, so without this rule the
 * default tenant (`allowedNames: ["*"]`) would issue any tenant's host name to whoever drops it there first.
 */
import type { Finding } from '../domain/index.js';
import { nameMatches, type TenantRules } from './identity.js';

export type OwnedTenant = TenantRules & { folder?: string };

/** How closely a pattern names the FQDN: -1 no match, 0 for `*`, the suffix length for `*.domain`, most for an exact name. */
export function matchSpecificity(pattern: string, fqdn: string): number {
  if (!nameMatches(pattern, fqdn)) return -1;
  const p = pattern.trim().toLowerCase();
  if (p === '*') return 0;
  if (p.startsWith('*.')) return p.length - 1;
  return 1000;
}

/**
 * The configured tenants that own the FQDN: those whose most specific matching pattern is the most specific of
 * all tenants (`*.b.local` owns `web.b.local` over another tenant's `*`; two tenants naming it alike share it).
 * A tenant that matches only through `*` owns nothing: `*` means "anything nobody claims".
 */
export function owningTenants(fqdn: string, tenants: readonly OwnedTenant[]): OwnedTenant[] {
  const scored = tenants.map((t) => ({ t, score: Math.max(-1, ...t.allowedNames.map((p) => matchSpecificity(p, fqdn))) })).filter((s) => s.score > 0);
  if (scored.length === 0) return [];
  const best = Math.max(...scored.map((s) => s.score));
  return scored.filter((s) => s.score === best).map((s) => s.t);
}

/** ID_NAME_OWNED when the request came through a tenant (or the share's root) that does not own the name. */
export function checkNameOwnership(o: { fqdn: string; tenant: TenantRules; isDefaultTenant: boolean; tenants: readonly OwnedTenant[] }): Finding | null {
  const owners = owningTenants(o.fqdn, o.tenants);
  if (owners.length === 0) return null;
  if (!o.isDefaultTenant && owners.some((t) => t.name === o.tenant.name)) return null;
  const names = owners.map((t) => `"${t.name}"`).join(', ');
  const folders = owners.map((t) => `requests/${t.folder ?? t.name}/`).join(' or ');
  return {
    rule: 'ID_NAME_OWNED',
    severity: 'error',
    message: `${o.fqdn} belongs to tenant ${names}; it is issued only through ${folders}, not through ${o.isDefaultTenant ? 'requests/ itself' : `tenant "${o.tenant.name}"`}`,
    found: o.isDefaultTenant ? 'requests/' : `tenant "${o.tenant.name}"`,
    required: folders,
    remediation: `drop the request in ${folders} (the tenant's server owners have write access there); renewals made by the renewal task are recognised in any folder`,
  };
}
