/**
 * Parsers for certutil console output.
 *
 * Every certutil verb ends with `CertUtil: -<verb> command completed successfully.` or
 * `CertUtil: -<verb> command FAILED: 0x… (…)` (vectors/certutil-*.txt). The last line alone is not a verdict:
 * `-verify` reports success for a revoked leaf and `-delstore` exits 0 when nothing matched
 * (vectors/certutil-verify-outcomes.txt, vectors/certutil-delstore-exit-codes.txt; docs/scom-facts.md §6, §8.4).
 */
import { findFailureHresult, HRESULT } from './hresult.js';

export interface CertutilStatus {
  /** The verb as certutil echoed it (`-resubmit`, `-CRL`), lower-cased; null when no status line. */
  verb: string | null;
  ok: boolean;
  hresult: number | null;
  /** The human text certutil prints after a failure (`CertUtil: The RPC server is unavailable.`). */
  message: string;
}

// "CertUtol" is a typo in one transcript's source (vectors/certutil-rpc-unavailable.txt (b)); accept any
// "CertUt?l:" prefix so a typo in a quote cannot hide a failure.
const STATUS_LINE = /^\s*CertUt\w*l:\s*(-[\w.]+)\s+command\s+(completed successfully|FAILED)\b(.*)$/i;
const TRAILING_MESSAGE = /^\s*CertUt\w*l:\s*(?!-[\w.]+\s+command)(.+)$/i;

function nonEmptyLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
}

export function parseCertutilStatus(text: string): CertutilStatus {
  const all = nonEmptyLines(text);
  let verb: string | null = null;
  let ok = false;
  let hresult: number | null = null;
  const extra: string[] = [];
  for (const line of all) {
    const status = STATUS_LINE.exec(line);
    if (status) {
      verb = status[1]!.toLowerCase();
      ok = /completed/i.test(status[2]!);
      hresult = ok ? null : findFailureHresult(status[3]!);
      continue;
    }
    const trailing = TRAILING_MESSAGE.exec(line);
    if (trailing) extra.push(trailing[1]!.trim());
  }
  if (verb === null) hresult = findFailureHresult(text);
  const message = extra.length > 0 ? extra.join(' ') : all.slice(-2).join(' ').trim();
  return { verb, ok, hresult, message };
}

export type ResubmitVerdict = 'issued' | 'pending' | 'denied' | 'not-resubmittable' | 'not-found' | 'error' | 'unknown';

export interface ResubmitResult { verdict: ResubmitVerdict; hresult: number | null; message: string; dispositionCode: number | null }

/**
 * `certutil -resubmit <id>` (vectors/certutil-resubmit-issued.txt). Newer builds add `Request Disposition:
 * 0x14 (20) -- Issued`; the numbers are the CA database dispositions (certsrv.h DB_DISP_*: 9 pending,
 * 20 issued, 21 revoked, 30 error, 31 denied). A request that is no longer pending (already issued) fails with
 * CERTSRV_E_BAD_REQUESTSTATUS — recognized as `not-resubmittable`, not an error; an unknown id yields
 * disposition 0x80094004 with a successful call (MS-CSRA 3.1.4.1.3).
 */
export function parseCertutilResubmit(text: string): ResubmitResult {
  const status = parseCertutilStatus(text);
  const disp = /Request Disposition:\s*0x([0-9a-fA-F]+)(?:\s*\((-?\d+)\))?/i.exec(text);
  const dispositionCode = disp ? Number.parseInt(disp[1]!, 16) : null;
  const dispMessage = /Request Disposition Message:\s*(.+)$/im.exec(text)?.[1]?.trim();
  const message = dispMessage ?? (status.ok ? nonEmptyLines(text)[0]?.trim() ?? '' : status.message);
  if (!status.ok) {
    if (status.hresult === HRESULT.badRequestStatus) return { verdict: 'not-resubmittable', hresult: status.hresult, message, dispositionCode };
    if (status.hresult === HRESULT.propertyEmpty) return { verdict: 'not-found', hresult: status.hresult, message, dispositionCode };
    return { verdict: status.verb === null && status.hresult === null ? 'unknown' : 'error', hresult: status.hresult, message, dispositionCode };
  }
  if (dispositionCode !== null) {
    const verdict: ResubmitVerdict = dispositionCode === 20 ? 'issued' : dispositionCode === 9 ? 'pending'
      : dispositionCode === 31 || dispositionCode === 30 ? 'denied' : dispositionCode === HRESULT.propertyEmpty ? 'not-found'
      : dispositionCode === 21 ? 'not-resubmittable' : 'unknown';
    return { verdict, hresult: null, message, dispositionCode };
  }
  // Older builds print only the first line: "Certificate issued." (same transcript).
  const first = nonEmptyLines(text)[0] ?? '';
  const verdict: ResubmitVerdict = /\bissued\b/i.test(first) ? 'issued' : /\bpending\b|submission/i.test(first) ? 'pending'
    : /\bdenied\b/i.test(first) ? 'denied' : 'unknown';
  return { verdict, hresult: null, message, dispositionCode };
}

export interface PingResult { ok: boolean; hresult: number | null; message: string }

/** `certutil -config <CA> -ping` (vectors/certutil-rpc-unavailable.txt (a)). */
export function parseCertutilPing(text: string): PingResult {
  const status = parseCertutilStatus(text);
  const all = nonEmptyLines(text);
  const server = all.find((l) => /Server could not be reached|interface is alive/i.test(l));
  const message = status.ok ? (server ?? all[0] ?? 'CA answered').trim() : (status.message || server?.trim() || 'no answer');
  return { ok: status.ok && status.verb === '-ping', hresult: status.ok ? null : status.hresult ?? findFailureHresult(text), message };
}

export interface CaCertResult {
  ok: boolean;
  /** The `CA cert[n]: <state> -- <Text>` status lines, e.g. `{ index: 0, state: 3, text: 'Valid' }`. */
  states: { index: number; state: number; text: string }[];
  /** PEM blocks printed to the console (the file argument holds the DER). */
  pemCertificates: Buffer[];
  /** PowerShell parsed `-ca.cert` as `-CA` ("Expected no more than 1 args" / "Too many arguments"). */
  wrongVerb: boolean;
  hresult: number | null;
  message: string;
}

/** `certutil -ca.cert <file>` / `-ca.chain <file>` (vectors/certutil-ca-cert.txt). */
export function parseCertutilCaCert(text: string): CaCertResult {
  const status = parseCertutilStatus(text);
  const states = [...text.matchAll(/CA cert\[(\d+)\]:\s*(\d+)\s*--\s*(.+?)\s*$/gm)]
    .map((m) => ({ index: Number(m[1]), state: Number(m[2]), text: m[3]! }));
  const pemCertificates = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)]
    .map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  const wrongVerb = /Too many arguments|Expected no more than/i.test(text) || status.verb === '-ca';
  const ok = status.ok && (status.verb === '-ca.cert' || status.verb === '-ca.chain');
  return { ok, states, pemCertificates, wrongVerb, hresult: status.hresult, message: status.message };
}

export type VerifyVerdict = 'valid' | 'revoked' | 'untrusted-root' | 'incomplete-chain' | 'expired' | 'failed' | 'unknown';

export interface VerifyResult { verdict: VerifyVerdict; revocationReason: number | null; hresult: number | null; message: string }

/**
 * `certutil -verify <cert>`: the body decides, not the last line (vectors/certutil-verify-outcomes.txt:
 * a revoked leaf still ends "completed successfully").
 */
export function parseCertutilVerify(text: string): VerifyResult {
  const status = parseCertutilStatus(text);
  const reason = /REVOKED \(Reason=(\d+)\)/i.exec(text);
  const revocationReason = reason ? Number(reason[1]) : null;
  const hresult = status.hresult ?? findFailureHresult(text);
  let verdict: VerifyVerdict;
  if (/Certificate is REVOKED|CERT_TRUST_IS_REVOKED|CRYPT_E_REVOKED/i.test(text)) verdict = 'revoked';
  else if (/UNTRUSTED root|CERT_TRUST_IS_UNTRUSTED_ROOT|CERT_E_UNTRUSTEDROOT/i.test(text)) verdict = 'untrusted-root';
  else if (/Incomplete certificate chain|CERT_TRUST_IS_PARTIAL_CHAIN/i.test(text)) verdict = 'incomplete-chain';
  else if (/Expired certificate|CERT_TRUST_IS_NOT_TIME_VALID/i.test(text)) verdict = 'expired';
  else if (!status.ok && status.verb !== null) verdict = 'failed';
  else if (status.ok && /dwErrorStatus=0\b|revocation check passed|completed successfully/i.test(text)) verdict = 'valid';
  else verdict = 'unknown';
  const body = nonEmptyLines(text).filter((l) => !STATUS_LINE.test(l));
  const message = verdict === 'valid' ? 'chain verified' : (body.find((l) => /REVOKED|UNTRUSTED|Incomplete|Expired|FAILED|ERROR/i.test(l))?.trim() ?? status.message);
  return { verdict, revocationReason, hresult, message };
}

export interface StoreQueryResult { present: boolean | null; storeMissing: boolean; hresult: number | null; message: string }

/**
 * `certutil -store <store> <thumbprint>` and `-delstore` (vectors/certutil-delstore-exit-codes.txt): `-store`
 * exits 0 when the certificate is there and 17 (NTE_NOT_FOUND) when not; `-delstore` exits 0 whether or not
 * anything was deleted, so `present` is null for it; a missing store fails with 0x80070002.
 */
export function parseCertutilStoreQuery(text: string, exitCode: number | null): StoreQueryResult {
  const status = parseCertutilStatus(text);
  const hresult = status.hresult;
  const storeMissing = hresult === HRESULT.fileNotFound;
  let present: boolean | null = null;
  if (status.verb === '-store') {
    if (status.ok && exitCode === 0) present = true;
    else if (hresult === HRESULT.nteNotFound || exitCode === 17) present = false;
  }
  return { present, storeMissing, hresult, message: status.message };
}

export interface AddstoreResult { ok: boolean; store: string | null; addedSubject: string | null; hresult: number | null; message: string }

/** `certutil -addstore root <file>` (vectors/certutil-addstore-root.txt); "Signature matches" is optional. */
export function parseCertutilAddstore(text: string): AddstoreResult {
  const status = parseCertutilStatus(text);
  const store = /^\s*(\S+)\s+"[^"]+"\s*$/m.exec(text)?.[1] ?? null;
  const added = /Certificate "(.*)" added to store\./.exec(text)?.[1] ?? null;
  return { ok: status.ok && status.verb === '-addstore', store, addedSubject: added, hresult: status.hresult, message: status.message };
}
