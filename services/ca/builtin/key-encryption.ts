/**
 * The CA's private keys at rest. With a passphrase, a key is a PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3)
 * with PBES2 (RFC 8018 §6.2): PBKDF2-HMAC-SHA256 at 600,000 iterations — the OWASP Password Storage Cheat
 * Sheet's figure for PBKDF2-HMAC-SHA256 (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html)
 * — and AES-256-CBC. Node's KeyObject.export({ cipher }) writes the same structure but always with 2,048
 * iterations, so the structure is built here (node-forge's ASN.1, node:crypto's PBKDF2 and AES). Reading goes
 * through OpenSSL (createPrivateKey), which opens any PBES2 file: keys written before at 2,048 iterations still
 * open, and `agentcert ca protect` writes them again at today's count.
 */
import { createCipheriv, createPrivateKey, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

export const PBKDF2_ITERATIONS = 600_000;

const OID = { pbes2: '1.2.840.113549.1.5.13', pbkdf2: '1.2.840.113549.1.5.12', hmacWithSHA256: '1.2.840.113549.2.9', aes256Cbc: '2.16.840.1.101.3.4.1.42' };
const { asn1 } = forge;
const oid = (o: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
const octets = (b: Buffer) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, b.toString('binary'));
const int = (n: number) => asn1.integerToDer(n);
const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const nul = () => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '');

/** PEM "ENCRYPTED PRIVATE KEY" of `key` under `passphrase`, PBKDF2-HMAC-SHA256 × `iterations`, AES-256-CBC. */
export function encryptPrivateKey(key: KeyObject, passphrase: string, iterations = PBKDF2_ITERATIONS): string {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const dk = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', dk, iv);
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const kdf = seq([oid(OID.pbkdf2), seq([octets(salt), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, int(iterations).getBytes()), seq([oid(OID.hmacWithSHA256), nul()])])]);
  const algorithm = seq([oid(OID.pbes2), seq([kdf, seq([oid(OID.aes256Cbc), octets(iv)])])]);
  const der = Buffer.from(asn1.toDer(seq([algorithm, octets(encrypted)])).getBytes(), 'binary');
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${body}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

export interface KeyProtection {
  encrypted: boolean;
  /** e.g. "PBKDF2-HMAC-SHA256, 600000 iterations, AES-256-CBC"; null for a plain key. */
  scheme: string | null;
  /** PBKDF2 iterations, or null (plain key, or a scheme other than PBES2/PBKDF2). */
  iterations: number | null;
}

const PRF_NAMES: Record<string, string> = { '1.2.840.113549.2.7': 'HMAC-SHA1', '1.2.840.113549.2.9': 'HMAC-SHA256', '1.2.840.113549.2.11': 'HMAC-SHA512' };

/** How a key file's PEM is protected, read from its ASN.1 (no passphrase needed). */
export function describeKeyProtection(pem: string): KeyProtection {
  if (!pem.includes('ENCRYPTED PRIVATE KEY')) return { encrypted: false, scheme: null, iterations: null };
  try {
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const top = asn1.fromDer(der.toString('binary'));
    const alg = (top.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[];
    if (asn1.derToOid(alg[0]!.value as string) !== OID.pbes2) return { encrypted: true, scheme: `PKCS#8 ${asn1.derToOid(alg[0]!.value as string)}`, iterations: null };
    const [kdf] = alg[1]!.value as forge.asn1.Asn1[];
    const [kdfOid, params] = kdf!.value as forge.asn1.Asn1[];
    if (asn1.derToOid(kdfOid!.value as string) !== OID.pbkdf2) return { encrypted: true, scheme: 'PBES2 with scrypt or another KDF', iterations: null };
    const p = params!.value as forge.asn1.Asn1[];
    const iterations = Number(BigInt(`0x${Buffer.from(p[1]!.value as string, 'binary').toString('hex') || '0'}`));
    const prfNode = p.find((x, i) => i >= 2 && x.type === asn1.Type.SEQUENCE);
    const prf = prfNode ? PRF_NAMES[asn1.derToOid((prfNode.value as forge.asn1.Asn1[])[0]!.value as string)] ?? 'another PRF' : 'HMAC-SHA1';
    return { encrypted: true, scheme: `PBKDF2-${prf}, ${iterations} iterations`, iterations };
  } catch {
    return { encrypted: true, scheme: 'unreadable encryption parameters', iterations: null };
  }
}

/** Opens a PEM key, plain or encrypted (any PBES2 parameters OpenSSL knows). Throws on a wrong passphrase. */
export function decryptPrivateKey(pem: string, passphrase: string | null): KeyObject {
  return createPrivateKey(passphrase ? { key: pem, format: 'pem', passphrase } : { key: pem, format: 'pem' });
}
