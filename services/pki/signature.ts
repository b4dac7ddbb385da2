/**
 * Every signature is made and checked with node:crypto (OpenSSL); forge only lays out the bytes.
 * forge's pure-JS RSA is ~50× slower and reads RSA keys only (docs/architecture.md "Dependencies, and why").
 */
import { sign, verify, constants, type KeyObject } from 'node:crypto';
import { type Asn1, child, children, oidOf, bitStringBytes, seqOf, oidNode, nullNode, Type } from './asn1-read.js';
import { SIGNATURE_ALGORITHMS, HASH_OIDS, OID } from './oids.js';
import { AgentcertError } from '../domain/index.js';

export function signatureAlgorithmName(oid: string): string {
  return SIGNATURE_ALGORITHMS[oid]?.name ?? oid;
}

/** RSASSA-PSS-params (RFC 4055 §3.1): hash [0], saltLength [2]; defaults SHA-1 / 20. */
function pssParams(algId: Asn1): { hash: string; saltLength: number } {
  let hash = 'sha1';
  let saltLength = 20;
  const params = children(algId)[1];
  if (params && Array.isArray(params.value)) {
    for (const p of params.value) {
      const inner = Array.isArray(p.value) ? p.value[0] : undefined;
      if (p.type === 0 && inner) hash = HASH_OIDS[oidOf(child(inner, 0))] ?? 'unknown';
      if (p.type === 2 && inner && typeof inner.value === 'string') saltLength = Buffer.from(inner.value, 'binary').readUIntBE(0, Math.min(inner.value.length, 4));
    }
  }
  return { hash, saltLength };
}

/**
 * Check `signature` (a BIT STRING node) over `data` with node:crypto. Returns false, never throws, for
 * a wrong signature, an unknown algorithm or a key type that does not match the algorithm.
 */
export function verifySignature(algId: Asn1, data: Buffer, signatureNode: Asn1, key: KeyObject | null): boolean {
  if (!key) return false;
  try {
    const oid = oidOf(child(algId, 0, Type.OID));
    const sig = bitStringBytes(signatureNode);
    if (sig.unused !== 0) return false;
    if (oid === OID.rsassaPss) {
      const { hash, saltLength } = pssParams(algId);
      return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, sig.bytes);
    }
    const alg = SIGNATURE_ALGORITHMS[oid];
    if (!alg) return false;
    const keyType = key.asymmetricKeyType?.toUpperCase().replace('ED25519', 'Ed25519');
    if (keyType !== alg.key) return false;
    // RFC 4055 §5 / RFC 3279 §2.2: PKCS#1 v1.5 algorithms take NULL or absent parameters, ECDSA and DSA none.
    // Anything else is a changed envelope (the AlgorithmIdentifier is outside the signed bytes): not valid.
    const params = children(algId)[1];
    if (params && !(alg.key === 'RSA' && params.type === Type.NULL && params.tagClass === 0 && (params.value === '' || params.value == null))) return false;
    if (alg.key === 'RSA') return verify(alg.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig.bytes);
    // ECDSA and DSA signatures are DER Ecdsa-Sig-Value / Dss-Sig-Value (RFC 3279 §2.2.2, §2.2.3): node's default.
    return verify(alg.hash, data, key, sig.bytes);
  } catch {
    return false;
  }
}

/** The AlgorithmIdentifier `signData` uses for this key. */
export function signatureAlgorithmFor(key: KeyObject): Asn1 {
  if (key.asymmetricKeyType === 'rsa') return seqOf([oidNode(OID.sha256WithRSA), nullNode()]);
  if (key.asymmetricKeyType === 'ec') return seqOf([oidNode('1.2.840.10045.4.3.2')]);
  throw new AgentcertError('AC_INTERNAL', `unsupported CA key type ${key.asymmetricKeyType}`);
}

/** Sign `data` with a CA key: sha256WithRSAEncryption (NULL params, RFC 4055 §5) or ecdsa-with-SHA256. */
export function signData(key: KeyObject, data: Buffer): { algId: Asn1; signature: Buffer } {
  const algId = signatureAlgorithmFor(key);
  const options = key.asymmetricKeyType === 'rsa' ? { key, padding: constants.RSA_PKCS1_PADDING } : key;
  return { algId, signature: sign('sha256', data, options) };
}
