/**
 * What an operator and the SCOM checkers look at on a certificate (docs/scom-facts.md §4.1): serial as Windows shows it
 * (the DER INTEGER content, with a leading 00 sign byte kept, because .NET's SerialNumber string includes it —
 * docs/scom-facts.md §2) and its byte-reversed registry form, SHA-1 thumbprint, names, validity, EKU/KU, CA flag, key ids.
 */
import { createHash } from 'node:crypto';
import { AgentcertError } from '../domain/index.js';
import { type Asn1, parseDer, children, child, bytesOf, oidOf, timeOf, Type, CONTEXT } from './asn1-read.js';
import { readTlv, tlvChildren, tlvBytes } from './der-slice.js';
import { readExtensions, summarizeExtensions, emptySummary } from './extensions.js';
import { formatName, commonNamesOf } from './names.js';
import { pemBlocksToDer } from './pem.js';
import { describeSpki } from './public-key.js';
import { reverseSerialHex } from './serial.js';
import { signatureAlgorithmName } from './signature.js';

export interface CertificateInfo {
  serialNumber: string;
  serialNumberReversed: string;
  thumbprint: string;
  sha256: string;
  subject: string; issuer: string; commonNames: string[]; dnsNames: string[];
  /** Every SAN entry as "DNS:x", "IP:…", "UPN:…", "URI:…", "email:…" (extensions.ts formatGeneralName). */
  subjectAltName: string[];
  notBefore: Date; notAfter: Date;
  extendedKeyUsage: string[]; keyUsageBits: number | null; keyUsage: string[];
  isCA: boolean | null;
  subjectKeyId: string | null; authorityKeyId: string | null;
  publicKeyDer: Buffer; key: { algorithm: string; bits: number | null };
  signatureAlgorithm: string;
  /** cRLDistributionPoints URIs and the basicConstraints pathLenConstraint (additions to the contract). */
  crlDistributionPoints: string[];
  pathLength: number | null;
}

/** The TBSCertificate fields by name, whether or not the optional [0] version is present. */
export function tbsFields(cert: Asn1): { tbs: Asn1[]; off: number } {
  const tbs = children(child(cert, 0, Type.SEQUENCE), 'TBSCertificate');
  const off = tbs[0]?.tagClass === CONTEXT && tbs[0].type === 0 ? 1 : 0;
  if (tbs.length < off + 6) throw new AgentcertError('AC_DER_MALFORMED', 'TBSCertificate is too short');
  return { tbs, off };
}

function certificateDer(input: Buffer): Buffer {
  if (input[0] === 0x30) return input;
  const block = pemBlocksToDer(input.toString('latin1')).find((b) => /CERTIFICATE$/.test(b.label) && !/REQUEST/.test(b.label));
  if (!block) throw new AgentcertError('AC_DER_MALFORMED', 'neither DER nor a PEM CERTIFICATE block');
  return block.der;
}

function describe(der: Buffer): CertificateInfo {
  const cert = parseDer(der);
  const { tbs, off } = tbsFields(cert);
  const certTlv = tlvChildren(der, readTlv(der, 0));
  const spkiTlv = tlvChildren(der, certTlv[0]!)[off + 5]!;
  const serialNumber = bytesOf(child(child(cert, 0), off, Type.INTEGER)).toString('hex').toUpperCase();
  const validity = children(tbs[off + 3]);
  const extNode = tbs.find((t) => t.tagClass === CONTEXT && t.type === 3);
  const ext = extNode ? summarizeExtensions(readExtensions(child(extNode, 0))) : emptySummary();
  const subjectNode = tbs[off + 4]!;
  const key = describeSpki(tbs[off + 5]!);
  return {
    serialNumber,
    serialNumberReversed: serialNumber ? reverseSerialHex(serialNumber) : '',
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex'),
    subject: formatName(subjectNode),
    issuer: formatName(tbs[off + 2]!),
    commonNames: commonNamesOf(subjectNode),
    dnsNames: ext.dnsNames,
    subjectAltName: ext.subjectAltName,
    notBefore: timeOf(validity[0]),
    notAfter: timeOf(validity[1]),
    extendedKeyUsage: ext.extendedKeyUsage,
    keyUsageBits: ext.keyUsageBits,
    keyUsage: ext.keyUsage,
    isCA: ext.basicConstraintsCA,
    subjectKeyId: ext.subjectKeyId,
    authorityKeyId: ext.authorityKeyId,
    publicKeyDer: Buffer.from(tlvBytes(der, spkiTlv)),
    key: { algorithm: key.algorithm, bits: key.bits },
    signatureAlgorithm: signatureAlgorithmName(oidOf(child(child(cert, 1), 0))),
    crlDistributionPoints: ext.crlDistributionPoints,
    pathLength: ext.pathLength,
  };
}

/** Describe an X.509 certificate (DER, or PEM for convenience); throws AC_VERIFY_FAILED when it is not one. */
export function describeCertificate(der: Buffer): CertificateInfo {
  try {
    return describe(certificateDer(der));
  } catch (err) {
    if (err instanceof AgentcertError && err.code !== 'AC_DER_MALFORMED') throw err;
    throw new AgentcertError('AC_VERIFY_FAILED', `not an X.509 certificate: ${(err as Error)?.message ?? String(err)}`, [], { cause: err });
  }
}
