/**
 * makeSampleRequest: a request like certreq.exe writes from the classic SCOM INF, and its bad variants.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSampleRequest, parseRequest, derToPem } from '../../services/pki/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pki-req-'));
/** OpenSSL 3.0 `req -verify` exits 0 either way; its verdict is the "verify OK" / "verify failure" line. */
const opensslVerify = (pem: string, name: string): { ok: boolean; output: string } => {
  const path = join(dir, name);
  writeFileSync(path, pem);
  const run = spawnSync('openssl', ['req', '-in', path, '-noout', '-verify'], { encoding: 'utf8' });
  const output = `${run.stdout}${run.stderr}`;
  return { ok: run.status === 0 && /verify OK/.test(output) && !/verify failure/.test(output), output };
};

const sample = makeSampleRequest('web01.contoso.local');
const key = sample.privateKey; // reused below: RSA key generation is the slow part

describe('makeSampleRequest', () => {
  it('looks like certreq output: NEW CERTIFICATE REQUEST header, CRLF line ends', () => {
    expect(sample.pem.startsWith('-----BEGIN NEW CERTIFICATE REQUEST-----\r\n')).toBe(true);
    expect(sample.pem.replace(/\r\n/g, '')).not.toContain('\n');
    expect(sample.pem.trimEnd().endsWith('-----END NEW CERTIFICATE REQUEST-----')).toBe(true);
  });

  it('parses back to the classic SCOM INF request', () => {
    const r = parseRequest(Buffer.from(sample.pem));
    expect(r).toMatchObject({
      format: 'pkcs10', subject: 'CN=web01.contoso.local', fqdn: 'web01.contoso.local', key: { algorithm: 'RSA', bits: 2048 },
      signatureAlgorithm: 'sha256WithRSAEncryption', signatureValid: true,
      microsoft: {
        osVersion: '10.0.26100.2', client: { id: 9, machine: 'web01.contoso.local', user: 'CONTOSO\\Administrator', process: 'certreq.exe' },
        csp: { keySpec: 1, provider: 'Microsoft RSA SChannel Cryptographic Provider' },
      },
      requestedExtensions: { keyUsageBits: 0xa0, keyUsageCritical: true, keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: [] },
    });
    expect(r.attributes.map((a) => a.name)).toEqual(['OSVersion', 'ExtensionRequest', 'ClientInfo', 'EnrollmentCSP']);
    expect(r.csrDer.equals(sample.der)).toBe(true);
  });

  it('writes the KU exactly as certreq does (03 02 05 a0, critical)', () => {
    expect(sample.der.includes(Buffer.from('0603551d0f0101ff040403020' + '5a0', 'hex'))).toBe(true);
  });

  it('openssl req -verify agrees with signatureValid, for a good and a corrupted signature', () => {
    expect(opensslVerify(sample.pem, 'good.req').ok).toBe(true);
    const bad = makeSampleRequest('web01.contoso.local', { privateKey: key, corruptSignature: true });
    expect(parseRequest(bad.der).signatureValid).toBe(false);
    expect(opensslVerify(bad.pem, 'bad.req').ok).toBe(false);
  });

  it('makes the variants a policy must reject: KSP keySpec 0, SHA-1, EC key, no CSP, EKU/SAN/CA requests', () => {
    const ksp = parseRequest(makeSampleRequest('a.contoso.local', { privateKey: key, keySpec: 0, provider: 'Microsoft Software Key Storage Provider' }).der);
    expect(ksp.microsoft.csp).toEqual({ keySpec: 0, provider: 'Microsoft Software Key Storage Provider' });
    const sha1 = parseRequest(makeSampleRequest('a.contoso.local', { privateKey: key, hash: 'sha1' }).der);
    expect(sha1).toMatchObject({ signatureAlgorithm: 'sha1WithRSAEncryption', signatureValid: true });
    const ec = makeSampleRequest('a.contoso.local', { keyType: 'ec' });
    expect(parseRequest(ec.der)).toMatchObject({ key: { algorithm: 'EC', bits: 256, curve: 'P-256' }, signatureAlgorithm: 'ecdsa-with-SHA256', signatureValid: true });
    expect(opensslVerify(ec.pem, 'ec.req').ok).toBe(true);
    const bare = parseRequest(makeSampleRequest('a.contoso.local', { privateKey: key, keySpec: null, osVersion: null, clientInfo: false, keyUsageBits: null }).der);
    expect(bare.microsoft).toMatchObject({ csp: null, osVersion: null, client: null });
    expect(bare.requestedExtensions.keyUsageBits).toBeNull();
    const full = parseRequest(makeSampleRequest('a.contoso.local', {
      privateKey: key, withEku: true, dnsNames: ['a.contoso.local', 'a'], basicConstraintsCA: true, subject: { cn: ['a.contoso.local', 'A'], o: 'Contoso' },
    }).der);
    expect(full.requestedExtensions).toMatchObject({
      extendedKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], subjectAltName: ['DNS:a.contoso.local', 'DNS:a'], basicConstraintsCA: true,
    });
    expect(full).toMatchObject({ subject: 'CN=A, CN=a.contoso.local, O=Contoso', commonNames: ['a.contoso.local', 'A'] });
  });

  it('reads the Windows 2000 legacy extension attribute like extensionRequest', () => {
    const r = parseRequest(makeSampleRequest('a.contoso.local', { privateKey: key, legacyExtensionAttribute: true, withEku: true }).der);
    expect(r.attributes[1]).toEqual({ oid: '1.3.6.1.4.1.311.2.1.14', name: 'ExtensionRequest' });
    expect(r.requestedExtensions.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('an empty subject falls back to the first DNS SAN for the fqdn; none gives null', () => {
    expect(parseRequest(makeSampleRequest('x', { privateKey: key, subject: null, dnsNames: ['san.contoso.local'] }).der).fqdn).toBe('san.contoso.local');
    expect(parseRequest(makeSampleRequest('x', { privateKey: key, subject: null }).der)).toMatchObject({ fqdn: null, subject: '' });
  });

  it('round-trips through derToPem with the plain CERTIFICATE REQUEST header', () => {
    expect(parseRequest(Buffer.from(derToPem(sample.der, 'CERTIFICATE REQUEST'))).fingerprint).toBe(parseRequest(sample.der).fingerprint);
  });
});
