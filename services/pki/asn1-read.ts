/**
 * Reading ASN.1 with node-forge's ASN.1 layer, defensively: every request byte comes from an untrusted share,
 * so each accessor checks the shape it expects and throws a plain Error the callers turn into
 * AC_NOT_A_REQUEST. forge's `fromDer` is called with decodeBitStrings off: a BIT STRING holding a signature or
 * a key must stay bytes, not be guessed at as nested ASN.1.
 */
import forge from 'node-forge';
import { AgentcertError } from '../domain/index.js';

export type Asn1 = forge.asn1.Asn1;
const { Class, Type } = forge.asn1;

export const UNIVERSAL = Class.UNIVERSAL;
export const CONTEXT = Class.CONTEXT_SPECIFIC;
export { Type };

/** Parse DER into forge's tree; strict lengths, trailing bytes allowed only when asked. */
export function parseDer(der: Buffer, parseAllBytes = true): Asn1 {
  const options = { strict: true, parseAllBytes, decodeBitStrings: false };
  // forge's typings declare fromDer(bytes, strict?: boolean); the implementation also takes an options object.
  return Reflect.apply(forge.asn1.fromDer, forge.asn1, [der.toString('binary'), options]) as Asn1;
}

export function toDer(node: Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
}

export function children(node: Asn1 | undefined, what = 'a constructed value'): Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new AgentcertError('AC_DER_MALFORMED', `expected ${what}`);
  return node.value;
}

/** The n-th child, with the universal type (or context tag) checked when given. */
export function child(node: Asn1 | undefined, index: number, type?: number, tagClass = UNIVERSAL): Asn1 {
  const c = children(node)[index];
  if (!c) throw new AgentcertError('AC_DER_MALFORMED', `missing element ${index}`);
  if (type !== undefined && (c.type !== type || c.tagClass !== tagClass)) {
    throw new AgentcertError('AC_DER_MALFORMED', `element ${index}: expected tag ${type}, found ${c.type}`);
  }
  return c;
}

export function bytesOf(node: Asn1 | undefined): Buffer {
  if (!node || typeof node.value !== 'string') throw new AgentcertError('AC_DER_MALFORMED', 'expected a primitive value');
  return Buffer.from(node.value, 'binary');
}

export function oidOf(node: Asn1 | undefined): string {
  if (!node || node.type !== Type.OID || node.tagClass !== UNIVERSAL) throw new AgentcertError('AC_DER_MALFORMED', 'expected an OBJECT IDENTIFIER');
  return forge.asn1.derToOid(node.value as string);
}

/** INTEGER as a JS number (small values only: client ids, keySpec, versions). */
export function smallIntOf(node: Asn1 | undefined): number {
  const b = bytesOf(node);
  if (b.length === 0 || b.length > 6) throw new AgentcertError('AC_DER_MALFORMED', 'INTEGER out of range');
  return b.readIntBE(0, b.length);
}

export function bigIntOf(node: Asn1 | undefined): bigint {
  const b = bytesOf(node);
  if (b.length === 0) throw new AgentcertError('AC_DER_MALFORMED', 'empty INTEGER');
  let v = BigInt(`0x${b.toString('hex')}`);
  if (b[0]! & 0x80) v -= 1n << BigInt(b.length * 8);
  return v;
}

/**
 * Text of any ASN.1 string type. forge already decodes a BMPString (UTF-16BE: MS CSP and template names) into
 * a JS string of code units, so its value is returned as is; UTF8String is UTF-8, the rest single-byte.
 */
export function textOf(node: Asn1 | undefined): string {
  if (node?.type === Type.BMPSTRING && node.tagClass === UNIVERSAL && typeof node.value === 'string') return node.value;
  const b = bytesOf(node);
  if (node!.type === Type.UTF8 || (node!.type as number) === 28 /* UniversalString, rare */) return b.toString('utf8');
  return b.toString('latin1');
}

/** BIT STRING content without the unused-bits octet. */
export function bitStringBytes(node: Asn1 | undefined): { unused: number; bytes: Buffer } {
  if (!node || node.type !== Type.BITSTRING) throw new AgentcertError('AC_DER_MALFORMED', 'expected a BIT STRING');
  const b = bytesOf(node);
  if (b.length === 0) throw new AgentcertError('AC_DER_MALFORMED', 'empty BIT STRING');
  return { unused: b[0]!, bytes: b.subarray(1) };
}

/** UTCTime / GeneralizedTime → Date (RFC 5280 §4.1.2.5). */
export function timeOf(node: Asn1 | undefined): Date {
  if (!node) throw new AgentcertError('AC_DER_MALFORMED', 'missing time');
  const s = bytesOf(node).toString('latin1');
  const d = node.type === Type.UTCTIME ? forge.asn1.utcTimeToDate(s) : forge.asn1.generalizedTimeToDate(s);
  if (Number.isNaN(d.getTime())) throw new AgentcertError('AC_DER_MALFORMED', `bad time ${s}`);
  return d;
}

// ---- builders -------------------------------------------------------------------------------------------

export const seqOf = (items: Asn1[]): Asn1 => forge.asn1.create(UNIVERSAL, Type.SEQUENCE, true, items);
export const setOf = (items: Asn1[]): Asn1 => forge.asn1.create(UNIVERSAL, Type.SET, true, items);
export const oidNode = (oid: string): Asn1 => forge.asn1.create(UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(oid).getBytes());
export const nullNode = (): Asn1 => forge.asn1.create(UNIVERSAL, Type.NULL, false, '');
export const boolNode = (v: boolean): Asn1 => forge.asn1.create(UNIVERSAL, Type.BOOLEAN, false, v ? '\xff' : '\x00');
export const octetNode = (b: Buffer): Asn1 => forge.asn1.create(UNIVERSAL, Type.OCTETSTRING, false, b.toString('binary'));
export const bitStringNode = (b: Buffer, unused = 0): Asn1 =>
  forge.asn1.create(UNIVERSAL, Type.BITSTRING, false, String.fromCharCode(unused) + b.toString('binary'));
export const utf8Node = (s: string): Asn1 => forge.asn1.create(UNIVERSAL, Type.UTF8, false, Buffer.from(s, 'utf8').toString('binary'));
export const ia5Node = (s: string): Asn1 => forge.asn1.create(UNIVERSAL, Type.IA5STRING, false, s);
export const printableNode = (s: string): Asn1 => forge.asn1.create(UNIVERSAL, Type.PRINTABLESTRING, false, s);
export const contextNode = (tag: number, constructed: boolean, value: Asn1[] | string): Asn1 =>
  forge.asn1.create(CONTEXT, tag, constructed, value);

/** forge encodes a BMPString from a JS string itself (one 16-bit code unit per char). */
export const bmpNode = (s: string): Asn1 => forge.asn1.create(UNIVERSAL, Type.BMPSTRING, false, s);

/** INTEGER from unsigned big-endian bytes, adding the 00 sign octet DER needs when the top bit is set. */
export function intNodeFromBytes(b: Buffer): Asn1 {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && !(b[i + 1]! & 0x80)) i++;
  let v = b.subarray(i);
  if (v.length === 0) v = Buffer.from([0]);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return forge.asn1.create(UNIVERSAL, Type.INTEGER, false, v.toString('binary'));
}

export function intNode(n: number | bigint): Asn1 {
  let hex = BigInt(n).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return intNodeFromBytes(Buffer.from(hex, 'hex'));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; always Z, seconds, no fractions. */
export function timeNode(d: Date): Asn1 {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = d.getUTCFullYear();
  if (year >= 1950 && year < 2050) return forge.asn1.create(UNIVERSAL, Type.UTCTIME, false, `${digits.slice(2)}Z`);
  return forge.asn1.create(UNIVERSAL, Type.GENERALIZEDTIME, false, `${digits}Z`);
}
