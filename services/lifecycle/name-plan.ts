/**
 * The names both CA backends issue for a stored request (the plan of rules/request-names.ts), from the request and
 * its tenant's settings; the check step's findings on the same names come from rules/assess.ts.
 */
import { caIssuesAsRequested } from '../ca/index.js';
import type { StoredRequest } from '../domain/index.js';
import type { ParsedRequest } from '../pki/index.js';
import { planNames, type NamePlan, type NamePolicyInput } from '../rules/index.js';
import type { PipelineContext } from './context.js';
import { effectiveProtectedNames } from './steps/trust.js';

export function namePolicyFor(ctx: PipelineContext, r: Pick<StoredRequest, 'fqdn' | 'tenant'>, parsed: ParsedRequest): NamePolicyInput {
  const p = ctx.config.policy;
  // A tenant removed from the configuration after the request came in may request its FQDN only.
  const tenant = r.tenant === p.defaultTenant.name ? p.defaultTenant : p.tenants.find((t) => t.name === r.tenant) ?? { name: r.tenant, allowedNames: [] };
  return { parsed, fqdn: r.fqdn, tenant, protectedNames: effectiveProtectedNames(ctx.config), caIssuesAsRequested: caIssuesAsRequested(ctx.config.ca) };
}

export function namePlanFor(ctx: PipelineContext, r: Pick<StoredRequest, 'fqdn' | 'tenant'>, parsed: ParsedRequest): NamePlan {
  return planNames(namePolicyFor(ctx, r, parsed));
}
