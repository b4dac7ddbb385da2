/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) without forge's RSA-only key reader: the algorithm comes from the
 * AlgorithmIdentifier OID through forge's ASN.1 layer, so EC (RFC 5480) and DSA (RFC 3279 §2.3.2) keys from
 * CertEnroll/certreq are named instead of crashing the parser. node:crypto gives the KeyObject for verifying.
 */
import { createPublicKey, createHash, type KeyObject } from 'node:crypto';
import { type Asn1, parseDer, child, children, oidOf, bitStringBytes, bytesOf, Type } from './asn1-read.js';
import { OID, CURVES } from './oids.js';

export interface KeyDescription { algorithm: string; bits: number | null; curve?: string }

function integerBits(node: Asn1): number | null {
  const b = bytesOf(node);
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

/** Name and size of the key in an SPKI node; unknown algorithms come back as their OID. */
export function describeSpki(spki: Asn1): KeyDescription {
  const algId = child(spki, 0, Type.SEQUENCE);
  const oid = oidOf(child(algId, 0));
  const keyBits = bitStringBytes(child(spki, 1));
  if (oid === OID.rsaEncryption || oid === OID.rsassaPss) {
    let bits: number | null = null;
    try { bits = integerBits(child(parseDer(keyBits.bytes), 0, Type.INTEGER)); } catch { bits = null; }
    return { algorithm: 'RSA', bits };
  }
  if (oid === OID.ecPublicKey) {
    const params = children(algId)[1];
    const curveOid = params && params.type === Type.OID ? oidOf(params) : null;
    const curve = curveOid ? CURVES[curveOid] : undefined;
    return { algorithm: 'EC', bits: curve?.bits ?? null, curve: curve?.name ?? curveOid ?? undefined };
  }
  if (oid === OID.dsa) {
    const params = children(algId)[1];
    const p = params && Array.isArray(params.value) ? params.value[0] : undefined;
    return { algorithm: 'DSA', bits: p && p.type === Type.INTEGER ? integerBits(p) : null };
  }
  if (oid === OID.ed25519) return { algorithm: 'Ed25519', bits: 256 };
  if (oid === OID.ed448) return { algorithm: 'Ed448', bits: 456 };
  return { algorithm: oid, bits: null };
}

/** node:crypto public key from SPKI DER, or null when OpenSSL cannot read it (unknown algorithm, bad params). */
export function publicKeyObject(spkiDer: Buffer): KeyObject | null {
  try {
    return createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value (without the unused-bits octet). */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const bits = bitStringBytes(child(parseDer(spkiDer), 1));
  return createHash('sha1').update(bits.bytes).digest();
}
