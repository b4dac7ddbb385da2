/**
 * The same request dropped again (same fingerprint). Nothing rolls back (README "Trust model"): a re-drop
 * republishes only when its certificate is still the FQDN's current one, so replaying an older request or an
 * older renewal can never put an older certificate back into issued/<FQDN>/. When nothing is republished, or the
 * request was dropped under another name, the owner finds a file under the name they used saying why.
 */
import type { Finding, IssuedCertificate, StoredRequest } from '../../domain/index.js';
import { writeRejection } from '../../intake/index.js';
import type { PipelineContext } from '../context.js';

/** The FQDN's current certificate: the newest active one (by notBefore, then issue time) — what issued/<FQDN>/ holds. */
export async function currentCertificate(ctx: PipelineContext, fqdn: string): Promise<IssuedCertificate | null> {
  const active = await ctx.store.certificates.findMany({ fqdn, state: 'active' });
  const key = (c: IssuedCertificate): string => `${c.notBefore}|${c.createdAt}`;
  return active.reduce<IssuedCertificate | null>((best, c) => (!best || key(c) > key(best) ? c : best), null);
}

function notice(rule: string, message: string, remediation: string): Finding[] {
  return [{ rule, severity: 'error', message, remediation }];
}

/** Note the re-drop on the request; write the owner's file when nothing is republished for them. */
export async function handleRedrop(ctx: PipelineContext, r: StoredRequest, name: string, droppedFqdn: string): Promise<StoredRequest> {
  const fp = `fingerprint ${r.fingerprint.slice(0, 16)}…`;
  if (droppedFqdn !== r.fqdn) {
    const file = await writeRejection(ctx, r, notice(
      'REDROP_OTHER_NAME',
      `${name} holds the request already taken for ${r.fqdn} (request ${r.id}, ${fp}, ${r.state}); it is not a request for ${droppedFqdn}, and nothing new was issued`,
      r.state === 'packaged' || r.state === 'installed' ? `the package for this request is issued/${r.fqdn}/; for ${droppedFqdn}, make a new request on that server (certreq -new with Subject CN=${droppedFqdn})` : `follow request ${r.id} under ${r.fqdn}; for ${droppedFqdn}, make a new request on that server`,
    ), droppedFqdn);
    return ctx.store.requests.note(r.id, { reason: 'REDROP_OTHER_NAME', message: `${name} dropped with this request's bytes (${fp}); nothing republished; the owner was told in rejected/${file}`, actor: 'share', republish: false, nextAttemptAt: r.nextAttemptAt });
  }
  const cert = await ctx.store.certificates.forRequest(r.id);
  const current = cert ? await currentCertificate(ctx, r.fqdn) : null;
  if (cert && current?.serialNumber !== cert.serialNumber) {
    const now = current ? `the current certificate of ${r.fqdn} is ${current.serialNumber}` : `${r.fqdn} has no active certificate`;
    const file = await writeRejection(ctx, r, notice(
      'REDROP_NOT_CURRENT',
      `${name} is an older request (request ${r.id}, ${fp}) whose certificate ${cert.serialNumber} is ${cert.state === 'active' ? 'no longer the current one' : cert.state}; ${now}. Nothing was republished or changed`,
      `install the package in issued/${r.fqdn}/ if it is yours; to get a new certificate, make a new request (a new key) on the server`,
    ));
    return ctx.store.requests.note(r.id, { reason: 'REDROP_NOT_CURRENT', message: `${name} dropped again (${fp}); its certificate ${cert.serialNumber} is not the current one, nothing republished; the owner was told in rejected/${file}`, actor: 'share', republish: false, nextAttemptAt: r.nextAttemptAt });
  }
  const republish = r.state === 'packaged' || r.state === 'rejected';
  return ctx.store.requests.note(r.id, {
    reason: 'REDROPPED',
    message: `${name} dropped again (same request, ${fp}); ${republish ? 'publishing the existing result again' : `the request is ${r.state}; nothing new is issued`}`,
    actor: 'share',
    republish,
    nextAttemptAt: republish ? null : r.nextAttemptAt,
  });
}
