/**
 * Reading certificate files as admins find them on agents: PEM (one or many), DER, or PKCS#7 (.p7b, as
 * `certutil -ca.chain` and the Windows export wizard write them, RFC 2315 §9.1 / RFC 5652 §5.1: the
 * certificates are the [0] IMPLICIT field of SignedData). Byte-exact slices, never re-encoded.
 */
import { AgentcertError } from '../domain/index.js';
import { readTlv, tlvBytes, tlvChildren } from './der-slice.js';
import { pemBlocksToDer } from './pem.js';

const OID_SIGNED_DATA = Buffer.from('2a864886f70d010702', 'hex'); // 1.2.840.113549.1.7.2

/**
 * The certificates of a PKCS#7/CMS SignedData ContentInfo, byte-exact as they are in the file (the [0] IMPLICIT
 * CertificateSet). Throws when the DER is not a SignedData; one reader for `verify` and for certutil -ca.chain.
 */
export function certificatesFromPkcs7(der: Buffer): Buffer[] {
  const contentInfo = readTlv(der, 0);
  const [oid, explicit] = tlvChildren(der, contentInfo);
  if (!oid || oid.tag !== 0x06 || !der.subarray(oid.contentStart, oid.end).equals(OID_SIGNED_DATA) || !explicit) throw new AgentcertError('AC_DER_MALFORMED', 'not a PKCS#7 SignedData');
  const signedData = tlvChildren(der, explicit)[0];
  if (!signedData) throw new AgentcertError('AC_DER_MALFORMED', 'empty PKCS#7');
  const certs = tlvChildren(der, signedData).find((t) => t.tag === 0xa0);
  return certs ? tlvChildren(der, certs).filter((t) => t.tag === 0x30).map((c) => Buffer.from(tlvBytes(der, c))) : [];
}

function tryPkcs7(der: Buffer): Buffer[] | null {
  try {
    return certificatesFromPkcs7(der);
  } catch {
    return null;
  }
}

/** Every certificate in a file, in file order. Throws AC_NOT_A_REQUEST-like usage errors for anything else. */
export function readCertificateFile(bytes: Buffer, name = 'the file'): Buffer[] {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN')) {
    const out: Buffer[] = [];
    for (const b of pemBlocksToDer(text)) {
      if (b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE') out.push(b.der);
      else if (b.label === 'PKCS7' || b.label === 'CMS') out.push(...(tryPkcs7(b.der) ?? []));
    }
    if (out.length) return out;
    throw new AgentcertError('AC_USAGE', `${name} holds no certificate (no BEGIN CERTIFICATE or PKCS7 block)`);
  }
  const p7 = tryPkcs7(bytes);
  if (p7 && p7.length) return p7;
  // A bare DER certificate: a SEQUENCE whose first child is the TBSCertificate SEQUENCE.
  try {
    const t = readTlv(bytes, 0);
    if (t.tag === 0x30 && t.end === bytes.length) return [bytes];
  } catch {
    /* fall through */
  }
  throw new AgentcertError('AC_USAGE', `${name} is not a certificate (PEM, DER or PKCS#7 expected)`);
}
