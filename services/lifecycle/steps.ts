/**
 * One step per state (the cert-manager reconcile shape): read the current state, do one thing, record reason
 * and message. Each step is safe to run again after a crash at any instant.
 */
import { derToPem, describeCertificate, hasScomEkus, verifyChain, type CertificateInfo, type ParsedRequest } from '../pki/index.js';
import { parsedFor } from './parsed-cache.js';
import { checkCertificate, checkIdentity, checkRequest, decideVerdict } from '../rules/index.js';
import type { CaOutcome, Finding, IssuanceInput } from '../domain/index.js';
import { humanDate } from '../domain/index.js';
import type { StoredRequest, TransitionInput } from '../store/index.js';
import { scheduleRetry, transition, transitions, type PipelineContext } from './context.js';
import { removePending, writePending, writeRejection } from './owner-files.js';
import { publishRequestPackage } from './publish.js';
import { checkRenewal } from './renewal.js';


function parsedRequest(r: StoredRequest): ParsedRequest {
  return parsedFor(r.fingerprint, r.originalBytes);
}

const IN_FLIGHT_STATES = new Set<string>(['checked', 'submitted', 'awaiting_ca', 'issued', 'verified']);

/** The request checks' verdict and the transition it leads to from `received` (reads the store, writes nothing). */
export function assessRequest(ctx: Pick<PipelineContext, 'config' | 'store' | 'clock'>, r: StoredRequest): { outcome: 'accept' | 'reject' | 'hold'; findings: Finding[]; transition: TransitionInput } {
  const parsed = parsedRequest(r);
  const tenant = r.tenant === ctx.config.policy.defaultTenant.name ? ctx.config.policy.defaultTenant : ctx.config.policy.tenants.find((t) => t.name === r.tenant);
  const now = ctx.clock.now();
  const others = ctx.store.findCertificates({ fqdn: r.fqdn, state: 'active' }).filter((c) => new Date(c.notAfter) > now && c.requestId !== r.id);
  // A request for the same FQDN with another key that is being issued right now counts too: two such requests
  // dropped together both passed this check and were both issued (torture bad-input, "case twins").
  const inFlight = ctx.store.findRequests({ fqdn: r.fqdn }).filter((o) => o.id !== r.id && IN_FLIGHT_STATES.has(o.state));
  const hasOtherKey = others.some((c) => !describeCertificate(c.der).publicKeyDer.equals(parsed.publicKeyDer)) ||
    inFlight.some((o) => !parsedRequest(o).publicKeyDer.equals(parsed.publicKeyDer));
  const renewal = checkRenewal(ctx.store, parsed, r.fqdn, now);
  const findings = [
    ...checkRequest({ parsed, fileFqdn: r.fqdn, minKeyBits: ctx.config.policy.minKeyBits }),
    ...(tenant ? checkIdentity({ fqdn: r.fqdn, tenant, protectedNames: ctx.config.policy.protectedNames, hasActiveCertificateWithOtherKey: hasOtherKey, isAuthenticatedRenewal: renewal.isRenewal }) : []),
    ...(renewal.finding ? [renewal.finding] : []),
  ];
  const verdict = decideVerdict(findings);
  const summary = findings.filter((f) => f.severity === 'error' || f.holds).map((f) => f.message).join('; ');
  if (verdict.outcome === 'reject') {
    return { outcome: 'reject', findings, transition: { from: 'received', to: 'rejected', reason: findings.find((f) => f.severity === 'error')!.rule, message: summary, findings } };
  }
  if (verdict.outcome === 'hold') {
    return { outcome: 'hold', findings, transition: { from: 'received', to: 'awaiting_approval', reason: findings.find((f) => f.holds)!.rule, message: summary, findings } };
  }
  return {
    outcome: 'accept',
    findings,
    transition: {
      from: 'received',
      to: 'checked',
      reason: renewal.isRenewal ? 'RENEWAL' : 'CHECKS_PASSED',
      message: renewal.isRenewal ? `authenticated renewal of ${renewal.renewalOf}; request checks passed` : `request checks passed (${findings.length} note(s))`,
      findings,
      data: renewal.renewalOf ? { renewalOf: renewal.renewalOf } : null,
    },
  };
}

/**
 * received → checked, or rejected / awaiting_approval with the owner's file written first. (A request that
 * passes is usually checked at intake already, in its insert's transaction: ingest.ts.)
 */
export async function checkStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  const a = assessRequest(ctx, r);
  if (a.outcome === 'reject') await writeRejection(ctx, r, a.findings);
  else if (a.outcome === 'hold') await writePending(ctx, r, a.findings);
  return transition(ctx, r, a.transition);
}

function issuanceInput(r: StoredRequest): IssuanceInput {
  const parsed = parsedRequest(r);
  const eku = parsed.requestedExtensions.extendedKeyUsage;
  return {
    fingerprint: r.fingerprint,
    fqdn: r.fqdn,
    csrDer: parsed.csrDer,
    csrPem: derToPem(parsed.csrDer, 'NEW CERTIFICATE REQUEST'),
    publicKeyDer: parsed.publicKeyDer,
    requestHasScomEkus: hasScomEkus(eku),
  };
}

/** checked → submitted (the CA request id is persisted before anything irreversible) → issued / awaiting_ca / … */
export async function submitStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  const input = issuanceInput(r);
  let current = r;
  const outcome = await ctx.backend.submit(input, (caRequestId) => {
    current = transition(ctx, current, { from: 'checked', to: 'submitted', reason: 'SUBMITTED', message: `submitted to the ${ctx.backend.kind} CA (CA request id ${caRequestId})`, caRequestId });
  });
  return applyOutcome(ctx, ctx.store.getRequest(r.id)!, outcome);
}

/** submitted / awaiting_ca: continue with the stored CA request id; never submits again. */
export async function resumeStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  const outcome = await ctx.backend.resume(issuanceInput(r), r.caRequestId!);
  return applyOutcome(ctx, r, outcome);
}

async function applyOutcome(ctx: PipelineContext, r: StoredRequest, o: CaOutcome): Promise<StoredRequest> {
  const from = ['checked', 'submitted', 'awaiting_ca'] as const;
  switch (o.kind) {
    case 'issued': {
      const info = describeCertificate(o.certificateDer);
      // The verify gate runs on the certificate before it is stored, and its verdict is committed together with
      // the `issued` event: one transaction instead of two (bulk bench), and the audit trail still shows both.
      const gate = await verifyGate(ctx, r, o.certificateDer, info);
      return transitions(ctx, r, [
        {
          from,
          to: 'issued',
          reason: 'ISSUED',
          message: `${o.message}${o.message.includes(info.serialNumber) ? '' : `; serial ${info.serialNumber}`}, valid until ${humanDate(info.notAfter)}`,
          caRequestId: o.caRequestId,
          certificate: { serialNumber: info.serialNumber, requestId: r.id, fqdn: r.fqdn, tenant: r.tenant, thumbprint: info.thumbprint, sha256: info.sha256, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), subject: info.subject, issuer: info.issuer, der: o.certificateDer },
        },
        gate,
      ]);
    }
    case 'pending': {
      const nextAttemptAt = new Date(ctx.clock.now().getTime() + ctx.config.ca.adcs.pendingPollMs).toISOString();
      if (r.state === 'awaiting_ca') return ctx.store.note(r.id, { reason: 'CA_PENDING', message: `still pending at the CA: ${o.message}`, nextAttemptAt });
      return transition(ctx, r, { from, to: 'awaiting_ca', reason: 'CA_PENDING', message: `the CA keeps request ${o.caRequestId} pending (a CA officer must issue it): ${o.message}`, caRequestId: o.caRequestId, nextAttemptAt });
    }
    case 'denied': {
      const findings = [...r.findings, { rule: 'CA_DENIED', severity: 'error' as const, message: `the CA denied the request: ${o.message}`, remediation: 'ask the PKI admins why the CA denied it, fix the request and drop a new one' }];
      await writeRejection(ctx, r, findings);
      return transition(ctx, r, { from, to: 'denied', reason: 'AC_CA_DENIED', message: `the CA denied the request: ${o.message}`, caRequestId: o.caRequestId ?? r.caRequestId, findings });
    }
    case 'retry':
      return scheduleRetry(ctx, r, o.code, `the CA could not be reached: ${o.message}`);
    case 'failed':
      return transition(ctx, r, { from, to: 'failed', reason: o.code, message: o.message, data: o.raw ? { raw: o.raw } : null });
  }
}

/** The verify gate's verdict on an issued certificate: `issued → verified`, or `issued → failed` with every failed check. */
async function verifyGate(ctx: PipelineContext, r: StoredRequest, der: Buffer, info: CertificateInfo): Promise<TransitionInput> {
  const chain = await ctx.backend.chain();
  const now = ctx.clock.now();
  const report = verifyChain({ leafDer: der, intermediatesDer: chain.slice(0, -1), trustedRootsDer: chain.slice(-1), at: now });
  const leaf = checkCertificate({ info, fqdn: r.fqdn, at: now, requestPublicKeyDer: parsedRequest(r).publicKeyDer, minKeyBits: ctx.config.policy.minKeyBits });
  const checks = [...report.checks, ...leaf];
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    return { from: 'issued', to: 'failed', reason: 'AC_VERIFY_FAILED', message: `verify gate failed: ${failed.map((c) => `${c.rule}: ${c.message}`).join('; ')}`, data: { checks } };
  }
  return { from: 'issued', to: 'verified', reason: 'VERIFIED', message: `verify gate passed (${checks.length} checks: chain to ${report.chain.at(-1)?.subject ?? 'root'}, key, EKU, KU, name)`, data: { checks } };
}

/**
 * The verify gate for a request left in `issued` (a store written before issuance and verification became one
 * transaction): a certificate that fails any check never reaches a package.
 */
export async function verifyStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  const cert = ctx.store.certificateForRequest(r.id);
  if (!cert) return transition(ctx, r, { from: 'issued', to: 'failed', reason: 'AC_VERIFY_FAILED', message: 'the request is issued but no certificate is stored' });
  return transition(ctx, r, await verifyGate(ctx, r, cert.der, describeCertificate(cert.der)));
}

export async function packageStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  try {
    const pkg = await publishRequestPackage(ctx, r);
    await removePending(ctx, r.fqdn);
    if (r.state === 'packaged') return ctx.store.note(r.id, { reason: 'REPUBLISHED', message: `package published again to issued/${r.fqdn}/`, republish: false, nextAttemptAt: null });
    return transition(ctx, r, { from: 'verified', to: 'packaged', reason: 'PACKAGED', message: `package published to issued/${r.fqdn}/ (${pkg.files.length} files)`, data: { files: pkg.files } });
  } catch (err) {
    return scheduleRetry(ctx, r, 'AC_PUBLISH_FAILED', `publishing the package failed: ${(err as Error).message}`);
  }
}

export async function republishRejectionStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  await writeRejection(ctx, r);
  return ctx.store.note(r.id, { reason: 'REPUBLISHED', message: `rejection written again to rejected/${r.fqdn}.txt`, republish: false, nextAttemptAt: null });
}
