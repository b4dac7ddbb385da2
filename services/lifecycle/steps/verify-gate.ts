/**
 * The verify gate: an issued certificate must chain to the CA's root, hold the request's key, carry only the names
 * the request was approved for and meet the SCOM rules (rules/certificate-rules.ts) before any package is made of
 * it. A certificate that fails it is refused and revoked (lifecycle/refusal.ts).
 */
import type { StoredRequest } from '../../domain/index.js';
import { describeCertificate, verifyChain, type CertificateInfo, type ChainCheck } from '../../pki/index.js';
import { checkCertificate } from '../../rules/index.js';
import { transition, type PipelineContext, type TransitionInput } from '../context.js';
import { namePlanFor } from '../name-plan.js';
import { refuseCertificate } from '../refusal.js';

export interface GateVerdict {
  passed: boolean;
  checks: ChainCheck[];
  /** `issued → verified` when it passed. */
  transition: TransitionInput;
}

/** The gate's verdict on an issued certificate: every check, and `issued → verified` when all pass. */
export async function verifyGate(ctx: PipelineContext, r: StoredRequest, der: Buffer, info: CertificateInfo): Promise<GateVerdict> {
  const chain = await ctx.backend.chain();
  const now = ctx.clock.now();
  const report = verifyChain({ leafDer: der, intermediatesDer: chain.slice(0, -1), trustedRootsDer: chain.slice(-1), at: now });
  const parsed = ctx.parsed.of(r);
  // Every name against what the request was approved for: the names both backends were asked to issue.
  const allowedDnsNames = namePlanFor(ctx, r, parsed).dnsNames;
  const leaf = checkCertificate({ info, fqdn: r.fqdn, at: now, requestPublicKeyDer: parsed.publicKeyDer, minKeyBits: ctx.config.policy.minKeyBits, allowedDnsNames });
  const checks = [...report.checks, ...leaf];
  const passed = checks.every((c) => c.passed);
  const message = `verify gate passed (${checks.length} checks: chain to ${report.chain.at(-1)?.subject ?? 'root'}, key, EKU, KU, names ${allowedDnsNames.join(', ')})`;
  return { passed, checks, transition: { from: 'issued', to: 'verified', reason: 'VERIFIED', message, data: { checks } } };
}

/**
 * The gate for a request left in `issued` (a store written before issuance and verification became one
 * transaction, or a refusal whose revocation waits for the CA): a certificate that fails any check never reaches
 * a package.
 */
export async function verifyStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  const cert = await ctx.store.certificates.forRequest(r.id);
  if (!cert) return transition(ctx, r, { from: 'issued', to: 'failed', reason: 'AC_VERIFY_FAILED', message: 'the request is issued but no certificate is stored' });
  const info = describeCertificate(cert.der);
  const gate = await verifyGate(ctx, r, cert.der, info);
  return gate.passed ? transition(ctx, r, gate.transition) : refuseCertificate(ctx, r, info, gate.checks);
}
