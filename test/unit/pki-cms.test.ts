/**
 * Renewal requests: a PKCS#10 inside CMS SignedData, signed with the current certificate's key, either as plain
 * data or inside CMC PKIData (docs/scom-facts.md §5: certreq can emit CMC under the same PEM header).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createRootCa, signLeafCertificate, makeSampleRequest, parseRequest, wrapRequestInCms, derToPem, describeCertificate,
} from '../../services/pki/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pki-cms-'));
const root = createRootCa({ commonName: 'CMS Root', keyBits: 2048, notBefore: new Date('2025-01-01Z'), notAfter: new Date('2040-01-01Z') });
const current = makeSampleRequest('web01.contoso.local');
const currentCert = signLeafCertificate({
  issuer: root, publicKeyDer: parseRequest(current.der).publicKeyDer, fqdn: 'web01.contoso.local', serialHex: '00C0FFEE01',
  notBefore: new Date('2025-01-01Z'), notAfter: new Date('2026-01-01Z'),
});
const renewal = makeSampleRequest('web01.contoso.local'); // a new key for the renewed certificate

describe.each([false, true])('wrapRequestInCms (cmc: %s)', (cmc) => {
  const cms = wrapRequestInCms({ csrDer: renewal.der, signerCertDer: currentCert, signerKey: current.privateKey, cmc });

  it('parses as cmc with the inner PKCS#10 byte-exact and the signer verified', () => {
    const r = parseRequest(cms);
    expect(r.format).toBe('cmc');
    expect(r.csrDer.equals(renewal.der)).toBe(true);
    expect(r.fingerprint).toBe(parseRequest(renewal.der).fingerprint);
    expect(r).toMatchObject({ fqdn: 'web01.contoso.local', signatureValid: true, microsoft: { csp: { keySpec: 1 } } });
    expect(r.cmsSigner!.certificateDer!.equals(currentCert)).toBe(true);
    expect(r.cmsSigner!.issuerAndSerial).toEqual({ issuer: 'CN=CMS Root', serialHex: describeCertificate(currentCert).serialNumber });
    expect(r.cmsSigner!.signatureValid).toBe(true);
  });

  it('arrives in PEM under the PKCS7 or NEW CERTIFICATE REQUEST header too', () => {
    expect(parseRequest(Buffer.from(derToPem(cms, 'PKCS7'))).format).toBe('cmc');
    expect(parseRequest(Buffer.from(derToPem(cms, 'NEW CERTIFICATE REQUEST'))).csrDer.equals(renewal.der)).toBe(true);
  });

  it('reports the signer invalid when signed with a key that is not the certificate\'s', () => {
    const forged = wrapRequestInCms({ csrDer: renewal.der, signerCertDer: currentCert, signerKey: renewal.privateKey, cmc });
    expect(parseRequest(forged).cmsSigner!.signatureValid).toBe(false);
  });

  it('reports the signer invalid when the content was changed after signing', () => {
    const tampered = Buffer.from(cms);
    const cn = tampered.indexOf(Buffer.from('web01.contoso.local'));
    tampered[cn] = 'W'.charCodeAt(0);
    const r = parseRequest(tampered);
    expect(r.cmsSigner!.signatureValid).toBe(false);
    expect(r.signatureValid).toBe(false);
  });

  it('is a SignedData openssl cms can verify', () => {
    const path = join(dir, `renewal-${cmc}.p7`);
    writeFileSync(path, cms);
    const run = spawnSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', path, '-noverify', '-binary', '-out', join(dir, `out-${cmc}.der`)], { encoding: 'utf8' });
    expect(run.stderr).toContain('Verification successful');
  });
});

it('takes the client info from the CMC control 1.3.6.1.4.1.311.10.10.1 when the inner request has none', () => {
  const bare = makeSampleRequest('web02.contoso.local', { privateKey: renewal.privateKey, clientInfo: false });
  const clientInfo = { id: 9, machine: 'web02.contoso.local', user: 'CONTOSO\\svc', process: 'certreq.exe' };
  const cms = wrapRequestInCms({ csrDer: bare.der, signerCertDer: currentCert, signerKey: current.privateKey, cmc: true, clientInfo });
  const r = parseRequest(cms);
  expect(r.microsoft.client).toEqual(clientInfo);
  expect(r.attributes.map((a) => a.name)).not.toContain('ClientInfo');
  expect(parseRequest(bare.der).microsoft.client).toBeNull();
});
