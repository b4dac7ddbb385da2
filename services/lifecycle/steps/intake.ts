/**
 * Intake of one dropped file: read bytes → fingerprint → durable store → only then move the original to
 * archive/ (nothing the server owner dropped is deleted before its bytes are in the store).
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { TenantConfig } from '../../config/index.js';
import { isAgentcertError, type Finding, type StoredRequest } from '../../domain/index.js';
import { safeReadRequest, type SafeRead } from '../../files/index.js';
import { fqdnFromFileName, isDnsName, isReservedWindowsName, safeFileStem, writeRejection } from '../../intake/index.js';
import { extraRequestContent, parseRequest, type ParsedRequest } from '../../pki/index.js';
import { fileBadName, fileMultipleRequests, fileNotAFile, fileNotARequest, fileNotInTenantFolder, fileTooLarge } from '../../rules/index.js';
import { announceTransition, recordTransition, requestLog, type PipelineContext, type TransitionInput } from '../context.js';
import { assessRequest } from './check.js';
import { handleRedrop } from './redrop.js';
import { routeRequest } from './trust.js';

export type IngestResult = { kind: 'stored'; request: StoredRequest; created: boolean } | { kind: 'skipped'; why: string; retryInMs?: number };

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The tenant a file belongs to: requests/<file> → default tenant; requests/<folder>/<file> → that tenant. */
export function tenantForFile(ctx: Pick<PipelineContext, 'layout' | 'config'>, file: string): TenantConfig | null {
  const rel = path.relative(ctx.layout.requests, file).split(path.sep);
  if (rel.length === 1) return ctx.config.policy.defaultTenant;
  const folder = rel[0]!.toLowerCase();
  return ctx.config.policy.tenants.find((t) => (t.folder ?? t.name).toLowerCase() === folder) ?? null;
}

function archiveName(ctx: PipelineContext, requestId: string, tenant: string, name: string): string {
  const stamp = ctx.clock.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${tenant}-${requestId}-${safeFileStem(name)}.req`;
}

function badNameFinding(name: string): Finding {
  const stem = name.replace(/\.req$/i, '').trim();
  return fileBadName(name, isReservedWindowsName(stem) && isDnsName(stem) ? stem.split('.')[0]!.toUpperCase() : null);
}

type Content = { bytes: Buffer; fingerprint: string; parsed: ParsedRequest | null; findings: Finding[] } | { retryInMs: number };

/** What the file holds: a parsed request, or the finding that says why not (or: look again, it is still being written). */
function readContent(ctx: PipelineContext, name: string, read: Extract<SafeRead, { kind: 'ok' | 'too-large' }>): Content {
  if (read.kind === 'too-large') {
    return { bytes: read.head, fingerprint: sha256(Buffer.concat([read.head, Buffer.from(`:${read.size}`)])), parsed: null, findings: [fileTooLarge(read.size, ctx.config.share.maxRequestBytes)] };
  }
  try {
    const parsed = ctx.parsed.remember(parseRequest(read.bytes));
    const extra = extraRequestContent(read.bytes);
    // Keyed by the whole file, not the first request in it: a file that adds a second request to someone's real
    // one must not count as that request dropped again.
    if (extra) return { bytes: read.bytes, fingerprint: sha256(read.bytes), parsed: null, findings: [fileMultipleRequests(name, extra)] };
    return { bytes: read.bytes, fingerprint: parsed.fingerprint, parsed, findings: [] };
  } catch (err) {
    if (!isAgentcertError(err)) throw err;
    const ageMs = ctx.clock.now().getTime() - read.mtimeMs;
    // Still being written (a PEM with no END line, DER shorter than its length): look again later. So is any
    // file that does not parse and changed less than share.stableMs ago (a copy over SMB creates the file empty
    // first). A file that parses is complete — its signature covers it — so it never waits (the watcher does
    // not wait for sizes to settle; this is where stability is decided).
    const unfinished = err.code === 'AC_REQUEST_INCOMPLETE' ? ctx.config.share.incompleteGraceMs : ctx.config.share.stableMs;
    if (ageMs < unfinished) return { retryInMs: Math.max(50, Math.min(unfinished - ageMs + 20, ctx.config.share.stableMs + 1000)) };
    return { bytes: read.bytes, fingerprint: sha256(read.bytes), parsed: null, findings: [fileNotARequest(name, err.message)] };
  }
}

export async function ingestFile(ctx: PipelineContext, file: string): Promise<IngestResult> {
  const name = path.basename(file);
  // A tenant folder swapped for a symlink after it was watched: its events still name files under the old path,
  // which now leads outside the share. Only real folders are read from (the scan never descends into links).
  if (path.dirname(file) !== ctx.layout.requests) {
    const folder = await lstat(path.dirname(file)).catch(() => null);
    if (!folder?.isDirectory()) return { kind: 'skipped', why: 'not in a real folder' };
  }
  const read = await safeReadRequest(file, ctx.config.share.maxRequestBytes);
  if (read.kind === 'gone') return { kind: 'skipped', why: 'gone' };
  if (read.kind === 'not-a-file') return ingestNotAFile(ctx, file, read);
  const content = readContent(ctx, name, read);
  if ('retryInMs' in content) return { kind: 'skipped', why: 'incomplete', retryInMs: content.retryInMs };
  const fileFqdn = fqdnFromFileName(name);
  // A renewal is taken in the tenant and role of the certificate that signed it, whatever folder it is in.
  const route = await routeRequest(ctx, content.parsed, fileFqdn, tenantForFile(ctx, file));
  const tenant = route.tenant;
  const findings = [...content.findings];
  if (!fileFqdn) findings.push(badNameFinding(name));
  if (!tenant) findings.push(fileNotInTenantFolder(path.basename(path.dirname(file))));
  const fqdn = fileFqdn ?? safeFileStem(name).toLowerCase();
  const tenantName = tenant?.name ?? 'unknown';
  const rel = path.relative(ctx.layout.requests, file);
  const rejection: TransitionInput | null = findings.length > 0 ? { from: 'received', to: 'rejected', reason: findings[0]!.rule as TransitionInput['reason'], message: findings.map((f) => f.message).join('; '), findings } : null;
  // A request that passes every check is checked in the same transaction as its insert (one commit less a
  // request, bulk bench); one that is rejected or held goes through checkStep, which writes the owner's file first.
  // A file that is no request at all is rejected in its insert's transaction, so the pipeline never sees it `received`.
  const { request, created, decided } = await ctx.store.withTransaction(async (tx) => {
    const inserted = await tx.requests.insert(
      { fingerprint: content.fingerprint, fqdn, tenant: tenantName, ...(route.role ? { role: route.role } : {}), csrDer: content.parsed?.csrDer ?? null, originalBytes: content.bytes, sourceName: rel },
      `${rel} received (${content.bytes.length} bytes${content.parsed ? `, ${content.parsed.format}` : ''})`,
    );
    if (!inserted.created) return { ...inserted, decided: null };
    let next: TransitionInput | null = rejection;
    if (!next && content.parsed) {
      try {
        const a = await assessRequest(ctx, inserted.request);
        if (a.outcome === 'accept') next = a.transition;
      } catch {
        // the insert stands; checkStep runs the checks again, with its retries
      }
    }
    if (!next) return { ...inserted, decided: null };
    return { request: await recordTransition(tx, inserted.request, next), created: true, decided: next };
  });
  if (decided) announceTransition(ctx, { ...request, state: 'received' }, decided);
  // Several instances watch one share: the one whose insert created the request owns the file (it holds the
  // request's lease from that commit) and archives it; the others leave it alone.
  if (!created && (await ctx.store.work.heldElsewhere(request.id))) return { kind: 'skipped', why: 'another instance owns it' };
  let current = request;
  if (created && rejection) {
    // Before the file is archived: a crash here leaves the file on the share, and the re-drop writes this again.
    await writeRejection(ctx, request, findings);
  } else if (!created) {
    current = await handleRedrop(ctx, request, name, fqdn);
  }
  const dest = await ctx.share.archive.file(file, archiveName(ctx, current.id, tenantName, name));
  requestLog(ctx, current).info({ event: 'archived', file: path.basename(dest) }, `original archived as archive/${path.basename(dest)}`);
  return { kind: 'stored', request: current, created };
}

/**
 * A symlink, a folder, a pipe or a hard link named like a request: never opened or followed (it could point
 * outside the share). It is rejected once, with the reason in rejected/, and the entry itself (not what it points
 * to) is moved into archive/, so the reconcile scan does not meet it again. Its identity (device, inode, ctime)
 * is the idempotency key: a crash before the move finds the same row, and a new entry under the same name later
 * is a new drop.
 */
async function ingestNotAFile(ctx: PipelineContext, file: string, read: Extract<SafeRead, { kind: 'not-a-file' }>): Promise<IngestResult> {
  const name = path.basename(file);
  const rel = path.relative(ctx.layout.requests, file);
  const tenantName = tenantForFile(ctx, file)?.name ?? 'unknown';
  const { dev, ino, ctimeMs } = read.identity;
  const fingerprint = sha256(Buffer.from(`not-a-file:${read.what}:${rel}:${dev}:${ino}:${ctimeMs}`));
  const findings = [fileNotAFile(name, read.detail, read.what)];
  const fqdn = fqdnFromFileName(name) ?? safeFileStem(name).toLowerCase();
  const rejection: TransitionInput = { from: 'received', to: 'rejected', reason: 'FILE_NOT_A_FILE', message: findings[0]!.message, findings };
  const { request, created } = await ctx.store.withTransaction(async (tx) => {
    const inserted = await tx.requests.insert({ fingerprint, fqdn, tenant: tenantName, csrDer: null, originalBytes: Buffer.alloc(0), sourceName: rel }, `${rel} received (${read.detail})`);
    if (!inserted.created) return inserted;
    return { request: await recordTransition(tx, inserted.request, { ...rejection, data: { what: read.what } }), created: true };
  });
  if (created) announceTransition(ctx, { ...request, state: 'received' }, { ...rejection, data: { what: read.what } });
  // Written again when the row already existed (a crash came before the move): idempotent, no new event.
  await writeRejection(ctx, request, findings);
  try {
    const dest = await ctx.share.archive.entry(file, archiveName(ctx, request.id, tenantName, name));
    requestLog(ctx, request).info({ event: 'archived', file: path.basename(dest) }, `${read.what} moved to archive/${path.basename(dest)} without following it`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'skipped', why: 'gone' };
    requestLog(ctx, request).warn({ event: 'intake_skipped', file, what: read.what, err }, `${name} could not be moved to archive/ (${code ?? 'error'}); it is left where it is`);
  }
  return { kind: 'stored', request, created };
}
