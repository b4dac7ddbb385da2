/**
 * Withdrawing a revoked certificate's package: `issued/<FQDN>/` must not keep offering an installable package
 * (or a renewal task a "newer" one) for a certificate the CA has revoked. The folder is moved, whole, to
 * `archive/revoked/<time>-<serial>-<FQDN>/` (kept for the audit, never deleted) and replaced by a folder that
 * holds only REVOKED.txt, which says what happened and what to do. A package of another certificate of the same
 * FQDN (a newer one) is left alone. The renewal task treats a folder without manifest.json as "no new package"
 * (installers/renew-certificate.ps1, Find-NewPackage), so it makes a new request as usual.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath, writeFileSynced } from '../files/index.js';

export const REVOKED_NOTICE = 'REVOKED.txt';

export interface WithdrawInput {
  shareRoot: string;
  fqdn: string;
  serialNumber: string;
  reason: string;
  revokedAt: string;
  actor: string;
}

/** The archive folder the package went to (relative to the share), or null when none of this certificate was published. */
export async function withdrawPackage(w: WithdrawInput): Promise<string | null> {
  const root = path.resolve(w.shareRoot);
  const final = path.join(root, 'issued', w.fqdn);
  const manifest = await readFile(path.join(final, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as { certificate?: { serialNumber?: string } }, () => null);
  if (!manifest?.certificate?.serialNumber || sameSerial(manifest.certificate.serialNumber) !== sameSerial(w.serialNumber)) return null;
  const rel = path.join('archive', 'revoked', `${w.revokedAt.replace(/[:.]/g, '-')}-${w.serialNumber}-${w.fqdn}`);
  const tmp = path.join(root, 'issued', `.tmp-${randomBytes(8).toString('hex')}`);
  await mkdir(tmp);
  try {
    await writeFileSynced(path.join(tmp, REVOKED_NOTICE), noticeText(w, rel));
    await mkdir(path.join(root, 'archive', 'revoked'), { recursive: true });
    await rename(final, path.join(root, rel));
    await rename(tmp, final);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncPath(path.join(root, 'issued'));
  await fsyncPath(path.join(root, 'archive', 'revoked'));
  return rel.split(path.sep).join('/');
}

/** Windows shows a serial with its DER sign byte (a leading 00) where other tools drop it. */
const sameSerial = (hex: string): string => hex.toUpperCase().replace(/^(00)+(?=.)/, '');

function noticeText(w: WithdrawInput, rel: string): string {
  return [
    `The certificate ${w.serialNumber} for ${w.fqdn} was revoked on ${w.revokedAt} (reason: ${w.reason}, by ${w.actor}).`,
    '',
    `Its package was withdrawn from this folder and kept in ${rel.split(path.sep).join('\\')} for the record.`,
    'Do not install it: agents and the CRL treat the certificate as revoked.',
    '',
    'To get a new certificate, make a new request (tools\\request-certificate.ps1) and drop it in requests\\;',
    'its package appears here once it is issued.',
    '',
  ].join('\r\n');
}
