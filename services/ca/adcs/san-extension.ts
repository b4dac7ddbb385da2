/**
 * The DER of a SubjectAltName extension value holding DNS names only (RFC 5280 §4.2.1.6: `SubjectAltName ::=
 * GeneralNames`, `GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName`, `dNSName [2] IA5String` — context tag 2,
 * primitive: 0x82), written to a file for `certutil -setextension <id> 2.5.29.17 0 @san.der`.
 *
 * Why: a stand-alone CA copies the request's SAN into the certificate (it has no template to replace it), and the
 * request may ask for names the policy does not allow (README "Names in a certificate"). Setting the extension on
 * the pending request before `-resubmit` makes the AD CS certificate carry exactly the names the built-in CA would
 * write. certutil reads `@file` as binary data (certutil -setextension syntax,
 * https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/certutil#-setextension).
 */
import { readLength, tlv } from './eku-extension.js';

export const OID_EXT_SUBJECT_ALT_NAME = '2.5.29.17';

/** A DNS name as RFC 5280 §4.2.1.6 allows it in a dNSName: IA5 (ASCII) letters, digits, hyphens and dots. */
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `SEQUENCE OF [2] IA5String` — the extension *value* (what goes inside the extnValue OCTET STRING). */
export function encodeSanExtensionValue(dnsNames: readonly string[]): Buffer {
  if (dnsNames.length === 0) throw new Error('a SubjectAltName needs at least one name (RFC 5280 §4.2.1.6)');
  for (const n of dnsNames) if (!DNS_NAME.test(n)) throw new Error(`not a DNS name for a SubjectAltName: ${JSON.stringify(n)}`);
  return tlv(0x30, Buffer.concat(dnsNames.map((n) => tlv(0x82, Buffer.from(n, 'ascii')))));
}

/** Read the DNS names back (the fake CA uses this when it honours -setextension); other GeneralNames throw. */
export function decodeSanExtensionValue(der: Buffer): string[] {
  if (der[0] !== 0x30) throw new Error('SubjectAltName value is not a SEQUENCE');
  const { start, length } = readLength(der, 1);
  const names: string[] = [];
  let p = start;
  while (p < start + length) {
    const tag = der[p];
    const l = readLength(der, p + 1);
    if (tag !== 0x82) throw new Error(`SubjectAltName entry with tag 0x${(tag ?? 0).toString(16)} is not a dNSName`);
    names.push(der.subarray(l.start, l.start + l.length).toString('ascii'));
    p = l.start + l.length;
  }
  return names;
}
