/**
 * The request's names as policy input in the pipeline: the findings of rules/request-names.ts for a stored
 * request, and the names both CA backends issue for it (the plan), from the request and its tenant's settings.
 */
import { caIssuesAsRequested } from '../ca/index.js';
import type { Finding } from '../domain/index.js';
import type { ParsedRequest } from '../pki/index.js';
import { checkRequestNames, planNames, type NamePlan, type NamePolicyInput } from '../rules/index.js';
import type { StoredRequest } from '../store/index.js';
import type { PipelineContext } from './context.js';

export function namePolicyFor(ctx: PipelineContext, r: Pick<StoredRequest, 'fqdn' | 'tenant'>, parsed: ParsedRequest): NamePolicyInput {
  const p = ctx.config.policy;
  // A tenant removed from the configuration after the request came in may request its FQDN only.
  const tenant = r.tenant === p.defaultTenant.name ? p.defaultTenant : p.tenants.find((t) => t.name === r.tenant) ?? { name: r.tenant, allowedNames: [] };
  return { parsed, fqdn: r.fqdn, tenant, protectedNames: p.protectedNames, caIssuesAsRequested: caIssuesAsRequested(ctx.config) };
}

export function nameFindings(ctx: PipelineContext, r: Pick<StoredRequest, 'fqdn' | 'tenant'>, parsed: ParsedRequest): Finding[] {
  return checkRequestNames(namePolicyFor(ctx, r, parsed));
}

export function namePlanFor(ctx: PipelineContext, r: Pick<StoredRequest, 'fqdn' | 'tenant'>, parsed: ParsedRequest): NamePlan {
  return planNames(namePolicyFor(ctx, r, parsed));
}
