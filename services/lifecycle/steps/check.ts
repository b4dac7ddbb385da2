/**
 * The check step: the request's verdict from rules/assess.ts with the facts the store holds (other keys for the
 * FQDN, the renewal signer), and the transition it leads to from `received`.
 */
import { caIssuesAsRequested } from '../../ca/index.js';
import { inGroup, type StoredRequest, type Store } from '../../domain/index.js';
import { describeCertificate, type ParsedRequest } from '../../pki/index.js';
import { assess, checkRenewal, type Assessment, type RenewalCheck, type TenantRules } from '../../rules/index.js';
import { writePending, writeRejection } from '../../intake/index.js';
import { transition, type PipelineContext, type TransitionInput } from '../context.js';
import { effectiveProtectedNames, tenantByName, trustFindings } from './trust.js';

export interface RequestFacts {
  hasActiveCertificateWithOtherKey: boolean;
  renewal: RenewalCheck;
}

/**
 * What the store says about a request's name and key. A request for the same FQDN with another key that is
 * being issued right now counts as another key too: two such requests dropped together both passed this check
 * and were both issued (torture bad-input, "case twins").
 */
export async function requestFacts(store: Store, parsedOf: (r: StoredRequest) => ParsedRequest, parsed: ParsedRequest, fqdn: string, now: Date, selfId: string | null): Promise<RequestFacts> {
  const others = (await store.certificates.findMany({ fqdn, state: 'active' })).filter((c) => new Date(c.notAfter) > now && c.requestId !== selfId);
  const inFlight = (await store.requests.find({ fqdn })).filter((o) => o.id !== selfId && inGroup(o.state, 'inFlight'));
  const hasOtherKey = others.some((c) => !describeCertificate(c.der).publicKeyDer.equals(parsed.publicKeyDer)) || inFlight.some((o) => !parsedOf(o).publicKeyDer.equals(parsed.publicKeyDer));
  const signerDer = parsed.cmsSigner?.certificateDer ?? null;
  const signerThumbprint = signerDer ? describeCertificate(signerDer).thumbprint : null;
  const known = signerThumbprint ? await store.certificates.find(signerThumbprint) : null;
  return { hasActiveCertificateWithOtherKey: hasOtherKey, renewal: checkRenewal({ parsed, fqdn, now, known, signerThumbprint }) };
}

export function tenantOf(ctx: PipelineContext, name: string): TenantRules | null {
  const p = ctx.config.policy;
  return name === p.defaultTenant.name ? p.defaultTenant : (p.tenants.find((t) => t.name === name) ?? null);
}

/** The verdict and the transition it leads to from `received` (reads the store, writes nothing). */
export async function assessRequest(ctx: Pick<PipelineContext, 'config' | 'store' | 'clock' | 'parsed'>, r: StoredRequest): Promise<Assessment & { transition: TransitionInput }> {
  const parsed = ctx.parsed.of(r);
  const facts = await requestFacts(ctx.store, (o) => ctx.parsed.of(o), parsed, r.fqdn, ctx.clock.now(), r.id);
  const tenant = tenantByName(ctx.config, r.tenant);
  const trust = tenant ? await trustFindings(ctx, { requestId: r.id, fqdn: r.fqdn, tenant, parsed, isRenewal: facts.renewal.isRenewal }) : [];
  const a = assess({ parsed, fqdn: r.fqdn, minKeyBits: ctx.config.policy.minKeyBits, tenant, protectedNames: effectiveProtectedNames(ctx.config), caIssuesAsRequested: caIssuesAsRequested(ctx.config.ca), ...facts, trust });
  const to = a.outcome === 'reject' ? 'rejected' : a.outcome === 'hold' ? 'awaiting_approval' : 'checked';
  return { ...a, transition: { from: 'received', to, reason: a.reason, message: a.message, findings: a.findings, data: a.renewalOf ? { renewalOf: a.renewalOf } : null } };
}

/**
 * received → checked, or rejected / awaiting_approval with the owner's file written first. (A request that
 * passes is usually checked at intake already, in its insert's transaction: steps/intake.ts.)
 */
export async function checkStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  const a = await assessRequest(ctx, r);
  if (a.outcome === 'reject') await writeRejection(ctx, r, a.findings);
  else if (a.outcome === 'hold') await writePending(ctx, r, a.findings);
  return transition(ctx, r, a.transition);
}
