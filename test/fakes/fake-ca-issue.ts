/**
 * The fake CA's request database operations: take a request, issue it with the built-in CA's signing code
 * (services/pki), deny it. Issued certificates carry the EKUs the request asked for, or those set with
 * `certutil -setextension <id> 2.5.29.37` — a stand-alone CA has no template to add any (docs/scom-facts.md §7, §8.1).
 */
import { decodeEkuExtensionValue } from '../../services/ca/adcs/index.js';
import { derToPem, newSerialHex, parseRequest, signLeafCertificate } from '../../services/pki/index.js';
import { loadCa, nextRequestId, writeRequest, type FakeRequestRecord, type FakeScenario } from './fake-ca-state.js';
import { DENY_MESSAGE } from './fake-ca-text.js';

export function createRequestRecord(dir: string, csrBytes: Buffer): FakeRequestRecord {
  const parsed = parseRequest(csrBytes);
  const record: FakeRequestRecord = {
    id: nextRequestId(dir), status: 'pending', csrPem: derToPem(parsed.csrDer, 'NEW CERTIFICATE REQUEST'),
    fqdn: parsed.fqdn ?? parsed.commonNames[0] ?? 'unknown', publicKeyDerB64: parsed.publicKeyDer.toString('base64'),
    requestedEkus: parsed.requestedExtensions.extendedKeyUsage, extensions: {}, serialHex: null, certB64: null,
    dispositionMessage: 'Taken Under Submission', revocationReason: null,
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
  const der = signLeafCertificate({
    issuer: ca, publicKeyDer: Buffer.from(record.publicKeyDerB64, 'base64'), fqdn: record.fqdn, serialHex, notBefore, notAfter, extendedKeyUsage,
  });
  const issued: FakeRequestRecord = { ...record, status: 'issued', serialHex, certB64: der.toString('base64'), dispositionMessage: 'Issued' };
  writeRequest(dir, issued);
  return issued;
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
