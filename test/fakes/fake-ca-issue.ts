/**
 * The fake CA's request database operations: take a request, issue it with the built-in CA's signing code
 * (services/pki), deny it. Issued certificates carry the EKUs the request asked for, or those set with
 * `certutil -setextension <id> 2.5.29.37` — a stand-alone CA has no template to add any (docs/scom-facts.md §7, §8.1) —
 * and the SAN the request asked for, copied as a stand-alone CA copies request extensions, unless
 * `certutil -setextension <id> 2.5.29.17` replaced it on the pending request.
 */
import { decodeEkuExtensionValue, encodeSanExtensionValue } from '../../services/ca/adcs/index.js';
import {
  authorityKeyIdExtension, basicConstraintsExtension, buildCertificate, buildName, derToPem, extKeyUsageExtension, issuerParts,
  keyIdentifier, keyUsageExtension, newSerialHex, parseRequest, subjectKeyIdExtension, type CaMaterial,
} from '../../services/pki/index.js';
import { child, children, oidOf, parseDer } from '../../services/pki/asn1-read.js';
import { readExtensions } from '../../services/pki/extensions.js';
import { extension } from '../../services/pki/x509-extensions.js';
import { loadCa, nextRequestId, writeRequest, type FakeRequestRecord, type FakeScenario } from './fake-ca-state.js';
import { DENY_MESSAGE } from './fake-ca-text.js';

const OID_SAN = '2.5.29.17';
const REQUEST_EXTENSION_ATTRIBUTES = new Set(['1.2.840.113549.1.9.14', '1.3.6.1.4.1.311.2.1.14']);

/** The request's own SubjectAltName extension value, which a stand-alone CA copies into the certificate. */
function requestedSanValue(csrDer: Buffer): Buffer | null {
  const attrs = children(child(parseDer(csrDer), 0))[3];
  for (const attr of attrs ? children(attrs) : []) {
    if (!REQUEST_EXTENSION_ATTRIBUTES.has(oidOf(child(attr, 0)))) continue;
    const san = readExtensions(children(child(attr, 1))[0]!).find((e) => e.oid === OID_SAN);
    if (san) return san.value;
  }
  return null;
}

export function createRequestRecord(dir: string, csrBytes: Buffer, attributes: string | null = null): FakeRequestRecord {
  const parsed = parseRequest(csrBytes);
  const record: FakeRequestRecord = {
    id: nextRequestId(dir), status: 'pending', csrPem: derToPem(parsed.csrDer, 'NEW CERTIFICATE REQUEST'),
    fqdn: parsed.fqdn ?? parsed.commonNames[0] ?? 'unknown', publicKeyDerB64: parsed.publicKeyDer.toString('base64'),
    requestedEkus: parsed.requestedExtensions.extendedKeyUsage, extensions: {}, serialHex: null, certB64: null,
    dispositionMessage: 'Taken Under Submission', revocationReason: null,
    requestedSanB64: requestedSanValue(parsed.csrDer)?.toString('base64') ?? null, attributes,
  };
  writeRequest(dir, record);
  return record;
}

export function issueRequest(dir: string, record: FakeRequestRecord, caName: string, scenario: FakeScenario): FakeRequestRecord {
  const ca = loadCa(dir, caName);
  const eku = record.extensions['2.5.29.37'];
  // signLeafCertificate always writes an EKU extension; an empty list stands for "the request asked none".
  const extendedKeyUsage = eku ? decodeEkuExtensionValue(Buffer.from(eku.valueB64, 'base64')) : record.requestedEkus;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (scenario.validityDays ?? 365) * 86_400_000);
  const serialHex = newSerialHex();
  // The SAN as a stand-alone CA issues it: set with -setextension, else copied from the request (scenario san).
  const setSan = record.extensions[OID_SAN]?.valueB64;
  const copied = (scenario.san ?? 'copy') === 'copy' ? record.requestedSanB64 : null;
  const sanValue = setSan ?? copied ?? null;
  const der = leafCertificate(ca, record, { serialHex, notBefore, notAfter, extendedKeyUsage, sanValue: sanValue ? Buffer.from(sanValue, 'base64') : null, sanFqdn: scenario.san === 'fqdn' });
  const issued: FakeRequestRecord = { ...record, status: 'issued', serialHex, certB64: der.toString('base64'), dispositionMessage: 'Issued' };
  writeRequest(dir, issued);
  return issued;
}

/** The leaf the fake CA signs: CN from the request, the EKUs it was given, the SAN as a stand-alone CA would. */
function leafCertificate(ca: CaMaterial, record: FakeRequestRecord, o: { serialHex: string; notBefore: Date; notAfter: Date; extendedKeyUsage: string[]; sanValue: Buffer | null; sanFqdn: boolean }): Buffer {
  const issuer = issuerParts(ca.certDer);
  const publicKeyDer = Buffer.from(record.publicKeyDerB64, 'base64');
  const extensions = [basicConstraintsExtension(false), keyUsageExtension(['digitalSignature', 'keyEncipherment'])];
  if (o.extendedKeyUsage.length) extensions.push(extKeyUsageExtension(o.extendedKeyUsage));
  if (o.sanValue) extensions.push(extension(OID_SAN, false, parseDer(o.sanValue)));
  else if (o.sanFqdn) extensions.push(extension(OID_SAN, false, parseDer(encodeSanExtensionValue([record.fqdn]))));
  extensions.push(subjectKeyIdExtension(keyIdentifier(publicKeyDer)), authorityKeyIdExtension(issuer.keyId));
  return buildCertificate({
    issuerKey: ca.key, issuerName: issuer.subject, subjectName: buildName({ commonName: [record.fqdn] }), spkiDer: publicKeyDer,
    serialHex: o.serialHex, notBefore: o.notBefore, notAfter: o.notAfter, extensions,
  });
}

export function denyRequest(dir: string, record: FakeRequestRecord): FakeRequestRecord {
  const denied: FakeRequestRecord = { ...record, status: 'denied', dispositionMessage: DENY_MESSAGE };
  writeRequest(dir, denied);
  return denied;
}

/** certreq writes the certificate as Base64 with PEM armour and CRLF by default (`-binary` for DER). */
export function certificateFileBytes(record: FakeRequestRecord, binary: boolean): Buffer {
  const der = Buffer.from(record.certB64!, 'base64');
  return binary ? der : Buffer.from(derToPem(der, 'CERTIFICATE').replace(/\n/g, '\r\n'));
}

/** `HOST\CA Name` → the CA name (docs/scom-facts.md §6: -config CAHostName\CAName). */
export function caNameOf(config: string): string | null {
  const m = /^([^\\]+)\\(.+)$/.exec(config);
  return m ? m[2]! : null;
}
