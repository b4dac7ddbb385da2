/**
 * The share's trust boundary at the request checks (README "Trust model"): everything dropped on the share is a
 * claim. Names belong to tenants, a tenant can hold every first issuance of a name for an admin, the CA's own
 * host is protected, and a renewal is judged by the tenant and role of the certificate that signed it, wherever
 * it was dropped.
 */
import { machineFqdn, type Config, type TenantConfig } from '../../config/index.js';
import type { AgentRole, Finding, Store } from '../../domain/index.js';
import { describeCertificate, type ParsedRequest } from '../../pki/index.js';
import { checkNameOwnership, checkRenewal } from '../../rules/index.js';
import type { PipelineContext } from '../context.js';

/** Revocation reasons after which a name counts as new again: the old key, or the host, is gone (RFC 5280 §5.3.1). */
const NAME_RESET_REASONS = new Set(['keyCompromise', 'cessationOfOperation']);

let cachedMachine: string | null = null;
/** Read once a process: the host name does not change under a running service. */
function machineFqdnOnce(): string {
  cachedMachine ??= machineFqdn();
  return cachedMachine;
}

export function tenantByName(config: Readonly<Config>, name: string): TenantConfig | null {
  if (name === config.policy.defaultTenant.name) return config.policy.defaultTenant;
  return config.policy.tenants.find((t) => t.name === name) ?? null;
}

/**
 * Names that always need an admin: policy.protectedNames, the management group's servers and gateways when
 * configured, and the CA's own host (the host part of `ca.adcs.config`, or this machine for the built-in CA).
 */
export function effectiveProtectedNames(config: Readonly<Config>, machine: string = machineFqdnOnce()): string[] {
  const group = (config as { managementGroup?: { servers?: readonly (string | { fqdn?: string })[] } }).managementGroup;
  const servers = (group?.servers ?? []).map((s) => (typeof s === 'string' ? s : s.fqdn ?? '')).filter((s) => s.length > 0);
  const caHost = config.ca.backend === 'adcs' ? config.ca.adcs.config.split('\\')[0]!.trim().toLowerCase() : machine;
  return [...new Set([...config.policy.protectedNames, ...servers, ...(caHost ? [caHost] : [])])];
}

/**
 * The tenant and role a request is taken in: an authenticated renewal belongs to the tenant and role of the
 * request that got the signing certificate (renewal tasks drop into requests/ itself); anything else to the
 * folder it was dropped in.
 */
export async function routeRequest(ctx: PipelineContext, parsed: ParsedRequest | null, fqdn: string | null, folderTenant: TenantConfig | null): Promise<{ tenant: TenantConfig | null; role?: AgentRole }> {
  const signerDer = parsed?.cmsSigner?.certificateDer;
  if (!parsed || !signerDer || !fqdn) return { tenant: folderTenant };
  const signerThumbprint = describeCertificate(signerDer).thumbprint;
  const known = await ctx.store.certificates.find(signerThumbprint);
  const renewal = checkRenewal({ parsed, fqdn, now: ctx.clock.now(), known, signerThumbprint });
  if (!renewal.isRenewal || !renewal.signerRequestId) return { tenant: folderTenant };
  const signer = await ctx.store.requests.get(renewal.signerRequestId);
  const tenant = signer ? tenantByName(ctx.config, signer.tenant) : null;
  return tenant ? { tenant, role: signer!.role } : { tenant: folderTenant };
}

/** A new name under `approval: new-names`: never issued before, or its last certificate was revoked for key compromise or cessation. */
async function newNameFinding(store: Store, fqdn: string, requestId: string, publicKeyDer: Buffer): Promise<Finding | null> {
  const certs = (await store.certificates.findMany({ fqdn })).filter((c) => c.requestId !== requestId);
  const usable = certs.filter((c) => !(c.state === 'revoked' && NAME_RESET_REASONS.has(c.revocationReason ?? '')));
  // A re-issue to a key this name already had a certificate for (not one revoked for compromise) is no new claim.
  if (usable.some((c) => describeCertificate(c.der).publicKeyDer.equals(publicKeyDer))) return null;
  const last = [...certs].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0)).at(-1);
  let why: string | null = null;
  if (!last) why = `${fqdn} has never had a certificate from agentcert`;
  else if (last.state === 'revoked' && NAME_RESET_REASONS.has(last.revocationReason ?? '')) why = `the last certificate of ${fqdn} (${last.serialNumber}) was revoked for ${last.revocationReason}`;
  if (!why) return null;
  return {
    rule: 'ID_NEW_NAME',
    severity: 'warning',
    holds: true,
    message: `${why}; the tenant holds a name's first certificate for an admin's approval`,
    remediation: 'wait for an admin to approve it (pending/<FQDN>.txt shows the state); renewals and later certificates for the same key are issued without approval',
  };
}

/** The trust findings of one request: name ownership and the new-name hold (the identity rules do the rest). */
export async function trustFindings(ctx: Pick<PipelineContext, 'config' | 'store'>, o: { requestId: string; fqdn: string; tenant: TenantConfig; parsed: ParsedRequest; isRenewal: boolean }): Promise<Finding[]> {
  const out: Finding[] = [];
  // An authenticated renewal proves possession of the name's current certificate: stronger than any folder.
  if (!o.isRenewal) {
    const owned = checkNameOwnership({ fqdn: o.fqdn, tenant: o.tenant, isDefaultTenant: o.tenant === ctx.config.policy.defaultTenant, tenants: ctx.config.policy.tenants });
    if (owned) out.push(owned);
    if (o.tenant.approval === 'new-names') {
      const fresh = await newNameFinding(ctx.store, o.fqdn, o.requestId, o.parsed.publicKeyDer);
      if (fresh) out.push(fresh);
    }
  }
  return out;
}
