/**
 * Wrap a PKCS#10 in CMS SignedData (RFC 5652 §5) the way a renewal arrives: signed by the existing certificate's
 * key, with that certificate included and identified by issuerAndSerialNumber; content either the PKCS#10 itself
 * (eContentType data) or CMC PKIData (RFC 5272 §3.2) holding it as TaggedCertificationRequest bodyPartID 1.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { type Asn1, parseDer, seqOf, setOf, oidNode, intNode, octetNode, contextNode, toDer, utf8Node } from './asn1-read.js';
import { tbsFields } from './certificate-info.js';
import { OID } from './oids.js';
import { signData } from './signature.js';

const attribute = (oid: string, value: Asn1): Asn1 => seqOf([oidNode(oid), setOf([value])]);

type ClientInfo = { id: number; machine: string; user: string; process: string };

/**
 * certreq's CMC form moves ClientInfo out of the PKCS#10 into control 1.3.6.1.4.1.311.10.10.1 (docs/scom-facts.md §5):
 * TaggedAttribute { bodyPartID, attrType, attrValues { SEQUENCE { dataReference, certReferences, attributes } } }.
 */
function clientInfoControl(c: ClientInfo): Asn1 {
  const info = seqOf([intNode(c.id), utf8Node(c.machine), utf8Node(c.user), utf8Node(c.process)]);
  const addAttributes = seqOf([intNode(0), seqOf([intNode(1)]), setOf([attribute(OID.msClientInfo, info)])]);
  return seqOf([intNode(2), oidNode(OID.msCmcAttributes), setOf([addAttributes])]);
}

function pkiData(csrDer: Buffer, clientInfo?: ClientInfo): Buffer {
  const tcr = contextNode(0, true, [intNode(1), parseDer(csrDer)]);
  const controls = clientInfo ? [clientInfoControl(clientInfo)] : [];
  return toDer(seqOf([seqOf(controls), seqOf([tcr]), seqOf([]), seqOf([])]));
}

function issuerAndSerial(certDer: Buffer): Asn1 {
  const cert = parseDer(certDer);
  const { tbs, off } = tbsFields(cert);
  return seqOf([tbs[off + 2]!, tbs[off]!]);
}

/** `clientInfo` (cmc only, an addition to the contract) puts a client-info control in PKIData as certreq does. */
export function wrapRequestInCms(o: { csrDer: Buffer; signerCertDer: Buffer; signerKey: KeyObject; cmc?: boolean; clientInfo?: ClientInfo }): Buffer {
  const eContentType = o.cmc ? OID.cmcPkiData : OID.cmsData;
  const content = o.cmc ? pkiData(o.csrDer, o.clientInfo) : o.csrDer;
  const digestAlg = seqOf([oidNode(OID.sha256)]);
  // signedAttrs: contentType then messageDigest, already in DER SET OF order (X.690 §11.6) by their encodings.
  const signedAttrs = [
    attribute(OID.contentType, oidNode(eContentType)),
    attribute(OID.messageDigest, octetNode(createHash('sha256').update(content).digest())),
  ];
  const { algId, signature } = signData(o.signerKey, toDer(setOf(signedAttrs)));
  const signerInfo = seqOf([
    intNode(1), issuerAndSerial(o.signerCertDer), digestAlg, contextNode(0, true, signedAttrs), algId, octetNode(signature),
  ]);
  const signedData = seqOf([
    intNode(o.cmc ? 3 : 1), // RFC 5652 §5.1: version 3 when eContentType is not id-data
    setOf([digestAlg]),
    seqOf([oidNode(eContentType), contextNode(0, true, [octetNode(content)])]),
    contextNode(0, true, [parseDer(o.signerCertDer)]),
    setOf([signerInfo]),
  ]);
  return toDer(seqOf([oidNode(OID.cmsSignedData), contextNode(0, true, [signedData])]));
}
