/**
 * Build and sign X.509 v3 certificates (RFC 5280 §4.1). forge lays out the TBSCertificate, node:crypto signs.
 * RSA PKCS#1 v1.5 signatures are deterministic, and nothing here reads a clock or a random source, so the same
 * inputs give byte-identical DER: the service relies on that to re-create a certificate after a crash and get
 * exactly the one it recorded (docs/architecture.md "The flow of one request": crash-safe, exactly-once issuance).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { type Asn1, parseDer, seqOf, intNode, intNodeFromBytes, contextNode, timeNode, bitStringNode, toDer, children } from './asn1-read.js';
import { readTlv, tlvChildren, tlvBytes } from './der-slice.js';
import { readExtensions, summarizeExtensions } from './extensions.js';
import { buildName } from './names.js';
import { OID } from './oids.js';
import { keyIdentifier } from './public-key.js';
import { normalizeSerialHex } from './serial.js';
import { signData, signatureAlgorithmFor } from './signature.js';
import {
  keyUsageExtension, basicConstraintsExtension, extKeyUsageExtension, subjectKeyIdExtension,
  authorityKeyIdExtension, dnsSanExtension, crlDistributionPointExtension,
} from './x509-extensions.js';

export interface CaMaterial { certDer: Buffer; key: KeyObject }

export function spkiOfKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}

const issuers = new WeakMap<Buffer, { subject: Asn1; keyId: Buffer }>();

/** The parts of an issuer certificate a child needs: its subject Name (byte-exact) and its key identifier. */
export function issuerParts(certDer: Buffer): { subject: Asn1; keyId: Buffer } {
  // The signing workers sign with one issuer for their whole life: its parts are read once.
  const known = issuers.get(certDer);
  if (known) return known;
  const parts = readIssuerParts(certDer);
  issuers.set(certDer, parts);
  return parts;
}

function readIssuerParts(certDer: Buffer): { subject: Asn1; keyId: Buffer } {
  const tbs = tlvChildren(certDer, tlvChildren(certDer, readTlv(certDer, 0))[0]!);
  const off = tbs[0]!.tag === 0xa0 ? 1 : 0;
  const subject = parseDer(Buffer.from(tlvBytes(certDer, tbs[off + 4]!)));
  const spki = Buffer.from(tlvBytes(certDer, tbs[off + 5]!));
  const extTlv = tbs.find((t) => t.tag === 0xa3);
  let keyId: Buffer | null = null;
  if (extTlv) {
    const exts = readExtensions(children(parseDer(Buffer.from(tlvBytes(certDer, extTlv))))[0]!);
    const ski = summarizeExtensions(exts).subjectKeyId;
    if (ski) keyId = Buffer.from(ski, 'hex');
  }
  return { subject, keyId: keyId ?? keyIdentifier(spki) };
}

export interface CertificateTemplate {
  issuerKey: KeyObject;
  issuerName: Asn1;
  subjectName: Asn1;
  spkiDer: Buffer;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  extensions: Asn1[];
}

/** TBSCertificate → signed Certificate DER. */
export function buildCertificate(t: CertificateTemplate): Buffer {
  const serial = intNodeFromBytes(Buffer.from(normalizeSerialHex(t.serialHex), 'hex'));
  const tbs = seqOf([
    contextNode(0, true, [intNode(2)]), // v3
    serial,
    signatureAlgorithmFor(t.issuerKey),
    t.issuerName,
    seqOf([timeNode(t.notBefore), timeNode(t.notAfter)]),
    t.subjectName,
    parseDer(t.spkiDer),
    contextNode(3, true, [seqOf(t.extensions)]),
  ]);
  const tbsDer = toDer(tbs);
  const { algId, signature } = signData(t.issuerKey, tbsDer);
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, the TBS bytes as signed
  // (not parsed and encoded again).
  const body = Buffer.concat([tbsDer, toDer(algId), toDer(bitStringNode(signature))]);
  return Buffer.concat([derSequenceHeader(body.length), body]);
}

/** A DER SEQUENCE tag and definite length (X.690 §8.1.3). */
function derSequenceHeader(length: number): Buffer {
  if (length < 0x80) return Buffer.from([0x30, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x30, 0x80 | bytes.length, ...bytes]);
}

export function signLeafCertificate(o: {
  issuer: CaMaterial; publicKeyDer: Buffer; fqdn: string;
  serialHex: string; notBefore: Date; notAfter: Date; crlDistributionPoint?: string | null;
  extendedKeyUsage?: string[];
  /** The SAN's DNS names, the FQDN first (default: the FQDN alone); an empty list writes no SAN. */
  dnsNames?: string[];
}): Buffer {
  const issuer = issuerParts(o.issuer.certDer);
  // docs/scom-facts.md §1.1: both EKUs, KU ⊇ 0xA0, the FQDN as the single CN and as the first DNS SAN.
  const extensions = [
    basicConstraintsExtension(false),
    keyUsageExtension(['digitalSignature', 'keyEncipherment']),
    extKeyUsageExtension(o.extendedKeyUsage ?? [OID.serverAuth, OID.clientAuth]),
    subjectKeyIdExtension(keyIdentifier(o.publicKeyDer)),
    authorityKeyIdExtension(issuer.keyId),
  ];
  const dnsNames = o.dnsNames ?? [o.fqdn];
  if (dnsNames.length > 0) extensions.splice(3, 0, dnsSanExtension(dnsNames));
  if (o.crlDistributionPoint) extensions.push(crlDistributionPointExtension(o.crlDistributionPoint));
  return buildCertificate({
    issuerKey: o.issuer.key, issuerName: issuer.subject, subjectName: buildName({ commonName: [o.fqdn] }),
    spkiDer: o.publicKeyDer, serialHex: o.serialHex, notBefore: o.notBefore, notAfter: o.notAfter, extensions,
  });
}
