/**
 * The verify gate: an issued certificate must chain to the CA's root, hold the request's key and meet the SCOM
 * rules (rules/certificate-rules.ts) before any package is made of it.
 */
import type { StoredRequest } from '../../domain/index.js';
import { describeCertificate, verifyChain, type CertificateInfo } from '../../pki/index.js';
import { checkCertificate } from '../../rules/index.js';
import { transition, type PipelineContext, type TransitionInput } from '../context.js';

/** The gate's verdict on an issued certificate: `issued → verified`, or `issued → failed` with every failed check. */
export async function verifyGate(ctx: PipelineContext, r: StoredRequest, der: Buffer, info: CertificateInfo): Promise<TransitionInput> {
  const chain = await ctx.backend.chain();
  const now = ctx.clock.now();
  const report = verifyChain({ leafDer: der, intermediatesDer: chain.slice(0, -1), trustedRootsDer: chain.slice(-1), at: now });
  const leaf = checkCertificate({ info, fqdn: r.fqdn, at: now, requestPublicKeyDer: ctx.parsed.of(r).publicKeyDer, minKeyBits: ctx.config.policy.minKeyBits });
  const checks = [...report.checks, ...leaf];
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    return { from: 'issued', to: 'failed', reason: 'AC_VERIFY_FAILED', message: `verify gate failed: ${failed.map((c) => `${c.rule}: ${c.message}`).join('; ')}`, data: { checks } };
  }
  return { from: 'issued', to: 'verified', reason: 'VERIFIED', message: `verify gate passed (${checks.length} checks: chain to ${report.chain.at(-1)?.subject ?? 'root'}, key, EKU, KU, name)`, data: { checks } };
}

/**
 * The gate for a request left in `issued` (a store written before issuance and verification became one
 * transaction): a certificate that fails any check never reaches a package.
 */
export async function verifyStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  const cert = await ctx.store.certificates.forRequest(r.id);
  if (!cert) return transition(ctx, r, { from: 'issued', to: 'failed', reason: 'AC_VERIFY_FAILED', message: 'the request is issued but no certificate is stored' });
  return transition(ctx, r, await verifyGate(ctx, r, cert.der, describeCertificate(cert.der)));
}
