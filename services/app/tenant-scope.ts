/**
 * What a tenant-scoped token may see and touch (`api.tokens[].tenants`, README "Security of the admin
 * surface"): lists, exports, records, counts, metrics and admin actions are limited to those tenants. A record
 * of another tenant is answered as not found — the same answer as a record that does not exist, so a scoped
 * token cannot tell whether another tenant has a host.
 */
import { AgentcertError } from '../domain/index.js';

/** The tenants a caller may see; null: every tenant (an unscoped token, the CLI). */
export type TenantScope = readonly string[] | null;

export const ALL_TENANTS: TenantScope = null;

export function inScope(scope: TenantScope, tenant: string): boolean {
  return scope === null || scope.includes(tenant);
}

/** The record, or null when it belongs to a tenant outside the scope. */
export function visible<T extends { tenant: string }>(scope: TenantScope, record: T | null | undefined): T | null {
  return record && inScope(scope, record.tenant) ? record : null;
}

/**
 * The tenant filter of a list under a scope: `tenants` limits the rows to the scope; an explicit `tenant` outside
 * it is refused (403), since the caller asked for it by name.
 */
export function scopedTenants(scope: TenantScope, tenant: string | undefined): { tenants?: readonly string[] } {
  if (scope === null) return {};
  if (tenant !== undefined && tenant !== '' && !scope.includes(tenant)) throw new AgentcertError('AC_FORBIDDEN', `this token sees only the tenants ${scope.join(', ')}, not ${tenant}`);
  return { tenants: scope };
}

/** Admin actions that are not about one tenant's hosts (signing the CA's CRL) need an unscoped token. */
export function requireAllTenants(scope: TenantScope, action: string): void {
  if (scope !== null) throw new AgentcertError('AC_FORBIDDEN', `${action} concerns every tenant; this token is limited to ${scope.join(', ')}`);
}
