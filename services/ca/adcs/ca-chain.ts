/**
 * The CA chain as certutil exports it: `-ca.chain <file>` writes a PKCS#7 (RFC 2315 SignedData with the
 * certificates and no signers), `-ca.cert <file>` one certificate; either may be DER or Base64/PEM
 * (vectors/certutil-ca-cert.txt shows the PEM form on the console).
 */
import { describeCertificate, pemBlocksToDer } from '../../pki/index.js';

interface Tlv { tag: number; start: number; contentStart: number; end: number }

function readTlv(buf: Buffer, offset: number, limit = buf.length): Tlv {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('DER ends inside a header');
  let p = offset + 2;
  let length = first;
  if (first === 0x80) throw new Error('indefinite-length (BER) PKCS#7 is not supported');
  if (first > 0x80) {
    length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + (buf[p++] ?? 0);
  }
  if (p + length > limit) throw new Error('DER length runs past the end');
  return { tag, start: offset, contentStart: p, end: p + length };
}

function childrenOf(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end;) {
    const c = readTlv(buf, p, parent.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** DER from a file certutil wrote: raw DER, or Base64 with or without PEM armour. */
export function fileBytesToDer(bytes: Buffer): Buffer[] {
  if (bytes[0] === 0x30) return [bytes];
  const text = bytes.toString('latin1');
  const blocks = pemBlocksToDer(text);
  if (blocks.length > 0) return blocks.map((b) => b.der);
  const b64 = text.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+=*$/.test(b64)) return [Buffer.from(b64, 'base64')];
  throw new Error('neither DER nor Base64');
}

const OID_SIGNED_DATA = Buffer.from('06092a864886f70d010702', 'hex');

/** The certificates of a PKCS#7 SignedData ContentInfo, byte-exact as they are in the file. */
export function certificatesFromPkcs7(der: Buffer): Buffer[] {
  const contentInfo = readTlv(der, 0);
  const [oid, explicit] = childrenOf(der, contentInfo);
  if (!oid || !der.subarray(oid.start, oid.end).equals(OID_SIGNED_DATA) || !explicit) throw new Error('not a PKCS#7 SignedData');
  const signedData = childrenOf(der, explicit)[0];
  if (!signedData) throw new Error('empty PKCS#7');
  const certs = childrenOf(der, signedData).find((t) => t.tag === 0xa0); // [0] IMPLICIT CertificateSet
  if (!certs) return [];
  return childrenOf(der, certs).filter((t) => t.tag === 0x30).map((t) => Buffer.from(der.subarray(t.start, t.end)));
}

/** Certificates from a -ca.chain or -ca.cert output file, whatever the format. */
export function readCaFile(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const der of fileBytesToDer(bytes)) {
    const inner = readTlv(der, 0);
    const first = childrenOf(der, inner)[0];
    // A ContentInfo starts with an OID; a Certificate with the TBSCertificate SEQUENCE.
    if (first?.tag === 0x06) out.push(...certificatesFromPkcs7(der));
    else out.push(der);
  }
  return out;
}

/** Issuing CA first, root last (domain/ports.ts CaBackend.chain); each certificate's issuer is the next's subject. */
export function orderChain(certs: Buffer[]): Buffer[] {
  const infos = certs.map((der) => ({ der, info: describeCertificate(der) }));
  const issuerOfOther = (s: string, self: Buffer) => infos.some((o) => o.der !== self && o.info.issuer === s && o.info.subject !== o.info.issuer);
  let current: (typeof infos)[number] | undefined = infos.find((c) => !issuerOfOther(c.info.subject, c.der)) ?? infos[0];
  const ordered: Buffer[] = [];
  const used = new Set<Buffer>();
  while (current && !used.has(current.der)) {
    ordered.push(current.der);
    used.add(current.der);
    if (current.info.subject === current.info.issuer) break;
    const issuer: string = current.info.issuer;
    current = infos.find((c) => !used.has(c.der) && c.info.subject === issuer);
  }
  for (const c of infos) if (!used.has(c.der)) ordered.push(c.der); // unrelated extras keep their place at the end
  return ordered;
}
