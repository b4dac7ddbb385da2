/**
 * Whether a certificate given to `agentcert verify` is revoked: by agentcert's own records (the store, when the
 * command runs where the service keeps it) and by CRLs given with `--crl FILE` (RFC 5280 §6.3: a CRL counts only
 * when its issuer is the certificate's issuer, its signature verifies with that CA's key, and it is not past its
 * nextUpdate). One check, `not-revoked`, that fails for a revoked certificate, so verify exits non-zero.
 */
import { describeCertificate, parseCrl, type ChainCheck, type ParsedCrl } from '../pki/index.js';

export interface RevocationSources {
  /** The store's record of this serial, when one is known. */
  recorded: { state: string; revokedAt: string | null; reason: string | null } | null;
  /** Did the caller have a store to ask (false: the record above means nothing). */
  storeAsked: boolean;
  crls: { name: string; bytes: Buffer }[];
  /** CA certificates that may have signed a CRL (the chain given, the built-in CA's). */
  caCertificates: Buffer[];
}

const bareSerial = (hex: string): string => hex.toUpperCase().replace(/^(00)+(?=.)/, '');

function crlVerdict(leaf: { serialNumber: string; issuer: string }, file: { name: string; bytes: Buffer }, cas: Buffer[], at: Date): ChainCheck | 'not-listed' {
  let crl: ParsedCrl;
  try {
    crl = parseCrl(file.bytes);
  } catch (err) {
    return { rule: 'not-revoked', passed: false, message: `${file.name} is not a CRL (${(err as Error).message})` };
  }
  if (crl.issuer !== leaf.issuer) return { rule: 'not-revoked', passed: false, message: `${file.name} is issued by ${crl.issuer}, not by the certificate's issuer ${leaf.issuer}` };
  const signer = cas.find((der) => describeCertificate(der).subject === crl.issuer && crl.signatureValidWith(der));
  if (!signer) return { rule: 'not-revoked', passed: false, message: `the signature of ${file.name} does not verify with a CA certificate of ${crl.issuer} (pass it with --chain)` };
  if (crl.nextUpdate && crl.nextUpdate.getTime() < at.getTime()) return { rule: 'not-revoked', passed: false, message: `${file.name} is out of date (nextUpdate ${crl.nextUpdate.toISOString()}): get the current CRL` };
  const entry = crl.entries.find((e) => bareSerial(e.serialHex) === bareSerial(leaf.serialNumber));
  if (entry) return { rule: 'not-revoked', passed: false, message: `REVOKED on ${entry.revokedAt.toISOString()} (${entry.reason ?? 'unspecified'}) according to ${file.name} (CRL ${crl.crlNumber ?? '?'})` };
  return 'not-listed';
}

export function revocationChecks(leafDer: Buffer, s: RevocationSources, at: Date): ChainCheck[] {
  const leaf = describeCertificate(leafDer);
  const checks: ChainCheck[] = [];
  if (s.recorded?.state === 'revoked') {
    checks.push({ rule: 'not-revoked', passed: false, message: `REVOKED on ${s.recorded.revokedAt ?? '?'} (${s.recorded.reason ?? 'unspecified'}) according to agentcert's records` });
  }
  const listedNowhere: string[] = [];
  for (const f of s.crls) {
    const v = crlVerdict(leaf, f, s.caCertificates, at);
    if (v === 'not-listed') listedNowhere.push(f.name);
    else checks.push(v);
  }
  if (checks.length === 0) {
    const sources = [...(s.storeAsked ? ["agentcert's records"] : []), ...listedNowhere];
    checks.push({ rule: 'not-revoked', passed: true, message: sources.length ? `not revoked according to ${sources.join(', ')}` : 'not checked: no store here and no --crl given' });
  }
  return checks;
}
