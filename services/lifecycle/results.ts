/**
 * Install results: `results/<FQDN>.json`, written by install-certificate.ps1 on the agent and signed with the
 * installed certificate's key, moves a packaged request to `installed` or `install_failed` (with the
 * installer's diagnosis). A result is matched to the certificate by thumbprint and verified with that
 * certificate's key, so a stale result cannot mark a newer certificate and a forged one marks nothing.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fqdnFromFileName, safeReadRequest } from '../intake/index.js';
import type { IssuedCertificate } from '../domain/index.js';
import type { StoredRequest } from '../store/index.js';
import { authenticateResult, RESULT_LIMITS, type InstallResult, type ReadResult } from './result-auth.js';
import { transition, type PipelineContext } from './context.js';

/** install-certificate.ps1 exit statuses (README "Exit codes"). */
const INSTALLED = new Set(['installed', 'installed-unconfirmed']);
const NOT_FINAL = new Set(['installed-unbound']);

export type ResultOutcome = { kind: 'applied'; request: StoredRequest } | { kind: 'ignored'; why: string };

/** The request a report about this FQDN is noted on, so admins see it: the named certificate's, else the newest. */
function requestToTell(ctx: PipelineContext, fqdn: string, cert: IssuedCertificate | null): StoredRequest | null {
  if (cert) return ctx.store.getRequest(cert.requestId);
  return ctx.store.findRequests({ fqdn }).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0] ?? null;
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
  const key = `result:${fqdn}`;
  if (ctx.store.getMeta(key) === hash) return { kind: 'ignored', why: 'already applied' };
  const log = ctx.log.child({ fqdn, file: name });
  const auth: ReadResult = read.kind === 'too-large' ? { kind: 'invalid', why: `the file is ${read.size} bytes; an install result is at most ${RESULT_LIMITS.maxBytes}` } : authenticateResult(ctx.store, read.bytes, fqdn);
  let out: ResultOutcome;
  if (auth.kind === 'verified') {
    out = { kind: 'applied', request: applyVerified(ctx, auth.certificate, auth.result) };
  } else {
    const r = requestToTell(ctx, fqdn, auth.kind === 'unauthenticated' ? auth.certificate : null);
    const reason = auth.kind === 'invalid' ? 'INSTALL_RESULT_REJECTED' : 'INSTALL_RESULT_UNAUTHENTICATED';
    const message = auth.kind === 'invalid'
      ? `results/${name} was rejected: ${auth.why}; nothing changed`
      : `results/${name} reports "${auth.result.status}" for certificate ${auth.result.thumbprint} but is not authenticated: ${auth.why}; recorded as a report, nothing changed`;
    log.warn({ event: reason.toLowerCase(), why: auth.why }, message);
    if (r) ctx.store.note(r.id, { reason, message, actor: 'share', data: auth.kind === 'unauthenticated' ? { status: auth.result.status, exitCode: auth.result.exitCode, reportedComputer: auth.result.computer, diagnosis: auth.result.diagnosis } : null });
    out = { kind: 'ignored', why: auth.why };
  }
  ctx.store.setMeta(key, hash);
  return out;
}

/** A verified result: the actor is the certificate's host, proven by its key, never a name from the file. */
function applyVerified(ctx: PipelineContext, cert: IssuedCertificate, res: InstallResult): StoredRequest {
  const r = ctx.store.getRequest(cert.requestId)!;
  return applyResult(ctx, r, res, `agent:${cert.fqdn}`);
}

function applyResult(ctx: PipelineContext, r: StoredRequest, res: InstallResult, actor: string): StoredRequest {
  const data = { status: res.status, exitCode: res.exitCode, reportedComputer: res.computer, finishedAt: res.finishedAt, selfHealed: res.selfHealed, diagnosis: res.diagnosis, signedBy: actor };
  const from = ['packaged', 'install_failed', 'installed'] as const;
  if (!(from as readonly string[]).includes(r.state)) {
    return ctx.store.note(r.id, { reason: 'INSTALL_RESULT_IGNORED', message: `install result "${res.status}" arrived while the request is ${r.state}`, actor, data });
  }
  if (NOT_FINAL.has(res.status)) {
    return ctx.store.note(r.id, { reason: 'INSTALLED_UNBOUND', message: `certificate installed on ${r.fqdn}, not bound yet (no SCOM agent): ${res.message}`, actor, data });
  }
  const to = INSTALLED.has(res.status) ? 'installed' : 'install_failed';
  if (to === r.state) return ctx.store.note(r.id, { reason: to === 'installed' ? 'INSTALLED' : 'INSTALL_FAILED', message: `install result again: ${res.status}: ${res.message}`, actor, data });
  const next = transition(ctx, r, { from, to, reason: to === 'installed' ? 'INSTALLED' : 'INSTALL_FAILED', message: `${res.status} (exit ${res.exitCode ?? '?'}) on ${r.fqdn}: ${res.message}${res.selfHealed ? ' (after self-heal)' : ''}`, actor, data });
  if (to === 'installed') supersedeOlder(ctx, next);
  return next;
}

/** The newly installed certificate supersedes every older active certificate of the same FQDN (not before). */
function supersedeOlder(ctx: PipelineContext, installed: StoredRequest): void {
  const mine = ctx.store.certificateForRequest(installed.id);
  if (!mine) return;
  for (const c of ctx.store.findCertificates({ fqdn: installed.fqdn, state: 'active' })) {
    if (c.requestId === installed.id || c.notBefore > mine.notBefore) continue;
    const old = ctx.store.getRequest(c.requestId);
    ctx.store.supersedeCertificate(c.serialNumber);
    if (old && ['packaged', 'installed', 'install_failed'].includes(old.state)) {
      transition(ctx, old, { from: old.state, to: 'superseded', reason: 'SUPERSEDED', message: `superseded by certificate ${mine.serialNumber} (request ${installed.id}), installed on the agent`, data: { by: mine.serialNumber } });
    }
  }
}
