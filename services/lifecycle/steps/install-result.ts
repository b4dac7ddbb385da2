/**
 * Install results: `results/<FQDN>.json`, written by install-certificate.ps1 on the agent and signed with the
 * installed certificate's key, moves a packaged request to `installed` or `install_failed` (with the
 * installer's diagnosis). A result is matched to the certificate by thumbprint and verified with that
 * certificate's key, so a stale result cannot mark a newer certificate and a forged one marks nothing.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { inGroup, STATE_GROUPS, type IssuedCertificate, type StoredRequest } from '../../domain/index.js';
import { safeReadRequest } from '../../files/index.js';
import { fqdnFromFileName } from '../../intake/index.js';
import { transition, type PipelineContext } from '../context.js';
import { authenticateResult, RESULT_LIMITS, type InstallResult, type ReadResult } from './result-auth.js';

/** install-certificate.ps1 exit statuses (README "Exit codes"). */
const INSTALLED = new Set(['installed', 'installed-unconfirmed']);
const NOT_FINAL = new Set(['installed-unbound']);

export type ResultOutcome = { kind: 'applied'; request: StoredRequest } | { kind: 'ignored'; why: string };

/** The request a report about this FQDN is noted on, so admins see it: the named certificate's, else the newest. */
async function requestToTell(ctx: PipelineContext, fqdn: string, cert: IssuedCertificate | null): Promise<StoredRequest | null> {
  if (cert) return ctx.store.requests.get(cert.requestId);
  return (await ctx.store.requests.find({ fqdn, limit: 1 }))[0] ?? null;
}

/**
 * Read and apply one results file; the same content is applied (or rejected) once: its hash is remembered.
 * Only a signed result verified against the certificate it names changes state (result-auth.ts).
 */
export async function ingestResultFile(ctx: PipelineContext, file: string): Promise<ResultOutcome> {
  const name = path.basename(file);
  const fqdn = fqdnFromFileName(name.replace(/\.json$/i, '.req'));
  if (!fqdn || !/\.json$/i.test(name) || /\.renewal\.json$/i.test(name)) return { kind: 'ignored', why: 'not <FQDN>.json' };
  const read = await safeReadRequest(file, RESULT_LIMITS.maxBytes);
  if (read.kind !== 'ok' && read.kind !== 'too-large') return { kind: 'ignored', why: read.kind };
  const hash = createHash('sha256').update(read.kind === 'ok' ? read.bytes : Buffer.concat([read.head, Buffer.from(`:${read.size}`)])).digest('hex');
  if ((await ctx.store.state.appliedResultHash(fqdn)) === hash) return { kind: 'ignored', why: 'already applied' };
  const log = ctx.log.child({ fqdn, file: name });
  const auth: ReadResult = read.kind === 'too-large' ? { kind: 'invalid', why: `the file is ${read.size} bytes; an install result is at most ${RESULT_LIMITS.maxBytes}` } : await authenticateResult(ctx.store, read.bytes, fqdn);
  let out: ResultOutcome;
  if (auth.kind === 'verified') {
    const r = (await ctx.store.requests.get(auth.certificate.requestId))!;
    // The actor is the certificate's host, proven by its key, never a name from the file.
    out = { kind: 'applied', request: await applyResult(ctx, r, auth.result, `agent:${auth.certificate.fqdn}`) };
  } else {
    const r = await requestToTell(ctx, fqdn, auth.kind === 'unauthenticated' ? auth.certificate : null);
    const reason = auth.kind === 'invalid' ? 'INSTALL_RESULT_REJECTED' : 'INSTALL_RESULT_UNAUTHENTICATED';
    const message = auth.kind === 'invalid'
      ? `results/${name} was rejected: ${auth.why}; nothing changed`
      : `results/${name} reports "${auth.result.status}" for certificate ${auth.result.thumbprint} but is not authenticated: ${auth.why}; recorded as a report, nothing changed`;
    log.warn({ event: reason.toLowerCase(), why: auth.why }, message);
    if (r) await ctx.store.requests.note(r.id, { reason, message, actor: 'share', data: auth.kind === 'unauthenticated' ? { status: auth.result.status, exitCode: auth.result.exitCode, reportedComputer: auth.result.computer, diagnosis: auth.result.diagnosis } : null });
    out = { kind: 'ignored', why: auth.why };
  }
  await ctx.store.state.setAppliedResultHash(fqdn, hash);
  return out;
}

async function applyResult(ctx: PipelineContext, r: StoredRequest, res: InstallResult, actor: string): Promise<StoredRequest> {
  const data = { status: res.status, exitCode: res.exitCode, reportedComputer: res.computer, finishedAt: res.finishedAt, selfHealed: res.selfHealed, diagnosis: res.diagnosis, signedBy: actor };
  if (!inGroup(r.state, 'acceptsInstallResult')) {
    return ctx.store.requests.note(r.id, { reason: 'INSTALL_RESULT_IGNORED', message: `install result "${res.status}" arrived while the request is ${r.state}`, actor, data });
  }
  if (NOT_FINAL.has(res.status)) {
    return ctx.store.requests.note(r.id, { reason: 'INSTALLED_UNBOUND', message: `certificate installed on ${r.fqdn}, not bound yet (no SCOM agent): ${res.message}`, actor, data });
  }
  const to = INSTALLED.has(res.status) ? 'installed' : 'install_failed';
  const reason = to === 'installed' ? 'INSTALLED' : 'INSTALL_FAILED';
  if (to === r.state) return ctx.store.requests.note(r.id, { reason, message: `install result again: ${res.status}: ${res.message}`, actor, data });
  const next = await transition(ctx, r, { from: STATE_GROUPS.acceptsInstallResult, to, reason, message: `${res.status} (exit ${res.exitCode ?? '?'}) on ${r.fqdn}: ${res.message}${res.selfHealed ? ' (after self-heal)' : ''}`, actor, data });
  if (to === 'installed') await supersedeOlder(ctx, next);
  return next;
}

/** The newly installed certificate supersedes every older active certificate of the same FQDN (not before). */
async function supersedeOlder(ctx: PipelineContext, installed: StoredRequest): Promise<void> {
  const mine = await ctx.store.certificates.forRequest(installed.id);
  if (!mine) return;
  for (const c of await ctx.store.certificates.findMany({ fqdn: installed.fqdn, state: 'active' })) {
    if (c.requestId === installed.id || c.notBefore > mine.notBefore) continue;
    const old = await ctx.store.requests.get(c.requestId);
    await ctx.store.certificates.setState(c.serialNumber, 'superseded', ['active']);
    if (old && inGroup(old.state, 'delivered')) {
      await transition(ctx, old, { from: STATE_GROUPS.delivered, to: 'superseded', reason: 'SUPERSEDED', message: `superseded by certificate ${mine.serialNumber} (request ${installed.id}), installed on the agent`, data: { by: mine.serialNumber } });
    }
  }
}
