/**
 * What the server owner sees on the share besides the package: rejected/<FQDN>.txt + .json (+ the original
 * request beside it) for a rejection, a denial or a refused certificate, and pending/<FQDN>.txt.
 *
 * Owner files are per request: each .txt names its request ("Request id : …", rules/owner-report.ts), and an
 * outcome for one request never removes or overwrites another request's file. When another request's file
 * already has the name, this one is written as `<FQDN>.<request id>.txt` beside it (a junk file named after a
 * held host cannot delete that host's pending file or replace a real rejection; README "Trust model").
 */
import { readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../files/index.js';
import { renderPending, renderRefusal, renderRejection, type RefusalText } from '../rules/index.js';
import type { Clock, Finding, StoredRequest } from '../domain/index.js';
import type { ShareLayout } from './layout.js';

/** What writing the owner's files needs: where the share's folders are, and the time. */
export interface OwnerFileDeps {
  layout: ShareLayout;
  clock: Clock;
}

type OwnerDir = 'rejected' | 'pending';
type RequestRef = Pick<StoredRequest, 'id' | 'fqdn'>;

/** The request id a .txt owner file names; null when there is no such file, '' when it names none (hand-made). */
async function ownerOf(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return /^Request id\s*:\s*(\S+)/m.exec(text)?.[1] ?? '';
}

/** The stem this request's file is written under: `<stem>` when free or already its own, else `<stem>.<id>`. */
async function claimStem(ctx: OwnerFileDeps, dir: OwnerDir, stem: string, id: string): Promise<string> {
  const owner = await ownerOf(path.join(ctx.layout[dir], `${stem}.txt`));
  return owner === null || owner === id ? stem : `${stem}.${id}`;
}

/**
 * Written before the state changes to rejected/denied (and written again when the same request is dropped
 * again), so a crash between the two never leaves a rejected request without its explanation. `stem` is the
 * name the owner used when it is not the request's FQDN (a re-drop under another name).
 */
export async function writeRejection(ctx: OwnerFileDeps, r: StoredRequest, findings: Finding[] = r.findings, stem: string = r.fqdn): Promise<string> {
  const at = ctx.clock.now().toISOString();
  const name = await claimStem(ctx, 'rejected', stem, r.id);
  const base = path.join(ctx.layout.rejected, name);
  const doc = { fqdn: r.fqdn, requestId: r.id, fingerprint: r.fingerprint, sourceName: r.sourceName, at, findings };
  await writeFileAtomic(`${base}.req`, r.originalBytes);
  await writeFileAtomic(`${base}.json`, JSON.stringify(doc, null, 2) + '\n');
  // The .txt last: it is what people look for, and it appears only once the rest is there.
  await writeFileAtomic(`${base}.txt`, renderRejection({ fqdn: r.fqdn, sourceName: r.sourceName, requestId: r.id, findings, at }));
  if (stem === r.fqdn) await removePending(ctx, r);
  return `${name}.txt`;
}

/**
 * A certificate the CA signed and the verify gate refused (lifecycle/refusal.ts): what the CA issued, why it was
 * refused, whether it was revoked, and the fix — written before the request becomes `refused`.
 */
export async function writeRefusal(ctx: OwnerFileDeps, r: StoredRequest, text: Omit<RefusalText, 'fqdn' | 'sourceName' | 'requestId' | 'at'>): Promise<string> {
  const at = ctx.clock.now().toISOString();
  const name = await claimStem(ctx, 'rejected', r.fqdn, r.id);
  const base = path.join(ctx.layout.rejected, name);
  const doc = { fqdn: r.fqdn, requestId: r.id, fingerprint: r.fingerprint, sourceName: r.sourceName, at, outcome: 'refused', certificate: text.certificate, revocation: text.revocation, findings: text.findings };
  await writeFileAtomic(`${base}.req`, r.originalBytes);
  await writeFileAtomic(`${base}.json`, JSON.stringify(doc, null, 2) + '\n');
  await writeFileAtomic(`${base}.txt`, renderRefusal({ fqdn: r.fqdn, sourceName: r.sourceName, requestId: r.id, at, ...text }));
  await removePending(ctx, r);
  return `${name}.txt`;
}

export async function writePending(ctx: OwnerFileDeps, r: StoredRequest, findings: Finding[] = r.findings): Promise<void> {
  const name = await claimStem(ctx, 'pending', r.fqdn, r.id);
  await writeFileAtomic(
    path.join(ctx.layout.pending, `${name}.txt`),
    renderPending({ fqdn: r.fqdn, sourceName: r.sourceName, requestId: r.id, findings, at: r.createdAt }),
  );
}

/**
 * Delete a file that is usually not there: one unlink, where rm({ force }) costs an lstat and an unlink (these
 * run for every package, bulk bench). True when it was there.
 */
async function removeIfThere(file: string): Promise<boolean> {
  return unlink(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      return false;
    },
  );
}

/** Remove this request's own files in one folder: `<stem>.txt` only when it names this request, and `<stem>.<id>.*`. */
async function removeOwn(ctx: OwnerFileDeps, dir: OwnerDir, r: RequestRef, exts: readonly string[]): Promise<void> {
  const folder = ctx.layout[dir];
  if ((await ownerOf(path.join(folder, `${r.fqdn}.txt`))) === r.id) {
    await Promise.all(exts.map((ext) => removeIfThere(path.join(folder, `${r.fqdn}${ext}`))));
  }
  if (await removeIfThere(path.join(folder, `${r.fqdn}.${r.id}.txt`))) {
    await Promise.all(exts.filter((e) => e !== '.txt').map((ext) => removeIfThere(path.join(folder, `${r.fqdn}.${r.id}${ext}`))));
  }
}

/** The request's pending file goes away (approved, denied, rejected, packaged); another request's stays. */
export async function removePending(ctx: OwnerFileDeps, r: RequestRef): Promise<void> {
  await removeOwn(ctx, 'pending', r, ['.txt']);
}

/** A package for this request supersedes its own earlier rejection (a re-run after a transient failure). */
export async function removeRejection(ctx: OwnerFileDeps, r: RequestRef): Promise<void> {
  await removeOwn(ctx, 'rejected', r, ['.txt', '.json', '.req']);
}
