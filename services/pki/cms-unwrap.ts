/**
 * Unwrap CMS SignedData (RFC 5652 §5) around a PKCS#10: certreq's CMC form (eContentType PKIData
 * 1.3.6.1.5.5.7.12.2, RFC 5272 §3.2, the request in reqSequence as TaggedCertificationRequest) and renewals
 * signed by the old certificate's key (eContentType data, content = the PKCS#10). Offsets come from the DER
 * slicer so the inner request is byte-exact; the signer is checked with node:crypto.
 */
import { createHash, verify, constants, type KeyObject } from 'node:crypto';
import { type Asn1, parseDer, children, child, oidOf, bytesOf, Type, CONTEXT } from './asn1-read.js';
import { readTlv, tlvChildren, tlvBytes, type Tlv } from './der-slice.js';
import { findNestedClientInfo, type MicrosoftInfo } from './ms-attributes.js';
import { formatName } from './names.js';
import { OID, HASH_OIDS, SIGNATURE_ALGORITHMS } from './oids.js';
import { publicKeyObject } from './public-key.js';
import { AgentcertError } from '../domain/index.js';

export interface CmsSigner {
  certificateDer: Buffer | null;
  issuerAndSerial: { issuer: string; serialHex: string } | null;
  signatureValid: boolean | null;
}

export interface UnwrappedCms {
  csrDer: Buffer;
  clientInfo: MicrosoftInfo['client'];
  /** Check the first SignerInfo; `fallbackKey` (the request's own key) is used when no certificate matches. */
  verifySigner(fallbackKey: KeyObject | null): CmsSigner | null;
}

const tag = (t: Tlv) => t.tag;

export function octets(der: Buffer, t: Tlv): Buffer {
  if (t.tag === 0x04) return der.subarray(t.contentStart, t.end);
  if (t.tag === 0x24) return Buffer.concat(tlvChildren(der, t).map((c) => octets(der, c))); // constructed (BER) OCTET STRING
  throw new AgentcertError('AC_DER_MALFORMED', 'eContent is not an OCTET STRING');
}

/** The PKCS#10 inside PKIData's first TaggedRequest tcr [0] { bodyPartID, CertificationRequest }. */
function csrFromPkiData(content: Buffer): Buffer {
  const pkiData = readTlv(content, 0);
  const reqSequence = tlvChildren(content, pkiData)[1];
  if (!reqSequence) throw new AgentcertError('AC_DER_MALFORMED', 'PKIData has no reqSequence');
  const tcr = tlvChildren(content, reqSequence).find((t) => tag(t) === 0xa0);
  if (!tcr) throw new AgentcertError('AC_DER_MALFORMED', 'PKIData holds no TaggedCertificationRequest (CRMF requests are not supported)');
  const csr = tlvChildren(content, tcr)[1];
  if (!csr || csr.tag !== 0x30) throw new AgentcertError('AC_DER_MALFORMED', 'TaggedCertificationRequest has no CertificationRequest');
  return Buffer.from(tlvBytes(content, csr));
}

function certificateSerialAndIssuer(cert: Asn1): { issuer: string; serialHex: string } {
  const tbs = children(child(cert, 0));
  const off = tbs[0]?.tagClass === CONTEXT ? 1 : 0;
  return { issuer: formatName(tbs[off + 2]!), serialHex: bytesOf(tbs[off]).toString('hex').toUpperCase() };
}

function spkiOf(certDer: Buffer): Buffer {
  const certTlv = readTlv(certDer, 0);
  const tbs = tlvChildren(certDer, tlvChildren(certDer, certTlv)[0]!);
  const off = tbs[0]!.tag === 0xa0 ? 1 : 0;
  return Buffer.from(tlvBytes(certDer, tbs[off + 5]!));
}

export function verifySignerInfo(der: Buffer, siTlv: Tlv, content: Buffer, key: KeyObject | null): boolean {
  if (!key) return false;
  const parts = tlvChildren(der, siTlv);
  const si = parseDer(Buffer.from(tlvBytes(der, siTlv)));
  const hash = HASH_OIDS[oidOf(child(child(si, 2), 0))] ?? 'sha256';
  const signedAttrsTlv = parts.find((p) => p.tag === 0xa0);
  let data = content;
  if (signedAttrsTlv) {
    // RFC 5652 §5.4: the signature covers the DER of signedAttrs with the SET OF tag, and messageDigest must match.
    const attrs = children(child(si, 3));
    const md = attrs.find((a) => oidOf(child(a, 0)) === OID.messageDigest);
    const expected = createHash(hash).update(content).digest();
    if (!md || !bytesOf(child(child(md, 1), 0)).equals(expected)) return false;
    data = Buffer.from(tlvBytes(der, signedAttrsTlv));
    data[0] = 0x31;
  }
  const sigIndex = signedAttrsTlv ? 5 : 4;
  const sigAlgOid = oidOf(child(child(si, sigIndex - 1), 0));
  const signature = bytesOf(child(si, sigIndex, Type.OCTETSTRING));
  const algHash = SIGNATURE_ALGORITHMS[sigAlgOid]?.hash ?? hash; // rsaEncryption here means "use digestAlgorithm"
  const opts = key.asymmetricKeyType === 'rsa' ? { key, padding: constants.RSA_PKCS1_PADDING } : key;
  try { return verify(algHash, data, opts, signature); } catch { return false; }
}

function findSignerCert(certs: Buffer[], sid: Asn1): Buffer | null {
  if (sid.type !== Type.SEQUENCE) return certs.length === 1 ? certs[0]! : null; // [0] SubjectKeyIdentifier
  const want = { issuer: formatName(child(sid, 0)), serialHex: bytesOf(child(sid, 1)).toString('hex').toUpperCase() };
  for (const c of certs) {
    const got = certificateSerialAndIssuer(parseDer(c));
    if (got.issuer === want.issuer && got.serialHex === want.serialHex) return c;
  }
  return null;
}

export function unwrapCms(der: Buffer): UnwrappedCms {
  const ci = tlvChildren(der, readTlv(der, 0));
  const sdTlv = tlvChildren(der, ci[1]!)[0]!;
  const sd = tlvChildren(der, sdTlv);
  const encap = tlvChildren(der, sd[2]!);
  const eContentType = oidOf(parseDer(Buffer.from(tlvBytes(der, encap[0]!))));
  if (!encap[1]) throw new AgentcertError('AC_DER_MALFORMED', 'SignedData carries no content (detached signature)');
  const content = octets(der, tlvChildren(der, encap[1])[0]!);
  let csrDer: Buffer;
  let clientInfo: MicrosoftInfo['client'] = null;
  if (eContentType === OID.cmcPkiData) {
    csrDer = csrFromPkiData(content);
    clientInfo = findNestedClientInfo(child(parseDer(content), 0));
  } else if (eContentType === OID.cmsData) {
    csrDer = Buffer.from(tlvBytes(content, readTlv(content, 0)));
  } else throw new AgentcertError('AC_DER_MALFORMED', `SignedData content type ${eContentType} is neither data nor CMC PKIData`);
  const certsTlv = sd.slice(3).find((t) => t.tag === 0xa0);
  const certs = certsTlv ? tlvChildren(der, certsTlv).filter((t) => t.tag === 0x30).map((t) => Buffer.from(tlvBytes(der, t))) : [];
  const signerInfos = sd[sd.length - 1]!;
  return {
    csrDer,
    clientInfo,
    verifySigner(fallbackKey) {
      const siTlv = signerInfos.tag === 0x31 ? tlvChildren(der, signerInfos)[0] : undefined;
      if (!siTlv) return null;
      const sid = child(parseDer(Buffer.from(tlvBytes(der, siTlv))), 1);
      const certificateDer = findSignerCert(certs, sid);
      const issuerAndSerial = sid.type === Type.SEQUENCE
        ? { issuer: formatName(child(sid, 0)), serialHex: bytesOf(child(sid, 1)).toString('hex').toUpperCase() }
        : null;
      const key = certificateDer ? publicKeyObject(spkiOf(certificateDer)) : fallbackKey;
      // null: no certificate in the message and no request key to try, so the signer cannot be checked
      return { certificateDer, issuerAndSerial, signatureValid: key ? verifySignerInfo(der, siTlv, content, key) : null };
    },
  };
}
