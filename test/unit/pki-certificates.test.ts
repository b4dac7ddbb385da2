/**
 * The built-in CA's certificates: what openssl and the SCOM checkers see on them (docs/scom-facts.md §1.1, §4.1).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createRootCa, createIssuingCa, signLeafCertificate, describeCertificate, verifyChain, makeSampleRequest,
  parseRequest, derToPem, reverseSerialHex, spkiOfKey, buildCertificate, issuerParts, buildName,
  basicConstraintsExtension, keyUsageExtension, authorityKeyIdExtension,
} from '../../services/pki/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pki-cert-'));
const write = (name: string, der: Buffer, label = 'CERTIFICATE') => {
  const path = join(dir, name);
  writeFileSync(path, derToPem(der, label));
  return path;
};
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const notBefore = new Date('2025-01-01T00:00:00Z');
const at = new Date('2026-06-01T00:00:00Z');
const root = createRootCa({ commonName: 'Agentcert Root', organization: 'Contoso', keyBits: 2048, notBefore, notAfter: new Date('2045-01-01T00:00:00Z') });
const issuing = createIssuingCa({ parent: root, commonName: 'Agentcert Issuing', organization: 'Contoso', keyBits: 2048, notBefore, notAfter: new Date('2035-01-01T00:00:00Z') });
const request = parseRequest(Buffer.from(makeSampleRequest('web01.contoso.local').pem));
const leafOptions = {
  issuer: issuing, publicKeyDer: request.publicKeyDer, fqdn: 'web01.contoso.local', serialHex: '1F00000008C694DAC94BCFDC4A000000000008',
  notBefore: new Date('2025-06-01T12:00:00Z'), notAfter: new Date('2027-06-01T12:00:00Z'), crlDistributionPoint: 'http://pki.contoso.local/agentcert.crl',
};
const leaf = signLeafCertificate(leafOptions);

describe('CA certificates', () => {
  it('root: self-signed, CA:TRUE critical, KU keyCertSign+cRLSign critical, SKI', () => {
    const path = write('root.pem', root.certDer);
    const text = openssl('x509', '-in', path, '-noout', '-text');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE\s/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(openssl('verify', '-CAfile', path, path)).toContain('OK');
  });

  it('issuing: pathlen 0, AKI = root SKI, signed by the root', () => {
    const info = describeCertificate(issuing.certDer);
    expect(info).toMatchObject({ isCA: true, pathLength: 0, issuer: 'CN=Agentcert Root, O=Contoso', subject: 'CN=Agentcert Issuing, O=Contoso' });
    expect(info.authorityKeyId).toBe(describeCertificate(root.certDer).subjectKeyId);
    const text = openssl('x509', '-in', write('issuing.pem', issuing.certDer), '-noout', '-text');
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(openssl('verify', '-CAfile', join(dir, 'root.pem'), join(dir, 'issuing.pem'))).toContain('OK');
  });
});

describe('signLeafCertificate', () => {
  it('is deterministic: the same inputs give byte-identical DER', () => {
    expect(signLeafCertificate(leafOptions).equals(leaf)).toBe(true);
    expect(signLeafCertificate({ ...leafOptions, serialHex: '1F00000008C694DAC94BCFDC4A000000000009' }).equals(leaf)).toBe(false);
  });

  it('passes openssl verify for a two-tier chain and a one-tier chain', () => {
    const rootPath = write('root.pem', root.certDer);
    expect(openssl('verify', '-CAfile', rootPath, '-untrusted', write('issuing.pem', issuing.certDer), write('leaf.pem', leaf))).toContain('leaf.pem: OK');
    const direct = signLeafCertificate({ ...leafOptions, issuer: root });
    expect(openssl('verify', '-CAfile', rootPath, write('leaf1.pem', direct))).toContain('leaf1.pem: OK');
  });

  it('has what SCOM needs: both EKUs, KU critical, SAN, CA:FALSE, SKI/AKI, CRL DP (openssl x509 -text)', () => {
    const text = openssl('x509', '-in', write('leaf.pem', leaf), '-noout', '-text');
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    expect(text).toMatch(/X509v3 Subject Alternative Name:\s+DNS:web01.contoso.local\n/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toMatch(/CRL Distribution Points:[\s\S]*URI:http:\/\/pki.contoso.local\/agentcert.crl/);
    expect(text).toMatch(/Subject: CN\s?=\s?web01.contoso.local\n/);
    expect(text).toContain('Not Before: Jun  1 12:00:00 2025 GMT');
    expect(text).toContain('Not After : Jun  1 12:00:00 2027 GMT');
  });

  it('describes the leaf as Windows would: serial, reversed serial, thumbprint, key ids', () => {
    const info = describeCertificate(leaf);
    expect(info.serialNumber).toBe('1F00000008C694DAC94BCFDC4A000000000008');
    // docs/scom-facts.md §2: serial 1f00000008c694dac94bcfdc4a000000000008 → registry 08 00 00 00 00 00 4a dc cf 4b c9 da 94 c6 08 00 00 00 1f
    expect(info.serialNumberReversed).toBe('0800000000004ADCCF4BC9DA94C6080000001F');
    expect(info.serialNumberReversed).toBe(reverseSerialHex(info.serialNumber));
    const fingerprint = openssl('x509', '-in', join(dir, 'leaf.pem'), '-noout', '-fingerprint', '-sha1').trim();
    expect(fingerprint.split('=')[1]!.replace(/:/g, '')).toBe(info.thumbprint);
    expect(info).toMatchObject({
      subject: 'CN=web01.contoso.local', commonNames: ['web01.contoso.local'], dnsNames: ['web01.contoso.local'],
      extendedKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], keyUsageBits: 0xa0, isCA: false,
      key: { algorithm: 'RSA', bits: 2048 }, signatureAlgorithm: 'sha256WithRSAEncryption',
      notBefore: leafOptions.notBefore, notAfter: leafOptions.notAfter,
    });
    expect(info.authorityKeyId).toBe(describeCertificate(issuing.certDer).subjectKeyId);
    expect(info.publicKeyDer.equals(request.publicKeyDer)).toBe(true);
  });

  it('keeps the 00 sign byte of a serial whose top bit is set', () => {
    const der = signLeafCertificate({ ...leafOptions, serialHex: 'AF3C56' });
    expect(describeCertificate(der)).toMatchObject({ serialNumber: '00AF3C56', serialNumberReversed: '563CAF00' });
  });

  it('uses GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    const der = signLeafCertificate({ ...leafOptions, notAfter: new Date('2051-03-04T05:06:07Z') });
    expect(der.includes(Buffer.from('20510304050607Z'))).toBe(true);
    expect(describeCertificate(der).notAfter).toEqual(new Date('2051-03-04T05:06:07Z'));
    expect(der.includes(Buffer.from('250601120000Z'))).toBe(true);
  });

  it('honours a custom EKU list and works for an EC request key', () => {
    const ec = parseRequest(makeSampleRequest('ec.contoso.local', { keyType: 'ec' }).der);
    const der = signLeafCertificate({ ...leafOptions, publicKeyDer: ec.publicKeyDer, extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'] });
    expect(describeCertificate(der)).toMatchObject({ extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'], key: { algorithm: 'EC', bits: 256 } });
    expect(openssl('verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem'), write('ec.pem', der))).toContain('OK');
  });
});

describe('verifyChain', () => {
  const base = { leafDer: leaf, intermediatesDer: [issuing.certDer], trustedRootsDer: [root.certDer], at };
  const failed = (r: ReturnType<typeof verifyChain>) => r.checks.filter((c) => !c.passed).map((c) => c.rule);

  it('accepts a good two-tier chain and a good one-tier chain, leaf first', () => {
    const r = verifyChain(base);
    expect(r.ok).toBe(true);
    expect(r.chain.map((c) => c.subject)).toEqual(['CN=web01.contoso.local', 'CN=Agentcert Issuing, O=Contoso', 'CN=Agentcert Root, O=Contoso']);
    expect(r.checks.filter((c) => c.rule === 'signature')).toHaveLength(2);
    const one = verifyChain({ ...base, leafDer: signLeafCertificate({ ...leafOptions, issuer: root }), intermediatesDer: [] });
    expect(one.ok).toBe(true);
  });

  it('fails root-trusted when the root is not the trusted one', () => {
    const other = createRootCa({ commonName: 'Other Root', keyBits: 2048, notBefore, notAfter: new Date('2045-01-01T00:00:00Z') });
    const r = verifyChain({ ...base, trustedRootsDer: [other.certDer] });
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual(['root-trusted']);
    expect(verifyChain({ ...base, intermediatesDer: [] }).ok).toBe(false);
  });

  it('fails validity for an expired leaf and names the date', () => {
    const r = verifyChain({ ...base, at: new Date('2028-01-01T00:00:00Z') });
    expect(failed(r)).toEqual(['validity']);
    expect(r.checks.find((c) => !c.passed)!.message).toContain('web01.contoso.local');
  });

  it('fails when a non-CA certificate signed the leaf (no keyCertSign, CA:FALSE)', () => {
    const webKey = makeSampleRequest('web01.contoso.local').privateKey;
    const web = signLeafCertificate({ ...leafOptions, publicKeyDer: spkiOfKey(webKey) });
    const child = signLeafCertificate({ ...leafOptions, issuer: { certDer: web, key: webKey }, fqdn: 'child.contoso.local' });
    const r = verifyChain({ ...base, leafDer: child, intermediatesDer: [web, issuing.certDer] });
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual(expect.arrayContaining(['ca-key-cert-sign', 'ca-basic-constraints']));
  });

  it('fails ca-key-cert-sign for a CA:TRUE issuer whose key usage lacks keyCertSign', () => {
    const key = makeSampleRequest('x').privateKey;
    const parent = issuerParts(root.certDer);
    const badCa = buildCertificate({
      issuerKey: root.key, issuerName: parent.subject, subjectName: buildName({ commonName: ['No CertSign CA'] }),
      spkiDer: spkiOfKey(key), serialHex: '4242', notBefore, notAfter: new Date('2035-01-01T00:00:00Z'),
      extensions: [basicConstraintsExtension(true, 0), keyUsageExtension(['digitalSignature', 'cRLSign']), authorityKeyIdExtension(parent.keyId)],
    });
    const child = signLeafCertificate({ ...leafOptions, issuer: { certDer: badCa, key } });
    const r = verifyChain({ ...base, leafDer: child, intermediatesDer: [badCa] });
    expect(failed(r)).toEqual(['ca-key-cert-sign']);
    expect(r.checks.find((c) => !c.passed)!.message).toContain('No CertSign CA');
  });

  it('fails signature when the leaf was tampered with', () => {
    const tampered = Buffer.from(leaf);
    const at = tampered.indexOf(Buffer.from('web01.contoso.local'));
    tampered[at] = 'W'.charCodeAt(0);
    const r = verifyChain({ ...base, leafDer: tampered });
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual(['signature']);
  });
});
