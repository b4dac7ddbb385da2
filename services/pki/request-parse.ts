/**
 * Parse a certificate request as certreq, CertEnroll or the Certificates MMC wrote it: PKCS#10 (RFC 2986),
 * or CMS SignedData (RFC 5652) wrapping one directly or inside CMC PKIData (RFC 5272) — docs/scom-facts.md §5.
 * Any input bytes end in a ParsedRequest or an AgentcertError (AC_NOT_A_REQUEST / AC_REQUEST_INCOMPLETE).
 */
import { createHash } from 'node:crypto';
import { AgentcertError } from '../domain/index.js';
import { type Asn1, parseDer, children, child, oidOf, Type, CONTEXT } from './asn1-read.js';
import { readTlv, tlvChildren, tlvBytes } from './der-slice.js';
import { readExtensions, summarizeExtensions } from './extensions.js';
import { type MicrosoftInfo, emptyMicrosoftInfo, applyMicrosoftAttribute } from './ms-attributes.js';
import { formatName, commonNamesOf } from './names.js';
import { OID, ATTRIBUTE_NAMES } from './oids.js';
import { decodeRequestBytes } from './pem.js';
import { describeSpki, publicKeyObject } from './public-key.js';
import { signatureAlgorithmName, verifySignature } from './signature.js';
import { unwrapCms, type CmsSigner } from './cms-unwrap.js';

export interface ParsedRequest {
  format: 'pkcs10' | 'cmc';
  csrDer: Buffer;
  fingerprint: string;
  subject: string;
  commonNames: string[];
  dnsNames: string[];
  fqdn: string | null;
  key: { algorithm: string; bits: number | null; curve?: string };
  publicKeyDer: Buffer;
  signatureAlgorithm: string;
  signatureAlgorithmOid: string;
  signatureValid: boolean;
  microsoft: MicrosoftInfo;
  requestedExtensions: {
    keyUsage: string[];
    keyUsageBits: number | null;
    keyUsageCritical: boolean | null;
    extendedKeyUsage: string[];
    subjectAltName: string[];
    basicConstraintsCA: boolean | null;
  };
  attributes: { oid: string; name: string | null }[];
  unknownAttributes: string[];
  cmsSigner: CmsSigner | null;
}

type Pkcs10Part = Omit<ParsedRequest, 'format' | 'cmsSigner'>;

const notARequest = (message: string) => new AgentcertError('AC_NOT_A_REQUEST', message);

/** Tell a certificate from a request early: users drop the issued .cer back on the share. */
function checkIsCri(cri: Asn1): void {
  const parts = children(cri, 'certificationRequestInfo');
  if (parts[0]?.tagClass === CONTEXT && parts[0].type === 0) throw notARequest('found an X.509 certificate, not a certificate request');
  if (parts.length !== 4) throw notARequest(`certificationRequestInfo has ${parts.length} elements, a PKCS#10 has 4 (found a certificate or another structure)`);
  if (parts[0]?.type !== Type.INTEGER) throw notARequest('certificationRequestInfo does not start with a version INTEGER');
}

function readAttributes(attrsNode: Asn1, out: Pkcs10Part): void {
  for (const attr of children(attrsNode, 'attributes')) {
    const oid = oidOf(child(attr, 0));
    const values = children(child(attr, 1, Type.SET), 'attribute values');
    out.attributes.push({ oid, name: ATTRIBUTE_NAMES[oid] ?? null });
    const first = values[0];
    let understood = false;
    if (first && (oid === OID.extensionRequest || oid === OID.msCertExtensions)) {
      // extensionRequest (RFC 2985 §5.4.2) and Windows 2000's 1.3.6.1.4.1.311.2.1.14 share one shape.
      const s = summarizeExtensions(readExtensions(first));
      out.requestedExtensions = {
        keyUsage: s.keyUsage, keyUsageBits: s.keyUsageBits, keyUsageCritical: s.keyUsageCritical,
        extendedKeyUsage: s.extendedKeyUsage, subjectAltName: s.subjectAltName, basicConstraintsCA: s.basicConstraintsCA,
      };
      out.dnsNames = s.dnsNames;
      if (s.templateName) out.microsoft.templateName = s.templateName;
      understood = true;
    } else if (first) {
      understood = applyMicrosoftAttribute(out.microsoft, oid, first);
    }
    if (!understood) out.unknownAttributes.push(oid);
  }
}

/** Parse a PKCS#10 DER (exactly one CertificationRequest). */
export function parsePkcs10(csrDer: Buffer): Pkcs10Part {
  const outer = readTlv(csrDer, 0);
  const [criTlv] = tlvChildren(csrDer, outer);
  if (!criTlv || outer.end !== csrDer.length) throw notARequest('not a single ASN.1 SEQUENCE');
  const root = parseDer(csrDer);
  const cri = child(root, 0, Type.SEQUENCE);
  checkIsCri(cri);
  const algId = child(root, 1, Type.SEQUENCE);
  const subjectNode = child(cri, 1, Type.SEQUENCE);
  const spkiTlv = tlvChildren(csrDer, criTlv)[2]!;
  const publicKeyDer = Buffer.from(tlvBytes(csrDer, spkiTlv));
  const sigOid = oidOf(child(algId, 0));
  const out: Pkcs10Part = {
    csrDer,
    fingerprint: createHash('sha256').update(csrDer).digest('hex'),
    subject: formatName(subjectNode),
    commonNames: commonNamesOf(subjectNode),
    dnsNames: [],
    fqdn: null,
    key: describeSpki(child(cri, 2, Type.SEQUENCE)),
    publicKeyDer,
    signatureAlgorithm: signatureAlgorithmName(sigOid),
    signatureAlgorithmOid: sigOid,
    signatureValid: verifySignature(algId, tlvBytes(csrDer, criTlv), child(root, 2), publicKeyObject(publicKeyDer)),
    microsoft: emptyMicrosoftInfo(),
    requestedExtensions: { keyUsage: [], keyUsageBits: null, keyUsageCritical: null, extendedKeyUsage: [], subjectAltName: [], basicConstraintsCA: null },
    attributes: [],
    unknownAttributes: [],
  };
  const attrsNode = children(cri)[3]!;
  if (attrsNode.tagClass !== CONTEXT || attrsNode.type !== 0) throw notARequest('the attributes [0] element is missing');
  readAttributes(attrsNode, out);
  out.fqdn = out.commonNames[0] ?? out.dnsNames[0] ?? null;
  return out;
}

function isContentInfo(root: Asn1): boolean {
  const first = children(root)[0];
  return first?.type === Type.OID && first.tagClass === 0;
}

function parseDecoded(der: Buffer): ParsedRequest {
  const root = parseDer(der);
  if (!isContentInfo(root)) return { format: 'pkcs10', ...parsePkcs10(der), cmsSigner: null };
  const contentType = oidOf(child(root, 0));
  if (contentType !== OID.cmsSignedData) throw notARequest(`found a CMS ContentInfo of type ${contentType}, not SignedData`);
  const cms = unwrapCms(der);
  const inner = parsePkcs10(cms.csrDer);
  const cmsSigner = cms.verifySigner(publicKeyObject(inner.publicKeyDer));
  if (cms.clientInfo && !inner.microsoft.client) inner.microsoft.client = cms.clientInfo;
  return { format: 'cmc', ...inner, cmsSigner };
}

export function parseRequest(bytes: Buffer): ParsedRequest {
  try {
    return parseDecoded(decodeRequestBytes(bytes));
  } catch (err) {
    // DER that is not well-formed is, here, a file that is not a request.
    if (err instanceof AgentcertError && err.code !== 'AC_DER_MALFORMED') throw err;
    throw new AgentcertError('AC_NOT_A_REQUEST', `the file holds DER that is not a certificate request: ${(err as Error)?.message ?? String(err)}`, [], { cause: err });
  }
}
