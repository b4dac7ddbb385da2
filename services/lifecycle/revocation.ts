/**
 * Revoking an issued certificate, wherever the decision comes from (an admin, the superseded-after-grace
 * schedule): at the CA when the backend revokes there, recorded with the request's `revoked` event, then a new
 * CRL (signed by agentcert for a CRL-signing backend, or asked of the CA that publishes its own). The
 * certificate's package is withdrawn from issued/<FQDN>/ (packaging/withdraw.ts).
 */
import {
  AgentcertError, canRevoke, isCaRevoker, isCrlPublisher, isCrlSigner, STATE_GROUPS, type IssuedCertificate, type RevocationReason,
} from '../domain/index.js';
import { announceTransition, recordTransition, requestLog, type PipelineContext, type TransitionInput } from './context.js';
import { withdrawPackage, type WithdrawInput } from '../packaging/index.js';
import { publishCrl, type CrlPublication } from './crl.js';

export interface RevocationOrder {
  reason: RevocationReason;
  actor: string;
  comment: string;
}

export interface Revocation {
  certificate: IssuedCertificate;
  revokedAt: string;
  /** The new CRL agentcert signed, or null when the CA publishes its own. */
  crl: CrlPublication | null;
  caMessage: string;
  /** Where issued/<FQDN>/ went (archive/revoked/…), or null when no package of this certificate was published. */
  packageWithdrawnTo: string | null;
}

/** After the revocation is recorded: a failure to move the package is logged, and never undoes the revocation. */
async function withdrawRevokedPackage(ctx: PipelineContext, w: Omit<WithdrawInput, 'shareRoot'>): Promise<string | null> {
  try {
    return await withdrawPackage({ shareRoot: ctx.layout.root, ...w });
  } catch (err) {
    ctx.log.error({ err, event: 'package_withdraw_failed', fqdn: w.fqdn, serialNumber: w.serialNumber }, `certificate ${w.serialNumber} is revoked, but its package in issued/${w.fqdn}/ could not be withdrawn; remove it by hand`);
    return null;
  }
}

async function revokeAtCa(ctx: PipelineContext, serial: string, reason: RevocationReason): Promise<string> {
  if (!canRevoke(ctx.backend)) throw new AgentcertError('AC_CA_CANNOT_REVOKE', `the ${ctx.backend.kind} backend of this build has no revoke operation; certificate ${serial} is NOT revoked`);
  if (!isCaRevoker(ctx.backend)) return 'recorded by the built-in CA';
  const res = await ctx.backend.revoke(serial, reason);
  if (res.kind === 'retry') throw new AgentcertError('AC_CA_UNAVAILABLE', `the CA could not be reached to revoke ${serial}: ${res.message}`);
  if (res.kind === 'failed') throw new AgentcertError(res.code, `the CA did not revoke ${serial}: ${res.message}`);
  return res.message;
}

export async function revokeIssued(ctx: PipelineContext, cert: IssuedCertificate, o: RevocationOrder): Promise<Revocation> {
  if (cert.state === 'revoked') throw new AgentcertError('AC_STATE_CONFLICT', `certificate ${cert.serialNumber} was revoked already (${cert.revokedAt})`);
  const caMessage = await revokeAtCa(ctx, cert.serialNumber, o.reason);
  const revokedAt = ctx.clock.now().toISOString();
  const message = `certificate ${cert.serialNumber} revoked by ${o.actor} (${o.reason})${o.comment ? `: ${o.comment}` : ''}`;
  const data = { serialNumber: cert.serialNumber, revocationReason: o.reason };
  const req = await ctx.store.requests.get(cert.requestId);
  if (!req) throw new AgentcertError('AC_INTERNAL', `certificate ${cert.serialNumber} has no request ${cert.requestId}`);
  // The certificate row and the request's state change together, so "revoked" shows the same everywhere.
  const change: TransitionInput = { from: STATE_GROUPS.holdsCertificate, to: 'revoked', reason: 'REVOKED', message, actor: o.actor, data, attempts: req.attempts };
  await ctx.store.withTransaction(async (tx) => {
    await tx.certificates.markRevoked(cert.serialNumber, revokedAt, o.reason);
    // A refused request keeps its state: it says why the certificate was never packaged (lifecycle/refusal.ts).
    if (req.state === 'revoked' || req.state === 'refused') await tx.requests.note(req.id, { reason: 'REVOKED', message, actor: o.actor, data });
    else await recordTransition(tx, req, change);
  });
  if (req.state !== 'revoked' && req.state !== 'refused') announceTransition(ctx, req, change);
  requestLog(ctx, req).warn({ event: 'revoked', reason: o.reason, serialNumber: cert.serialNumber, actor: o.actor }, `certificate ${cert.serialNumber} revoked`);
  const packageWithdrawnTo = await withdrawRevokedPackage(ctx, { fqdn: cert.fqdn, serialNumber: cert.serialNumber, reason: o.reason, revokedAt, actor: o.actor });
  let crl: CrlPublication | null = null;
  if (isCrlSigner(ctx.backend)) crl = await publishCrl(ctx);
  else if (isCrlPublisher(ctx.backend)) {
    const pub = await ctx.backend.publishCrl();
    if (pub.kind !== 'done') ctx.log.warn({ event: 'crl_publish_failed', message: pub.message }, `the CA did not publish a new CRL: ${pub.message}`);
  }
  return { certificate: { ...cert, state: 'revoked', revokedAt, revocationReason: o.reason }, revokedAt, crl, caMessage, packageWithdrawnTo };
}
