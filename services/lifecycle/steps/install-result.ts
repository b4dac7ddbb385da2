/**
 * Install results: `results/<FQDN>.json`, written by install-certificate.ps1 on the agent, moves a packaged
 * request to `installed` or `install_failed` (with the installer's diagnosis). A result is matched to the
 * certificate by thumbprint, never by name alone, so a stale result cannot mark a newer certificate.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { inGroup, STATE_GROUPS, type StoredRequest } from '../../domain/index.js';
import { safeReadRequest } from '../../files/index.js';
import { fqdnFromFileName } from '../../intake/index.js';
import { transition, type PipelineContext } from '../context.js';

/** install-certificate.ps1 exit statuses (README "Exit codes"). */
const INSTALLED = new Set(['installed', 'installed-unconfirmed']);
const NOT_FINAL = new Set(['installed-unbound']);

/** The result document the installer writes (README "Renewal, install results and expiry"); extra fields are kept out. */
const ResultDocument = Type.Object({
  fqdn: Type.String(),
  thumbprint: Type.String(),
  status: Type.String(),
  exitCode: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  message: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  computer: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  finishedAt: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  diagnosis: Type.Optional(Type.Union([Type.Array(Type.Unknown()), Type.Null()])),
  selfHealed: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
});

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
  let doc: unknown;
  try {
    // The installer writes UTF-8 without BOM; tolerate a BOM from a hand-copied file.
    doc = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  if (!Value.Check(ResultDocument, doc)) return null;
  const d: Static<typeof ResultDocument> = doc;
  return {
    fqdn: d.fqdn.toLowerCase(),
    thumbprint: d.thumbprint.replace(/\s/g, '').toUpperCase(),
    status: d.status,
    exitCode: d.exitCode ?? null,
    message: d.message ?? '',
    computer: d.computer ?? null,
    finishedAt: d.finishedAt ?? null,
    diagnosis: d.diagnosis ?? [],
    selfHealed: d.selfHealed === true,
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
  if ((await ctx.store.state.appliedResultHash(fqdn)) === hash) return { kind: 'ignored', why: 'already applied' };
  const result = parseResult(read.bytes);
  const log = ctx.log.child({ fqdn, file: name });
  if (!result || result.fqdn !== fqdn) {
    log.warn({ event: 'result_unreadable' }, `${name} is not an install result for ${fqdn}; ignored`);
    await ctx.store.state.setAppliedResultHash(fqdn, hash);
    return { kind: 'ignored', why: 'unreadable' };
  }
  const cert = await ctx.store.certificates.find(result.thumbprint);
  const r = cert && cert.fqdn === fqdn ? await ctx.store.requests.get(cert.requestId) : null;
  if (!r) {
    log.warn({ event: 'result_unknown_certificate', thumbprint: result.thumbprint }, `${name} reports certificate ${result.thumbprint}, which agentcert did not issue for ${fqdn}; ignored`);
    await ctx.store.state.setAppliedResultHash(fqdn, hash);
    return { kind: 'ignored', why: 'unknown certificate' };
  }
  const applied = await applyResult(ctx, r, result);
  await ctx.store.state.setAppliedResultHash(fqdn, hash);
  return { kind: 'applied', request: applied };
}

async function applyResult(ctx: PipelineContext, r: StoredRequest, res: InstallResult): Promise<StoredRequest> {
  const data = { status: res.status, exitCode: res.exitCode, computer: res.computer, finishedAt: res.finishedAt, selfHealed: res.selfHealed, diagnosis: res.diagnosis };
  const actor = `agent:${res.computer ?? r.fqdn}`;
  if (!inGroup(r.state, 'acceptsInstallResult')) {
    return ctx.store.requests.note(r.id, { reason: 'INSTALL_RESULT_IGNORED', message: `install result "${res.status}" arrived while the request is ${r.state}`, actor, data });
  }
  if (NOT_FINAL.has(res.status)) {
    return ctx.store.requests.note(r.id, { reason: 'INSTALLED_UNBOUND', message: `certificate installed on ${res.computer ?? r.fqdn}, not bound yet (no SCOM agent): ${res.message}`, actor, data });
  }
  const to = INSTALLED.has(res.status) ? 'installed' : 'install_failed';
  const reason = to === 'installed' ? 'INSTALLED' : 'INSTALL_FAILED';
  if (to === r.state) return ctx.store.requests.note(r.id, { reason, message: `install result again: ${res.status}: ${res.message}`, actor, data });
  const next = await transition(ctx, r, { from: STATE_GROUPS.acceptsInstallResult, to, reason, message: `${res.status} (exit ${res.exitCode ?? '?'}) on ${res.computer ?? r.fqdn}: ${res.message}${res.selfHealed ? ' (after self-heal)' : ''}`, actor, data });
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
