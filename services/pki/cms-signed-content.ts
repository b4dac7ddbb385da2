/**
 * CMS SignedData (RFC 5652 §5) around any content, for signed install results: the installer signs the result
 * JSON with the installed certificate's key (.NET SignedCms, enveloping, eContentType id-data). The signature is
 * checked against a key the caller chooses (the certificate the result names), never only against a certificate
 * the message carries.
 */
import type { KeyObject } from 'node:crypto';
import { oidOf, parseDer } from './asn1-read.js';
import { octets, verifySignerInfo } from './cms-unwrap.js';
import { readTlv, tlvBytes, tlvChildren } from './der-slice.js';
import { OID } from './oids.js';
import { publicKeyObject } from './public-key.js';

export interface SignedContent {
  eContentType: string;
  content: Buffer;
  /** Certificates the message carries (DER), as sent. */
  certificates: Buffer[];
  /** True when a SignerInfo verifies with this key (signedAttrs' messageDigest included). */
  verifyWith(key: KeyObject): boolean;
}

/** Open an enveloping SignedData; throws on anything else (a detached signature, another content type, bad DER). */
export function openSignedContent(der: Buffer): SignedContent {
  const outer = readTlv(der, 0);
  if (outer.end !== der.length) throw new Error('bytes follow the CMS message');
  const ci = tlvChildren(der, outer);
  if (oidOf(parseDer(Buffer.from(tlvBytes(der, ci[0]!)))) !== OID.cmsSignedData) throw new Error('not CMS SignedData');
  const sd = tlvChildren(der, tlvChildren(der, ci[1]!)[0]!);
  const encap = tlvChildren(der, sd[2]!);
  const eContentType = oidOf(parseDer(Buffer.from(tlvBytes(der, encap[0]!))));
  if (!encap[1]) throw new Error('SignedData carries no content (detached signature)');
  const content = octets(der, tlvChildren(der, encap[1])[0]!);
  const certsTlv = sd.slice(3).find((t) => t.tag === 0xa0);
  const certificates = certsTlv ? tlvChildren(der, certsTlv).filter((t) => t.tag === 0x30).map((t) => Buffer.from(tlvBytes(der, t))) : [];
  const signerInfos = sd[sd.length - 1]!;
  const infos = signerInfos.tag === 0x31 ? tlvChildren(der, signerInfos) : [];
  return {
    eContentType,
    content,
    certificates,
    verifyWith: (key) => infos.some((si) => verifySignerInfo(der, si, content, key)),
  };
}

/** The public key of a certificate (DER), for verifyWith; null when its algorithm is not supported. */
export function certificateKey(certDer: Buffer): KeyObject | null {
  const tbs = tlvChildren(certDer, tlvChildren(certDer, readTlv(certDer, 0))[0]!);
  const off = tbs[0]!.tag === 0xa0 ? 1 : 0;
  return publicKeyObject(Buffer.from(tlvBytes(certDer, tbs[off + 5]!)));
}
