/**
 * A certificate the CA signed and the verify gate refused must not stay valid: it is revoked through the
 * backend's revoke capability (a CaRevoker such as AD CS: `certutil -revoke <serial> 0`; a CrlSigner such as the
 * built-in CA: recorded and put on a new CRL), the request ends `refused` with the gate's findings, and the server
 * owner gets rejected/<FQDN>.txt (+ .json) saying what the CA issued, why it was refused, that it was revoked, and
 * the fix. A backend that cannot revoke leaves the request `refused` with reason AC_CA_CANNOT_REVOKE and the exact
 * command in the event, the log and the owner's file.
 */
import {
  canRevoke, isCaRevoker, isCrlPublisher, isCrlSigner, REVOCATION_REASONS, type CaAdminOutcome, type StoredRequest,
} from '../domain/index.js';
import { writeRefusal } from '../intake/index.js';
import type { CertificateInfo, ChainCheck } from '../pki/index.js';
import { gateFindings, type RefusalText } from '../rules/index.js';
import { announceTransition, recordTransition, requestLog, type PipelineContext, type TransitionInput } from './context.js';
import { publishCrl } from './crl.js';
import { scheduleRetry } from './retry.js';

/** RFC 5280 §5.3.1: no reason code fits a certificate the CA should not have issued better than unspecified (0). */
const REASON = 'unspecified' as const;

/** The command an administrator runs when agentcert could not revoke (docs/contract.md, AC_CA_CANNOT_REVOKE). */
export function revokeCommand(ctx: PipelineContext, serial: string): string {
  return ctx.backend.manualRevokeCommand?.(serial, REASON) ?? `revoke certificate ${serial} on the CA itself (reason ${REASON}, code ${REVOCATION_REASONS[REASON]}) and publish its CRL`;
}

async function revokeAtCa(ctx: PipelineContext, serial: string): Promise<CaAdminOutcome | { kind: 'cannot'; message: string }> {
  if (!canRevoke(ctx.backend)) return { kind: 'cannot', message: `the ${ctx.backend.kind} backend cannot revoke` };
  // A CRL-signing backend's revocations are agentcert's records: recording it (below) is revoking it.
  if (!isCaRevoker(ctx.backend)) return { kind: 'done', message: `recorded with reason ${REASON} and put on a new CRL` };
  const res = await ctx.backend.revoke(serial, REASON);
  return res.kind === 'done' ? { kind: 'done', message: `revoked at the CA with reason ${REASON} (${res.message})` } : res;
}

async function publishNewCrl(ctx: PipelineContext): Promise<void> {
  try {
    if (isCrlSigner(ctx.backend)) await publishCrl(ctx);
    else if (isCrlPublisher(ctx.backend)) {
      const pub = await ctx.backend.publishCrl();
      if (pub.kind !== 'done') ctx.log.warn({ event: 'crl_publish_failed', message: pub.message }, `the CA did not publish a new CRL: ${pub.message}`);
    }
  } catch (err) {
    ctx.log.error({ err, event: 'crl_publish_failed' }, 'publishing the CRL after a refusal failed; it is signed again at half its validity');
  }
}

/**
 * `issued → refused`: revoke, write the owner's file, record. A CA that cannot be reached now leaves the request
 * `issued` with a retry (the gate runs again and revokes then); nothing is packaged in any case.
 */
export async function refuseCertificate(ctx: PipelineContext, r: StoredRequest, info: CertificateInfo, checks: ChainCheck[]): Promise<StoredRequest> {
  const serial = info.serialNumber;
  const failed = checks.filter((c) => !c.passed).map((c) => `${c.rule}: ${c.message}`).join('; ');
  const res = await revokeAtCa(ctx, serial);
  if (res.kind === 'retry') return scheduleRetry(ctx, r, 'AC_CA_UNAVAILABLE', `the verify gate refused certificate ${serial} (${failed}); revoking it at the CA failed for now: ${res.message}`, { checks });
  const findings = gateFindings(checks, r.fqdn);
  const command = revokeCommand(ctx, serial);
  const revocation: RefusalText['revocation'] = res.kind === 'done' ? { revoked: true, message: res.message } : { revoked: false, command, message: res.message };
  const certificate = { serialNumber: serial, subject: info.subject, subjectAltName: info.subjectAltName, issuer: info.issuer, notAfter: info.notAfter.toISOString() };
  // Written before the state changes (as every rejection is), so a refused request never lacks its explanation.
  await writeRefusal(ctx, r, { certificate, findings, revocation });
  const t: TransitionInput = revocation.revoked
    ? { from: 'issued', to: 'refused', reason: 'AC_VERIFY_FAILED', message: `verify gate refused certificate ${serial} (${failed}); ${revocation.message}`, findings: [...r.findings, ...findings], data: { checks, serialNumber: serial, revoked: true } }
    : { from: 'issued', to: 'refused', reason: 'AC_CA_CANNOT_REVOKE', message: `verify gate refused certificate ${serial} (${failed}); it is NOT revoked (${res.message}): ${command}`, findings: [...r.findings, ...findings], data: { checks, serialNumber: serial, revoked: false, command } };
  const revokedAt = ctx.clock.now().toISOString();
  const next = await ctx.store.withTransaction(async (tx) => {
    if (revocation.revoked) await tx.certificates.markRevoked(serial, revokedAt, REASON);
    return recordTransition(tx, r, t);
  });
  announceTransition(ctx, r, t);
  if (revocation.revoked) await publishNewCrl(ctx);
  else requestLog(ctx, r).error({ event: 'refused_not_revoked', serialNumber: serial, command }, `certificate ${serial} was refused by the verify gate and is NOT revoked: ${command}`);
  return next;
}
