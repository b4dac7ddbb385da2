/**
 * Intake of one dropped file: read bytes → fingerprint → durable store → only then move the original to
 * archive/ (nothing the server owner dropped is deleted before its bytes are in the store).
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { TenantConfig } from '../config/index.js';
import { isAgentcertError, type Finding } from '../domain/index.js';
import { archiveEntry, archiveFile, fqdnFromFileName, isDnsName, isReservedWindowsName, safeFileStem, safeReadRequest, type SafeRead } from '../intake/index.js';
import { parseRequest, type ParsedRequest } from '../pki/index.js';
import type { StoredRequest, TransitionInput } from '../store/index.js';
import { rememberParsed } from './parsed-cache.js';
import { logTransition, requestLog, type PipelineContext } from './context.js';
import { assessRequest } from './steps.js';
import { writeRejection } from './owner-files.js';

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

function fileFinding(rule: string, message: string, remediation: string, found?: string): Finding {
  return { rule, severity: 'error', message, remediation, ...(found ? { found } : {}) };
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
  const tenant = tenantForFile(ctx, file);
  const fileFqdn = fqdnFromFileName(name);
  const findings: Finding[] = [];
  let parsed: ParsedRequest | null = null;
  let fingerprint: string;
  let bytes: Buffer;
  if (read.kind === 'too-large') {
    bytes = read.head;
    fingerprint = sha256(Buffer.concat([read.head, Buffer.from(`:${read.size}`)]));
    findings.push(fileFinding('FILE_TOO_LARGE', `the file is ${read.size} bytes; a certificate request is a few KB (limit ${ctx.config.share.maxRequestBytes})`, 'drop only the .req file certreq wrote, unchanged', `${read.size} bytes`));
  } else {
    bytes = read.bytes;
    try {
      parsed = rememberParsed(parseRequest(bytes));
      fingerprint = parsed.fingerprint;
    } catch (err) {
      if (!isAgentcertError(err)) throw err;
      const ageMs = ctx.clock.now().getTime() - read.mtimeMs;
      // Still being written (a PEM with no END line, DER shorter than its length): look again later. So is any
      // file that does not parse and changed less than share.stableMs ago (a copy over SMB creates the file empty
      // first). A file that parses is complete — its signature covers it — so it never waits (the watcher does
      // not wait for sizes to settle; this is where stability is decided).
      const unfinished = err.code === 'AC_REQUEST_INCOMPLETE' ? ctx.config.share.incompleteGraceMs : ctx.config.share.stableMs;
      if (ageMs < unfinished) return { kind: 'skipped', why: 'incomplete', retryInMs: Math.max(50, Math.min(unfinished - ageMs + 20, ctx.config.share.stableMs + 1000)) };
      fingerprint = sha256(bytes);
      findings.push(fileFinding('FILE_NOT_A_REQUEST', `${name} is not a certificate request: ${err.message}`, 'drop the .req file that certreq -new wrote (PEM "BEGIN NEW CERTIFICATE REQUEST" or DER), unchanged'));
    }
  }
  if (!fileFqdn) findings.push(fileNameFinding(name));
  if (!tenant) findings.push(fileFinding('FILE_TENANT_FOLDER', `the folder "${path.basename(path.dirname(file))}" is not a configured tenant`, 'drop the request in requests/ or in the folder of your tenant'));

  const fqdn = fileFqdn ?? safeFileStem(name).toLowerCase();
  const tenantName = tenant?.name ?? 'unknown';
  const rejection = findings.length > 0 ? { reason: findings[0]!.rule, message: findings.map((f) => f.message).join('; '), findings } : undefined;
  // A request that passes every check is checked in the same transaction as its insert (one commit less a
  // request, bulk bench); one that is rejected or held goes through checkStep, which writes the owner's file first.
  let checked: TransitionInput | null = null;
  const { request, created } = ctx.store.atomic(() => {
    const inserted = ctx.store.insertRequest(
      { fingerprint, fqdn, tenant: tenantName, csrDer: parsed?.csrDer ?? null, originalBytes: bytes, sourceName: path.relative(ctx.layout.requests, file) },
      `${path.relative(ctx.layout.requests, file)} received (${bytes.length} bytes${parsed ? `, ${parsed.format}` : ''})`,
      rejection,
    );
    if (!inserted.created || rejection || !parsed) return inserted;
    let assessed: ReturnType<typeof assessRequest>;
    try {
      assessed = assessRequest(ctx, inserted.request);
    } catch {
      return inserted; // the insert stands; checkStep runs the checks again, with its retries
    }
    if (assessed.outcome !== 'accept') return inserted;
    checked = assessed.transition;
    return { request: ctx.store.transition(inserted.request.id, assessed.transition), created: true };
  });
  if (checked) logTransition(ctx, { ...request, state: 'received' }, checked);
  let current = request;
  if (created && rejection) {
    requestLog(ctx, request).warn({ event: 'received->rejected', reason: rejection.reason, message: rejection.message }, rejection.message);
    // Before the file is archived: a crash here leaves the file on the share, and the re-drop writes this again.
    await writeRejection(ctx, request, findings);
  } else if (!created) {
    current = noteRedrop(ctx, request, name);
  }
  const dest = await archiveFile(file, path.join(ctx.layout.archive), archiveName(ctx, current.id, tenantName, name));
  requestLog(ctx, current).info({ event: 'archived', file: path.basename(dest) }, `original archived as archive/${path.basename(dest)}`);
  return { kind: 'stored', request: current, created };
}

function fileNameFinding(name: string): Finding {
  const stem = name.replace(/\.req$/i, '').trim();
  if (isReservedWindowsName(stem) && isDnsName(stem)) {
    return fileFinding('FILE_NAME', `the file name "${name}" starts with the reserved Windows device name ${stem.split('.')[0]!.toUpperCase()}; its package folder could not be opened from Windows`, 'request the certificate for a host name whose first label is not CON, PRN, AUX, NUL, COM1-9 or LPT1-9', name);
  }
  return fileFinding('FILE_NAME', `the file name "${name}" is not <FQDN>.req`, 'name the file after the host\'s fully qualified DNS name, for example web01.contoso.local.req', name);
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
  const findings = [fileFinding('FILE_NOT_A_FILE', `${name} is ${read.detail}, not a request file; it was not opened or followed, and was moved to archive/ as it is`, 'copy the .req file that certreq -new wrote onto the share itself (not a link, shortcut or folder)', read.what)];
  const fqdn = fqdnFromFileName(name) ?? safeFileStem(name).toLowerCase();
  const { request, created } = ctx.store.insertRequest(
    { fingerprint, fqdn, tenant: tenantName, csrDer: null, originalBytes: Buffer.alloc(0), sourceName: rel },
    `${rel} received (${read.detail})`,
    { reason: 'FILE_NOT_A_FILE', message: findings[0]!.message, findings },
  );
  if (created) requestLog(ctx, request).warn({ event: 'received->rejected', reason: 'FILE_NOT_A_FILE', what: read.what, message: findings[0]!.message }, findings[0]!.message);
  // Written again when the row already existed (a crash came before the move): idempotent, no new event.
  await writeRejection(ctx, request, findings);
  try {
    const dest = await archiveEntry(file, ctx.layout.archive, archiveName(ctx, request.id, tenantName, name));
    requestLog(ctx, request).info({ event: 'archived', file: path.basename(dest) }, `${read.what} moved to archive/${path.basename(dest)} without following it`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'skipped', why: 'gone' };
    requestLog(ctx, request).warn({ event: 'intake_skipped', file, what: read.what, err }, `${name} could not be moved to archive/ (${code ?? 'error'}); it is left where it is`);
  }
  return { kind: 'stored', request, created };
}

/** The same request dropped again: nothing is issued; its package (or rejection) is published again. */
function noteRedrop(ctx: PipelineContext, r: StoredRequest, name: string): StoredRequest {
  const republish = r.state === 'packaged' || r.state === 'rejected';
  return ctx.store.note(r.id, {
    reason: 'REDROPPED',
    message: `${name} dropped again (same request, fingerprint ${r.fingerprint.slice(0, 16)}…); ${republish ? 'publishing the existing result again' : `the request is ${r.state}; nothing new is issued`}`,
    actor: 'share',
    republish,
    nextAttemptAt: republish ? null : r.nextAttemptAt,
  });
}
