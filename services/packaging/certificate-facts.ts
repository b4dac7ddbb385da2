/**
 * The certificate fields the manifest and the installer need, read with node:crypto and node-forge's ASN.1 layer
 * (independent of services/pki on purpose: the packaging step must not wait on it).
 */
import { X509Certificate, createHash } from 'node:crypto';
import forge from 'node-forge';
import { reverseSerialHex } from '../pki/serial.js';
import { AgentcertError } from '../domain/index.js';

export interface CertificateFacts {
  /** Hex of the DER INTEGER content bytes, upper case, as Windows shows it (a leading 00 byte is kept). */
  serialNumber: string;
  /** The same bytes reversed: the ChannelCertificateSerialNumber REG_BINARY order (docs/scom-facts.md §2). */
  serialNumberReversed: string;
  /** SHA-1 of the DER, upper-case hex: what Windows calls the thumbprint. */
  thumbprint: string;
  sha256: string;
  notBefore: string;
  notAfter: string;
  /** Subject as Windows shows it: most specific RDN first (`CN=host, O=org`). */
  subject: string;
  issuer: string;
  /** The first CN of the subject, or null. */
  commonName: string | null;
  /** RSA modulus length, or null for other key types. */
  keyBits: number | null;
}

/**
 * The serial's DER INTEGER content bytes. X509Certificate.serialNumber drops a leading 00 sign byte, but Windows
 * (.NET SerialNumber, certutil) shows it and MOMCertImport reverses all bytes (docs/scom-facts.md §2), so read the DER.
 */
export function serialHexFromDer(der: Buffer): string {
  const cert = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  const tbs = asSequence(cert)[0];
  const fields = asSequence(tbs);
  // RFC 5280 §4.1: version is `[0] EXPLICIT` and optional; the serial is the first INTEGER after it.
  const first = fields[0];
  const serial = first && first.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? fields[1] : first;
  if (!serial || serial.tagClass !== forge.asn1.Class.UNIVERSAL || serial.type !== forge.asn1.Type.INTEGER || typeof serial.value !== 'string') {
    throw new AgentcertError('AC_DER_MALFORMED', 'certificate DER has no serial number INTEGER');
  }
  const hex = Buffer.from(serial.value, 'binary').toString('hex').toUpperCase();
  if (hex.length === 0) throw new AgentcertError('AC_DER_MALFORMED', 'certificate serial number is empty');
  return hex;
}

function asSequence(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new AgentcertError('AC_DER_MALFORMED', 'certificate DER is not a SEQUENCE where one is expected');
  return node.value;
}

/** node:crypto prints one RDN per line in DER order; Windows shows them reversed and comma-separated. */
function windowsName(lines: string): string {
  return lines.split('\n').filter((l) => l.length > 0).reverse().join(', ');
}

/**
 * Facts per DER buffer: a package describes its certificate and every CA certificate several times (manifest,
 * file names, renewal INF), and the CA certificates are the same buffers for every package (bulk bench: 1.5 ms a
 * package went here before the cache).
 */
const factsCache = new WeakMap<Buffer, CertificateFacts>();

export function describeForPackage(der: Buffer): CertificateFacts {
  let facts = factsCache.get(der);
  if (!facts) {
    facts = computeFacts(der);
    factsCache.set(der, facts);
  }
  return facts;
}

function computeFacts(der: Buffer): CertificateFacts {
  const x = new X509Certificate(der);
  const serialNumber = serialHexFromDer(der);
  const cn = x.subject.split('\n').find((l) => l.startsWith('CN='));
  return {
    serialNumber,
    serialNumberReversed: reverseSerialHex(serialNumber),
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    subject: windowsName(x.subject),
    issuer: windowsName(x.issuer),
    commonName: cn ? cn.slice(3) : null,
    keyBits: x.publicKey.asymmetricKeyDetails?.modulusLength ?? null,
  };
}

/** A file-name-safe form of a CA's CN for `root-<name>.cer` / `ca-<name>.cer`. */
export function sanitizeName(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64);
  return s.length > 0 ? s : 'unnamed';
}
