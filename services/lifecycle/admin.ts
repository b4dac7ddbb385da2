/**
 * The admin actions, shared by the CLI and the API: approve, deny, revoke. Each records who did it (`actor`)
 * and why in the request's event history, in the same transaction as the state change.
 *
 * Approval only moves the request to `checked`: the pipeline picks up any `checked` request on its next tick,
 * so an approval given by the CLI while a service runs elsewhere is issued by that service without a restart.
 */
import { AgentcertError, type Finding } from '../domain/index.js';
import { StateConflictError, type StoredRequest } from '../store/index.js';
import { transition, type PipelineContext } from './context.js';
import { publishCrl, type CrlPublication } from './crl.js';
import { removePending, writeRejection } from './owner-files.js';

/** Reasons an admin may give (RFC 5280 §5.3.1 CRLReason). certificateHold is left out: nothing here un-holds. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;
export type AdminRevocationReason = keyof typeof REVOCATION_REASONS;

export function isRevocationReason(s: string): s is AdminRevocationReason {
  return Object.hasOwn(REVOCATION_REASONS, s);
}

/** A request by id, fingerprint or FQDN (the newest request for that name). */
export function resolveRequest(ctx: PipelineContext, key: string): StoredRequest {
  const k = key.trim().toLowerCase();
  const r = ctx.store.getRequest(k) ?? ctx.store.getByFingerprint(k) ?? ctx.store.findRequests({ fqdn: k, limit: 1 })[0];
  if (!r) throw new AgentcertError('AC_NOT_FOUND', `no request matches "${key}" (tried request id, fingerprint, FQDN)`);
  return r;
}

function requireState(r: StoredRequest, state: StoredRequest['state'], action: string): void {
  if (r.state !== state) throw new AgentcertError('AC_STATE_CONFLICT', `request ${r.id} (${r.fqdn}) is ${r.state}; only a request in ${state} can be ${action}`);
}

function conflictToError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StateConflictError) throw new AgentcertError('AC_STATE_CONFLICT', `request ${err.requestId} is ${err.actual} now, not ${err.expected}`);
    throw err;
  }
}

export interface AdminActor {
  /** Who: `api:<token name>`, `dashboard:<token name>`, `cli:<os user>`. */
  actor: string;
}

/** awaiting_approval → checked (reason APPROVED), then pending/<FQDN>.txt goes away. */
export async function approveRequest(ctx: PipelineContext, key: string, o: AdminActor & { comment?: string }): Promise<StoredRequest> {
  const r = resolveRequest(ctx, key);
  requireState(r, 'awaiting_approval', 'approved');
  const why = o.comment?.trim() ? `: ${o.comment.trim()}` : '';
  const next = conflictToError(() =>
    transition(ctx, r, { from: 'awaiting_approval', to: 'checked', reason: 'APPROVED', message: `approved by ${o.actor}${why}`, actor: o.actor, data: { comment: o.comment?.trim() ?? null } }),
  );
  // After the state change: a crash here leaves a stale pending file, which packaging removes anyway.
  await removePending(ctx, r);
  return next;
}

/** awaiting_approval → denied (reason ADMIN_DENIED); the owner reads the admin's reason in rejected/<FQDN>.txt. */
export async function denyRequest(ctx: PipelineContext, key: string, o: AdminActor & { reason: string }): Promise<StoredRequest> {
  const reason = o.reason.trim();
  if (!reason) throw new AgentcertError('AC_USAGE', 'a denial needs a reason: the server owner reads it in rejected/<FQDN>.txt');
  const r = resolveRequest(ctx, key);
  requireState(r, 'awaiting_approval', 'denied');
  const finding: Finding = {
    rule: 'ADMIN_DENIED',
    severity: 'error',
    message: `an administrator denied the request: ${reason}`,
    remediation: 'talk to the agentcert administrators about the reason above; drop a new request once it is resolved',
  };
  const findings = [...r.findings, finding];
  // Written before the state change (as the pipeline does), so a denied request never lacks its explanation.
  await writeRejection(ctx, r, findings);
  return conflictToError(() =>
    transition(ctx, r, { from: 'awaiting_approval', to: 'denied', reason: 'ADMIN_DENIED', message: `denied by ${o.actor}: ${reason}`, actor: o.actor, findings, data: { reason } }),
  );
}

/** The optional capability of a CA backend that revokes at the CA (the AD CS backend: certutil -revoke). */
interface RevokingBackend {
  revoke(serialHex: string, reasonCode: number): Promise<{ kind: 'done' | 'retry' | 'failed'; message: string; code?: string }>;
  publishCrl?(): Promise<{ kind: 'done' | 'retry' | 'failed'; message: string; code?: string }>;
}

function revokingBackend(ctx: PipelineContext): RevokingBackend | null {
  const b = ctx.backend as unknown as Partial<RevokingBackend>;
  return typeof b.revoke === 'function' ? (b as RevokingBackend) : null;
}

/** A certificate by serial or thumbprint, or the one active certificate of an FQDN. */
export function resolveCertificate(ctx: PipelineContext, key: string): string {
  const c = ctx.store.findCertificate(key);
  if (c) return c.serialNumber;
  const active = ctx.store.findCertificates({ fqdn: key.trim().toLowerCase(), state: 'active' });
  if (active.length === 1) return active[0]!.serialNumber;
  if (active.length > 1) throw new AgentcertError('AC_USAGE', `${key} has ${active.length} active certificates; give the serial`, active.map((x) => `${x.serialNumber} valid until ${x.notAfter}`));
  throw new AgentcertError('AC_NOT_FOUND', `no certificate matches "${key}" (tried serial, thumbprint, FQDN with an active certificate)`);
}

export interface Revocation {
  serialNumber: string;
  fqdn: string;
  requestId: string;
  reason: AdminRevocationReason;
  revokedAt: string;
  /** The new CRL (built-in CA), or null when the CA publishes its own (AD CS). */
  crl: CrlPublication | null;
  caMessage: string;
}

/** Revoke at the CA (AD CS) or in agentcert's own records (built-in CA), then publish a new CRL. */
export async function revokeCertificate(ctx: PipelineContext, key: string, o: AdminActor & { reason: string; comment?: string }): Promise<Revocation> {
  if (!isRevocationReason(o.reason)) throw new AgentcertError('AC_USAGE', `unknown revocation reason "${o.reason}"`, [`reasons: ${Object.keys(REVOCATION_REASONS).join(', ')}`]);
  const serial = resolveCertificate(ctx, key);
  const before = ctx.store.findCertificate(serial)!;
  if (before.state === 'revoked') throw new AgentcertError('AC_STATE_CONFLICT', `certificate ${serial} was revoked already (${before.revokedAt})`);
  let caMessage = 'recorded by the built-in CA';
  if (ctx.backend.kind !== 'builtin') {
    const b = revokingBackend(ctx);
    if (!b) throw new AgentcertError('AC_CA_CANNOT_REVOKE', `the ${ctx.backend.kind} backend of this build has no revoke operation; certificate ${serial} is NOT revoked`);
    const res = await b.revoke(serial, REVOCATION_REASONS[o.reason]);
    if (res.kind === 'retry') throw new AgentcertError('AC_CA_UNAVAILABLE', `the CA could not be reached to revoke ${serial}: ${res.message}`);
    if (res.kind === 'failed') throw new AgentcertError(res.code === 'AC_CA_OUTPUT_UNKNOWN' ? 'AC_CA_OUTPUT_UNKNOWN' : 'AC_CA_DENIED', `the CA did not revoke ${serial}: ${res.message}`);
    caMessage = res.message;
  }
  const cert = ctx.store.revokeCertificate(serial, { reason: o.reason, comment: o.comment?.trim() ?? '', actor: o.actor });
  ctx.log.child({ requestId: cert.requestId, fqdn: cert.fqdn }).warn({ event: 'revoked', reason: o.reason, serialNumber: serial, actor: o.actor }, `certificate ${serial} revoked`);
  let crl: CrlPublication | null = null;
  if (ctx.backend.kind === 'builtin') crl = await publishCrl(ctx);
  else {
    const pub = await revokingBackend(ctx)!.publishCrl?.();
    if (pub && pub.kind !== 'done') ctx.log.warn({ event: 'crl_publish_failed', message: pub.message }, `the CA did not publish a new CRL: ${pub.message}`);
  }
  return { serialNumber: serial, fqdn: cert.fqdn, requestId: cert.requestId, reason: o.reason, revokedAt: cert.revokedAt!, crl, caMessage };
}
