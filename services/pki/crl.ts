/**
 * X.509 v2 CRLs (RFC 5280 §5): signed by the issuing CA with node:crypto, reason codes per entry (§5.3.1),
 * authorityKeyIdentifier (§5.2.1) and cRLNumber (§5.2.3). `certutil -verify` and SChannel read these.
 */
import forge from 'node-forge';
import {
  type Asn1, parseDer, seqOf, intNode, intNodeFromBytes, contextNode, timeNode, bitStringNode, toDer, children, child,
  bytesOf, bigIntOf, timeOf, Type, CONTEXT, UNIVERSAL,
} from './asn1-read.js';
import { type CaMaterial, issuerParts } from './certificate-build.js';
import { readTlv, tlvChildren, tlvBytes } from './der-slice.js';
import { readExtensions } from './extensions.js';
import { formatName } from './names.js';
import { OID } from './oids.js';
import { publicKeyObject } from './public-key.js';
import { normalizeSerialHex } from './serial.js';
import { signData, signatureAlgorithmFor, verifySignature } from './signature.js';
import { extension, authorityKeyIdExtension } from './x509-extensions.js';

export type RevocationReason = 'unspecified' | 'keyCompromise' | 'cACompromise' | 'affiliationChanged' | 'superseded'
  | 'cessationOfOperation' | 'certificateHold' | 'removeFromCRL' | 'privilegeWithdrawn' | 'aACompromise';

/** CRLReason ENUMERATED values (RFC 5280 §5.3.1); 7 is not used. */
const REASON_CODES: Record<RevocationReason, number> = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5,
  certificateHold: 6, removeFromCRL: 8, privilegeWithdrawn: 9, aACompromise: 10,
};
const REASON_NAMES = new Map(Object.entries(REASON_CODES).map(([name, code]) => [code, name as RevocationReason]));

export interface CrlEntry { serialHex: string; revokedAt: Date; reason: RevocationReason }

export interface ParsedCrl {
  issuer: string; thisUpdate: Date; nextUpdate: Date | null; crlNumber: bigint | null;
  entries: { serialHex: string; revokedAt: Date; reason: RevocationReason | null }[];
  signatureValidWith(issuerCertDer: Buffer): boolean;
}

/** A revoked entry; RFC 5280 §5.3.1: "unspecified" SHOULD be left out rather than written, so it is. */
function entryNode(e: CrlEntry): Asn1 {
  const parts = [intNodeFromBytes(Buffer.from(normalizeSerialHex(e.serialHex), 'hex')), timeNode(e.revokedAt)];
  if (e.reason !== 'unspecified') {
    const reason = forge.asn1.create(UNIVERSAL, Type.ENUMERATED, false, String.fromCharCode(REASON_CODES[e.reason]));
    parts.push(seqOf([extension(OID.crlReason, false, reason)]));
  }
  return seqOf(parts);
}

export function signCrl(o: { issuer: CaMaterial; entries: CrlEntry[]; thisUpdate: Date; nextUpdate: Date; crlNumber: bigint }): Buffer {
  const issuer = issuerParts(o.issuer.certDer);
  const tbs: Asn1[] = [intNode(1), signatureAlgorithmFor(o.issuer.key), issuer.subject, timeNode(o.thisUpdate), timeNode(o.nextUpdate)];
  if (o.entries.length > 0) tbs.push(seqOf(o.entries.map(entryNode))); // §5.1.2.6: absent when empty
  tbs.push(contextNode(0, true, [seqOf([authorityKeyIdExtension(issuer.keyId), extension(OID.crlNumber, false, intNode(o.crlNumber))])]));
  const tbsDer = toDer(seqOf(tbs));
  const { algId, signature } = signData(o.issuer.key, tbsDer);
  return toDer(seqOf([parseDer(tbsDer), algId, bitStringNode(signature)]));
}

function readEntry(entry: Asn1): ParsedCrl['entries'][number] {
  const parts = children(entry, 'a revoked certificate');
  let reason: RevocationReason | null = null;
  if (parts[2]) {
    const ext = readExtensions(parts[2]).find((x) => x.oid === OID.crlReason);
    if (ext) reason = REASON_NAMES.get(bytesOf(parseDer(ext.value))[0] ?? -1) ?? null;
  }
  return { serialHex: bytesOf(child(entry, 0, Type.INTEGER)).toString('hex').toUpperCase(), revokedAt: timeOf(parts[1]), reason };
}

export function parseCrl(der: Buffer): ParsedCrl {
  const crl = parseDer(der);
  const tbs = children(child(crl, 0, Type.SEQUENCE), 'TBSCertList');
  const off = tbs[0]?.type === Type.INTEGER ? 1 : 0; // version is optional (v1 CRLs)
  let i = off + 3;
  const next = tbs[i];
  const nextUpdate = next && (next.type === Type.UTCTIME || next.type === Type.GENERALIZEDTIME) && next.tagClass === UNIVERSAL ? timeOf(next) : null;
  if (nextUpdate) i++;
  const revoked = tbs[i] && tbs[i]!.type === Type.SEQUENCE && tbs[i]!.tagClass === UNIVERSAL ? children(tbs[i++]) : [];
  const extNode = tbs[i] && tbs[i]!.tagClass === CONTEXT ? tbs[i] : undefined;
  const numberExt = extNode ? readExtensions(child(extNode, 0)).find((x) => x.oid === OID.crlNumber) : undefined;
  const tbsBytes = tlvBytes(der, tlvChildren(der, readTlv(der, 0))[0]!);
  return {
    issuer: formatName(tbs[off + 1]!),
    thisUpdate: timeOf(tbs[off + 2]),
    nextUpdate,
    crlNumber: numberExt ? bigIntOf(parseDer(numberExt.value)) : null,
    entries: revoked.map(readEntry),
    signatureValidWith(issuerCertDer: Buffer): boolean {
      try {
        const cert = parseDer(issuerCertDer);
        const tbsCert = children(child(cert, 0));
        const spki = tbsCert[(tbsCert[0]?.tagClass === CONTEXT ? 1 : 0) + 5]!;
        return verifySignature(child(crl, 1), Buffer.from(tbsBytes), child(crl, 2), publicKeyObject(toDer(spki)));
      } catch {
        return false;
      }
    },
  };
}
