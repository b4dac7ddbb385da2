/**
 * Install results: `results/<FQDN>.json`, written by install-certificate.ps1 on the agent, moves a packaged
 * request to `installed` or `install_failed` (with the installer's diagnosis). A result is matched to the
 * certificate by thumbprint, never by name alone, so a stale result cannot mark a newer certificate.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fqdnFromFileName, safeReadRequest } from '../intake/index.js';
import type { StoredRequest } from '../store/index.js';
import { transition, type PipelineContext } from './context.js';

/** install-certificate.ps1 exit statuses (README "Exit codes"). */
const INSTALLED = new Set(['installed', 'installed-unconfirmed']);
const NOT_FINAL = new Set(['installed-unbound']);

export interface InstallResult {
  fqdn: string;
  thumbprint: string;
  status: string;
  exitCode: number | null;
  message: string;
  computer: string | null;
  finishedAt: string | null;
  diagnosis: unknown[];
  selfHealed: boolean;
}

export type ResultOutcome = { kind: 'applied'; request: StoredRequest } | { kind: 'ignored'; why: string };

function parseResult(bytes: Buffer): InstallResult | null {
  let doc: Record<string, unknown>;
  try {
    // The installer writes UTF-8 without BOM; tolerate a BOM from a hand-copied file.
    doc = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || typeof doc['fqdn'] !== 'string' || typeof doc['thumbprint'] !== 'string' || typeof doc['status'] !== 'string') return null;
  return {
    fqdn: (doc['fqdn'] as string).toLowerCase(),
    thumbprint: (doc['thumbprint'] as string).replace(/\s/g, '').toUpperCase(),
    status: doc['status'] as string,
    exitCode: typeof doc['exitCode'] === 'number' ? (doc['exitCode'] as number) : null,
    message: typeof doc['message'] === 'string' ? (doc['message'] as string) : '',
    computer: typeof doc['computer'] === 'string' ? (doc['computer'] as string) : null,
    finishedAt: typeof doc['finishedAt'] === 'string' ? (doc['finishedAt'] as string) : null,
    diagnosis: Array.isArray(doc['diagnosis']) ? (doc['diagnosis'] as unknown[]) : [],
    selfHealed: doc['selfHealed'] === true,
  };
}

/** Read and apply one results file; the same content is applied once (its hash is remembered). */
export async function ingestResultFile(ctx: PipelineContext, file: string): Promise<ResultOutcome> {
  const name = path.basename(file);
  const fqdn = fqdnFromFileName(name.replace(/\.json$/i, '.req'));
  if (!fqdn || !/\.json$/i.test(name) || /\.renewal\.json$/i.test(name)) return { kind: 'ignored', why: 'not <FQDN>.json' };
  const read = await safeReadRequest(file, 1024 * 1024);
  if (read.kind !== 'ok') return { kind: 'ignored', why: read.kind };
  const hash = createHash('sha256').update(read.bytes).digest('hex');
  const key = `result:${fqdn}`;
  if (ctx.store.getMeta(key) === hash) return { kind: 'ignored', why: 'already applied' };
  const result = parseResult(read.bytes);
  const log = ctx.log.child({ fqdn, file: name });
  if (!result || result.fqdn !== fqdn) {
    log.warn({ event: 'result_unreadable' }, `${name} is not an install result for ${fqdn}; ignored`);
    ctx.store.setMeta(key, hash);
    return { kind: 'ignored', why: 'unreadable' };
  }
  const cert = ctx.store.findCertificate(result.thumbprint);
  const r = cert && cert.fqdn === fqdn ? ctx.store.getRequest(cert.requestId) : null;
  if (!r) {
    log.warn({ event: 'result_unknown_certificate', thumbprint: result.thumbprint }, `${name} reports certificate ${result.thumbprint}, which agentcert did not issue for ${fqdn}; ignored`);
    ctx.store.setMeta(key, hash);
    return { kind: 'ignored', why: 'unknown certificate' };
  }
  const applied = applyResult(ctx, r, result);
  ctx.store.setMeta(key, hash);
  return { kind: 'applied', request: applied };
}

function applyResult(ctx: PipelineContext, r: StoredRequest, res: InstallResult): StoredRequest {
  const data = { status: res.status, exitCode: res.exitCode, computer: res.computer, finishedAt: res.finishedAt, selfHealed: res.selfHealed, diagnosis: res.diagnosis };
  const from = ['packaged', 'install_failed', 'installed'] as const;
  if (!(from as readonly string[]).includes(r.state)) {
    return ctx.store.note(r.id, { reason: 'INSTALL_RESULT_IGNORED', message: `install result "${res.status}" arrived while the request is ${r.state}`, actor: `agent:${res.computer ?? r.fqdn}`, data });
  }
  const actor = `agent:${res.computer ?? r.fqdn}`;
  if (NOT_FINAL.has(res.status)) {
    return ctx.store.note(r.id, { reason: 'INSTALLED_UNBOUND', message: `certificate installed on ${res.computer ?? r.fqdn}, not bound yet (no SCOM agent): ${res.message}`, actor, data });
  }
  const to = INSTALLED.has(res.status) ? 'installed' : 'install_failed';
  if (to === r.state) return ctx.store.note(r.id, { reason: to === 'installed' ? 'INSTALLED' : 'INSTALL_FAILED', message: `install result again: ${res.status}: ${res.message}`, actor, data });
  const next = transition(ctx, r, { from, to, reason: to === 'installed' ? 'INSTALLED' : 'INSTALL_FAILED', message: `${res.status} (exit ${res.exitCode ?? '?'}) on ${res.computer ?? r.fqdn}: ${res.message}${res.selfHealed ? ' (after self-heal)' : ''}`, actor, data });
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
