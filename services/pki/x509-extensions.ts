/** Builders for the X.509 v3 extensions this CA writes (RFC 5280 §4.2.1). DER: a FALSE critical flag is omitted. */
import {
  type Asn1, seqOf, oidNode, boolNode, octetNode, bitStringNode, intNode, contextNode, ia5Node, toDer,
} from './asn1-read.js';
import { OID, KEY_USAGE_NAMES } from './oids.js';

export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];

export function extension(oid: string, critical: boolean, value: Asn1): Asn1 {
  const parts = [oidNode(oid)];
  if (critical) parts.push(boolNode(true));
  parts.push(octetNode(toDer(value)));
  return seqOf(parts);
}

/** KeyUsage BIT STRING with trailing zero bits dropped, as DER requires for named bit lists (X.690 §11.2.2). */
export function keyUsageExtension(names: KeyUsageName[]): Asn1 {
  const bits = names.map((n) => KEY_USAGE_NAMES.indexOf(n));
  const bytes = Buffer.alloc(Math.max(...bits) >= 8 ? 2 : 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const last = Math.max(...bits);
  const unused = 7 - (last & 7);
  return extension(OID.keyUsage, true, bitStringNode(bytes, unused));
}

export function basicConstraintsExtension(ca: boolean, pathLen?: number): Asn1 {
  const parts: Asn1[] = [];
  if (ca) parts.push(boolNode(true));
  if (ca && pathLen !== undefined) parts.push(intNode(pathLen));
  return extension(OID.basicConstraints, true, seqOf(parts));
}

export const extKeyUsageExtension = (oids: string[]): Asn1 => extension(OID.extKeyUsage, false, seqOf(oids.map(oidNode)));

export const subjectKeyIdExtension = (keyId: Buffer): Asn1 => extension(OID.subjectKeyId, false, octetNode(keyId));

export const authorityKeyIdExtension = (keyId: Buffer): Asn1 =>
  extension(OID.authorityKeyId, false, seqOf([contextNode(0, false, keyId.toString('binary'))]));

export const dnsSanExtension = (names: string[]): Asn1 =>
  extension(OID.subjectAltName, false, seqOf(names.map((n) => contextNode(2, false, n))));

/** CRLDistributionPoints with one fullName URI (RFC 5280 §4.2.1.13). */
export function crlDistributionPointExtension(uri: string): Asn1 {
  const fullName = contextNode(0, true, [contextNode(6, false, ia5Node(uri).value as string)]);
  return extension(OID.crlDistributionPoints, false, seqOf([seqOf([contextNode(0, true, [fullName])])]));
}
