/**
 * A certificate the CA signed and the verify gate refused must not stay valid: it is revoked through the
 * backend's revoke capability (AD CS: `certutil -revoke <serial> 0`; built-in CA: recorded and put on a new CRL),
 * the request ends `refused` with the gate's findings, and the server owner gets rejected/<FQDN>.txt (+ .json)
 * saying what the CA issued, why it was refused, that it was revoked, and the fix. A backend that cannot revoke
 * leaves the request `refused` with reason AC_CA_CANNOT_REVOKE and the exact command in the event and the file.
 */
import path from 'node:path';
import type { CertificateInfo, ChainCheck } from '../pki/index.js';
import { writeFileAtomic } from '../packaging/index.js';
import { gateFindings, renderRefusal, type RefusalText } from '../rules/index.js';
import type { StoredRequest, TransitionInput } from '../store/index.js';
import { logTransition, requestLog, scheduleRetry, type PipelineContext } from './context.js';
import { publishCrl } from './crl.js';
import { removePending } from './owner-files.js';

/** RFC 5280 §5.3.1: no reason code fits a certificate the CA should not have issued better than unspecified (0). */
const REASON = { name: 'unspecified', code: 0 } as const;

type AdminOutcome = { kind: 'done' | 'retry' | 'failed'; message: string; code?: string };
interface RevokeCapable {
  revoke(serialHex: string, reasonCode: number): Promise<AdminOutcome>;
  publishCrl?(): Promise<AdminOutcome>;
}

function revoker(ctx: PipelineContext): RevokeCapable | null {
  const b = ctx.backend as unknown as Partial<RevokeCapable>;
  return typeof b.revoke === 'function' ? (b as RevokeCapable) : null;
}

/** The command an administrator runs when agentcert could not revoke. */
export function revokeCommand(ctx: PipelineContext, serial: string): string {
  if (ctx.backend.kind === 'adcs') {
    const ca = ctx.config.ca.adcs.config;
    return `certutil -config "${ca}" -revoke ${serial.toLowerCase()} ${REASON.code} && certutil -config "${ca}" -crl`;
  }
  return `agentcert revoke ${serial} --reason ${REASON.name}`;
}

async function revokeAtCa(ctx: PipelineContext, serial: string): Promise<AdminOutcome> {
  if (ctx.backend.kind === 'builtin') return { kind: 'done', message: `recorded by the built-in CA with reason ${REASON.name}, on its next CRL` };
  const b = revoker(ctx);
  if (!b) return { kind: 'failed', code: 'AC_CA_CANNOT_REVOKE', message: `the ${ctx.backend.kind} backend cannot revoke` };
  const res = await b.revoke(serial, REASON.code);
  return res.kind === 'done' ? { kind: 'done', message: `revoked at the CA with reason ${REASON.name} (${res.message})` } : res;
}

async function publishNewCrl(ctx: PipelineContext): Promise<void> {
  try {
    if (ctx.backend.kind === 'builtin') await publishCrl(ctx);
    else {
      const pub = await revoker(ctx)?.publishCrl?.();
      if (pub && pub.kind !== 'done') ctx.log.warn({ event: 'crl_publish_failed', message: pub.message }, `the CA did not publish a new CRL: ${pub.message}`);
    }
  } catch (err) {
    ctx.log.error({ err, event: 'crl_publish_failed' }, 'publishing the CRL after a refusal failed; it is signed again at half its validity');
  }
}

async function writeRefusal(ctx: PipelineContext, r: StoredRequest, text: RefusalText): Promise<void> {
  const base = path.join(ctx.layout.rejected, r.fqdn);
  const doc = { fqdn: r.fqdn, requestId: r.id, fingerprint: r.fingerprint, sourceName: r.sourceName, at: text.at, outcome: 'refused', certificate: text.certificate, revocation: text.revocation, findings: text.findings };
  await writeFileAtomic(`${base}.req`, r.originalBytes);
  await writeFileAtomic(`${base}.json`, JSON.stringify(doc, null, 2) + '\n');
  await writeFileAtomic(`${base}.txt`, renderRefusal(text));
  await removePending(ctx, r.fqdn);
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
  const at = ctx.clock.now().toISOString();
  const certificate = { serialNumber: serial, subject: info.subject, subjectAltName: info.subjectAltName, issuer: info.issuer, notAfter: info.notAfter.toISOString() };
  // Written before the state changes (as every rejection is), so a refused request never lacks its explanation.
  await writeRefusal(ctx, r, { fqdn: r.fqdn, sourceName: r.sourceName, requestId: r.id, at, certificate, findings, revocation });
  const t: TransitionInput = revocation.revoked
    ? { from: 'issued', to: 'refused', reason: 'AC_VERIFY_FAILED', message: `verify gate refused certificate ${serial} (${failed}); ${revocation.message}`, findings: [...r.findings, ...findings], data: { checks, serialNumber: serial, revoked: true } }
    : { from: 'issued', to: 'refused', reason: 'AC_CA_CANNOT_REVOKE', message: `verify gate refused certificate ${serial} (${failed}); it is NOT revoked (${res.message}): run ${command}`, findings: [...r.findings, ...findings], data: { checks, serialNumber: serial, revoked: false, command } };
  const next = ctx.store.atomic(() => {
    if (revocation.revoked) ctx.store.markCertificateRevoked(serial, REASON.name);
    return ctx.store.transition(r.id, t);
  });
  logTransition(ctx, r, t);
  if (revocation.revoked) await publishNewCrl(ctx);
  else requestLog(ctx, r).error({ event: 'refused_not_revoked', serialNumber: serial, command }, `certificate ${serial} was refused by the verify gate and is NOT revoked: run ${command}`);
  return next;
}
