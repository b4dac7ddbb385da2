/**
 * Per-request work files for certreq/certutil: workDir/<fingerprint>/{request.req, eku.der, san.der, issued.cer}.
 * They are kept until the certificate is issued, so a restart can look at what was sent.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { AgentcertError } from '../../domain/index.js';
import path from 'node:path';
import { encodeEkuExtensionValue } from './eku-extension.js';
import { encodeSanExtensionValue } from './san-extension.js';
import { fileBytesToDer } from './ca-chain.js';

export interface RequestWorkFiles {
  dir: string;
  requestFile: string;
  certFile: string;
  ekuFile: string;
  /** The SubjectAltName the policy allowed (san-extension.ts), for -setextension on the pending request. */
  sanFile: string;
}

export async function prepareWorkFiles(workDir: string, fingerprint: string, csrPem: string, dnsNames: readonly string[]): Promise<RequestWorkFiles> {
  // The fingerprint is SHA-256 hex from our own store; anything else would be a bug, never a path.
  if (!/^[0-9a-fA-F]{16,128}$/.test(fingerprint)) throw new AgentcertError('AC_INTERNAL', `not a request fingerprint: ${fingerprint}`);
  const dir = path.join(workDir, fingerprint.toLowerCase());
  await mkdir(dir, { recursive: true });
  const files = { dir, requestFile: path.join(dir, 'request.req'), certFile: path.join(dir, 'issued.cer'), ekuFile: path.join(dir, 'eku.der'), sanFile: path.join(dir, 'san.der') };
  // certreq writes CRLF PEM itself (docs/scom-facts.md §5); it reads either line ending.
  await writeFile(files.requestFile, csrPem.replace(/\r?\n/g, '\r\n'));
  await writeFile(files.ekuFile, encodeEkuExtensionValue());
  await writeFile(files.sanFile, encodeSanExtensionValue(dnsNames));
  return files;
}

/** certreq asks before overwriting an existing output file (or fails under -q); start each call without one. */
export async function clearCertFile(files: RequestWorkFiles): Promise<void> {
  await rm(files.certFile, { force: true });
}

/** The certificate certreq wrote (Base64 with or without PEM armour, or DER with -binary), or null. */
export async function readIssuedCertificate(files: RequestWorkFiles): Promise<Buffer | null> {
  const bytes = await readFile(files.certFile).catch(() => null);
  if (!bytes || bytes.length === 0) return null;
  return fileBytesToDer(bytes)[0] ?? null;
}

export async function removeWorkFiles(files: RequestWorkFiles): Promise<void> {
  await rm(files.dir, { recursive: true, force: true });
}

/** An extension value for `certutil -setextension … @file`, in workDir/ext/<RequestId>-<OID>.der. */
export async function writeExtensionFile(workDir: string, caRequestId: string, oid: string, valueDer: Buffer): Promise<string> {
  if (!/^(\d{1,10}|0x[0-9a-fA-F]{1,8})$/.test(caRequestId) || !/^[0-2](\.\d+)+$/.test(oid)) {
    throw new AgentcertError('AC_INTERNAL', `not an AD CS RequestId and OID: ${caRequestId} ${oid}`);
  }
  const dir = path.join(workDir, 'ext');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${caRequestId}-${oid}.der`);
  await writeFile(file, valueDer);
  return file;
}

/**
 * Set when this request is submitted again after a submit that ended without a RequestId and was not found at the
 * CA: the first one may still land there late, so once the request is issued the CA is asked once more
 * (adcs-backend.ts sweepLateDuplicates). Kept in the work folder, so a restart keeps it.
 */
export async function markSubmittedAfterTimeout(files: RequestWorkFiles): Promise<void> {
  await writeFile(path.join(files.dir, 'submitted-after-timeout'), '');
}

export async function wasSubmittedAfterTimeout(files: RequestWorkFiles): Promise<boolean> {
  return readFile(path.join(files.dir, 'submitted-after-timeout')).then(() => true, () => false);
}
