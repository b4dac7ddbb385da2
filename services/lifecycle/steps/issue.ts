/**
 * The issue step: submit to the CA (the CA request id is persisted before anything irreversible) or resume with
 * the stored id (never submitting again), and apply what the CA answered.
 */
import { humanDate, STATE_GROUPS, type CaOutcome, type IssuanceInput, type StoredRequest } from '../../domain/index.js';
import { derToPem, describeCertificate, hasScomEkus } from '../../pki/index.js';
import { caDenied } from '../../rules/index.js';
import { writeRejection } from '../../intake/index.js';
import { transition, transitions, type PipelineContext, type TransitionInput } from '../context.js';
import { scheduleRetry } from '../retry.js';
import { namePlanFor } from '../name-plan.js';
import { refuseCertificate } from '../refusal.js';
import { verifyGate } from './verify-gate.js';

function issuanceInput(ctx: PipelineContext, r: StoredRequest): IssuanceInput {
  const parsed = ctx.parsed.of(r);
  return {
    fingerprint: r.fingerprint,
    fqdn: r.fqdn,
    csrDer: parsed.csrDer,
    csrPem: derToPem(parsed.csrDer, 'NEW CERTIFICATE REQUEST'),
    publicKeyDer: parsed.publicKeyDer,
    requestHasScomEkus: hasScomEkus(parsed.requestedExtensions.extendedKeyUsage),
    // The names the policy allowed: what both backends issue (rules/request-names.ts).
    dnsNames: namePlanFor(ctx, r, parsed).dnsNames,
    requestedSubjectAltNames: parsed.requestedExtensions.subjectAltName,
  };
}

/** checked → submitted → issued / awaiting_ca / denied / failed (or a retry). */
export async function submitStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  let persisted: Promise<StoredRequest> | null = null;
  const outcome = await ctx.backend.submit(issuanceInput(ctx, r), (caRequestId) => {
    persisted = transition(ctx, r, { from: 'checked', to: 'submitted', reason: 'SUBMITTED', message: `submitted to the ${ctx.backend.kind} CA (CA request id ${caRequestId})`, caRequestId });
    return persisted.then(() => undefined);
  });
  const current = persisted ? await persisted : r;
  return applyOutcome(ctx, current, outcome);
}

/** submitted / awaiting_ca: continue with the stored CA request id; never submits again. */
export async function resumeStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  return applyOutcome(ctx, r, await ctx.backend.resume(issuanceInput(ctx, r), r.caRequestId!));
}

async function applyOutcome(ctx: PipelineContext, r: StoredRequest, o: CaOutcome): Promise<StoredRequest> {
  const from = STATE_GROUPS.atCa;
  switch (o.kind) {
    case 'issued': {
      const info = describeCertificate(o.certificateDer);
      // The verify gate runs on the certificate before it is stored, and its verdict is committed together with
      // the `issued` event: one transaction instead of two (bulk bench), and the audit trail still shows both.
      const gate = await verifyGate(ctx, r, o.certificateDer, info);
      const issued: TransitionInput = {
        from,
        to: 'issued',
        reason: 'ISSUED',
        message: `${o.message}${o.message.includes(info.serialNumber) ? '' : `; serial ${info.serialNumber}`}, valid until ${humanDate(info.notAfter)}`,
        caRequestId: o.caRequestId,
        certificate: { serialNumber: info.serialNumber, requestId: r.id, fqdn: r.fqdn, tenant: r.tenant, thumbprint: info.thumbprint, sha256: info.sha256, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), subject: info.subject, issuer: info.issuer, der: o.certificateDer },
      };
      if (gate.passed) return transitions(ctx, r, [issued, gate.transition]);
      // Refused after the CA signed it: recorded as issued (the certificate exists at the CA), then revoked.
      return refuseCertificate(ctx, await transition(ctx, r, issued), info, gate.checks);
    }
    case 'pending': {
      const nextAttemptAt = new Date(ctx.clock.now().getTime() + o.pollAfterMs).toISOString();
      if (r.state === 'awaiting_ca') return ctx.store.requests.note(r.id, { reason: 'CA_PENDING', message: `still pending at the CA: ${o.message}`, nextAttemptAt });
      return transition(ctx, r, { from, to: 'awaiting_ca', reason: 'CA_PENDING', message: `the CA keeps request ${o.caRequestId} pending (a CA officer must issue it): ${o.message}`, caRequestId: o.caRequestId, nextAttemptAt });
    }
    case 'denied': {
      const findings = [...r.findings, caDenied(o.message)];
      await writeRejection(ctx, r, findings);
      return transition(ctx, r, { from, to: 'denied', reason: 'AC_CA_DENIED', message: `the CA denied the request: ${o.message}`, caRequestId: o.caRequestId ?? r.caRequestId, findings });
    }
    case 'retry':
      return scheduleRetry(ctx, r, o.code, `the CA could not be reached: ${o.message}`);
    case 'failed':
      return transition(ctx, r, { from, to: 'failed', reason: o.code, message: o.message, data: o.raw ? { raw: o.raw } : null });
  }
}
