/**
 * What the server owner sees on the share besides the package: rejected/<FQDN>.txt + .json (+ the original
 * request beside it) and pending/<FQDN>.txt.
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../files/index.js';
import { renderPending, renderRejection } from '../rules/index.js';
import type { Clock, Finding, StoredRequest } from '../domain/index.js';
import type { ShareLayout } from './layout.js';

/** What writing the owner's files needs: where the share's folders are, and the time. */
export interface OwnerFileDeps {
  layout: ShareLayout;
  clock: Clock;
}

/**
 * Written before the state changes to rejected/denied (and written again when the same request is dropped
 * again), so a crash between the two never leaves a rejected request without its explanation.
 */
export async function writeRejection(ctx: OwnerFileDeps, r: StoredRequest, findings: Finding[] = r.findings): Promise<void> {
  const at = ctx.clock.now().toISOString();
  const base = path.join(ctx.layout.rejected, r.fqdn);
  const doc = { fqdn: r.fqdn, requestId: r.id, fingerprint: r.fingerprint, sourceName: r.sourceName, at, findings };
  await writeFileAtomic(`${base}.req`, r.originalBytes);
  await writeFileAtomic(`${base}.json`, JSON.stringify(doc, null, 2) + '\n');
  // The .txt last: it is what people look for, and it appears only once the rest is there.
  await writeFileAtomic(`${base}.txt`, renderRejection({ fqdn: r.fqdn, sourceName: r.sourceName, requestId: r.id, findings, at }));
  await removePending(ctx, r.fqdn);
}

export async function writePending(ctx: OwnerFileDeps, r: StoredRequest, findings: Finding[] = r.findings): Promise<void> {
  await writeFileAtomic(
    path.join(ctx.layout.pending, `${r.fqdn}.txt`),
    renderPending({ fqdn: r.fqdn, sourceName: r.sourceName, requestId: r.id, findings, at: r.createdAt }),
  );
}

/**
 * Delete a file that is usually not there: one unlink, where rm({ force }) costs an lstat and an unlink (these
 * run for every package, bulk bench).
 */
async function removeIfThere(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

export async function removePending(ctx: OwnerFileDeps, fqdn: string): Promise<void> {
  await removeIfThere(path.join(ctx.layout.pending, `${fqdn}.txt`));
}

/** A package for this FQDN supersedes an older rejection of it. */
export async function removeRejection(ctx: OwnerFileDeps, fqdn: string): Promise<void> {
  await Promise.all(['.txt', '.json', '.req'].map((ext) => removeIfThere(path.join(ctx.layout.rejected, `${fqdn}${ext}`))));
}
