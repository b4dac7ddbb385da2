/**
 * The DER of an ExtendedKeyUsage extension value (RFC 5280 §4.2.1.12: `ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX)
 * OF KeyPurposeId`), written to a file for `certutil -setextension <id> 2.5.29.37 0 @<file>`.
 *
 * Why: the classic SCOM INF has no [EnhancedKeyUsageExtension], so certreq puts no EKU in the request and a
 * stand-alone CA has no template to add one; the issued certificate would lack serverAuth/clientAuth (event
 * 20050). The CA side adds it to the pending request before -resubmit (docs/scom-facts.md §8.1, §7 certdog KU example;
 * certutil reads `@file` as binary data or a hex dump).
 */

import { SCOM_EKUS } from '../../pki/index.js';
import { AgentcertError } from '../../domain/index.js';

export const OID_EXT_KEY_USAGE = '2.5.29.37';
/** docs/scom-facts.md §1.1: both Server Authentication and Client Authentication (one list, in services/pki). */
export const [OID_SERVER_AUTH, OID_CLIENT_AUTH] = SCOM_EKUS;
export { SCOM_EKUS };

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER TLV (X.690 §8.1: definite length). */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** OBJECT IDENTIFIER content octets (X.690 §8.19): first two arcs combined, base-128 big-endian arcs. */
export function encodeOid(oid: string): Buffer {
  if (!/^[0-2]\.\d+(\.\d+)*$/.test(oid)) throw new AgentcertError('AC_INTERNAL', `not a dotted OID: ${oid}`);
  const arcs = oid.split('.').map((a) => BigInt(a));
  const out: number[] = [];
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  for (const value of values) {
    const chunk: number[] = [Number(value & 0x7fn)];
    for (let v = value >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** `SEQUENCE OF KeyPurposeId` — the extension *value* (what goes inside the extnValue OCTET STRING). */
export function encodeEkuExtensionValue(oids: readonly string[] = SCOM_EKUS): Buffer {
  if (oids.length === 0) throw new AgentcertError('AC_INTERNAL', 'an EKU extension needs at least one purpose (RFC 5280 §4.2.1.12)');
  return tlv(0x30, Buffer.concat(oids.map(encodeOid)));
}

/** Read the purposes back from an extension value (the fake CA uses this when it honours -setextension). */
export function decodeEkuExtensionValue(der: Buffer): string[] {
  if (der[0] !== 0x30) throw new AgentcertError('AC_DER_MALFORMED', 'EKU value is not a SEQUENCE');
  const { start, length } = readLength(der, 1);
  const oids: string[] = [];
  let p = start;
  while (p < start + length) {
    if (der[p] !== 0x06) throw new AgentcertError('AC_DER_MALFORMED', 'EKU entry is not an OBJECT IDENTIFIER');
    const l = readLength(der, p + 1);
    oids.push(decodeOidContent(der.subarray(l.start, l.start + l.length)));
    p = l.start + l.length;
  }
  return oids;
}

export function readLength(der: Buffer, at: number): { start: number; length: number } {
  const first = der[at];
  if (first === undefined) throw new AgentcertError('AC_DER_MALFORMED', 'truncated DER');
  if (first < 0x80) return { start: at + 1, length: first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[at + 1 + i] ?? 0);
  if (at + 1 + n + length > der.length) throw new AgentcertError('AC_DER_MALFORMED', 'truncated DER');
  return { start: at + 1 + n, length };
}

function decodeOidContent(content: Buffer): string {
  const values: bigint[] = [];
  let v = 0n;
  for (const byte of content) {
    v = (v << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) { values.push(v); v = 0n; }
  }
  const first = values.shift() ?? 0n;
  const a = first < 80n ? first / 40n : 2n;
  return [a, first - a * 40n, ...values].join('.');
}
