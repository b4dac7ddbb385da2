/** signCrl / parseCrl: a v2 CRL that openssl accepts, with reason codes, AKI and cRLNumber (RFC 5280 §5). */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRootCa, createIssuingCa, signCrl, parseCrl, derToPem, describeCertificate, type RevocationReason } from '../../services/pki/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pki-crl-'));
const notBefore = new Date('2025-01-01T00:00:00Z');
const root = createRootCa({ commonName: 'CRL Root', keyBits: 2048, notBefore, notAfter: new Date('2040-01-01T00:00:00Z') });
const issuing = createIssuingCa({ parent: root, commonName: 'CRL Issuing', organization: 'Contoso', keyBits: 2048, notBefore, notAfter: new Date('2035-01-01T00:00:00Z') });
const entries: { serialHex: string; revokedAt: Date; reason: RevocationReason }[] = [
  { serialHex: '1F00000008C694DAC94BCFDC4A000000000008', revokedAt: new Date('2026-02-03T04:05:06Z'), reason: 'keyCompromise' },
  { serialHex: '00AF3C56', revokedAt: new Date('2026-02-04T00:00:00Z'), reason: 'superseded' },
  { serialHex: '4242', revokedAt: new Date('2026-02-05T00:00:00Z'), reason: 'cessationOfOperation' },
  { serialHex: '4343', revokedAt: new Date('2026-02-06T00:00:00Z'), reason: 'unspecified' },
];
const thisUpdate = new Date('2026-03-01T00:00:00Z');
const nextUpdate = new Date('2026-03-08T00:00:00Z');
const crl = signCrl({ issuer: issuing, entries, thisUpdate, nextUpdate, crlNumber: 7n });

describe('CRL', () => {
  it('round-trips issuer, dates, number, serials and reasons', () => {
    const parsed = parseCrl(crl);
    expect(parsed).toMatchObject({ issuer: 'CN=CRL Issuing, O=Contoso', thisUpdate, nextUpdate, crlNumber: 7n });
    expect(parsed.entries).toEqual([
      { serialHex: entries[0]!.serialHex, revokedAt: entries[0]!.revokedAt, reason: 'keyCompromise' },
      { serialHex: '00AF3C56', revokedAt: entries[1]!.revokedAt, reason: 'superseded' },
      { serialHex: '4242', revokedAt: entries[2]!.revokedAt, reason: 'cessationOfOperation' },
      // RFC 5280 §5.3.1: the unspecified reason SHOULD be absent, so it reads back as null
      { serialHex: '4343', revokedAt: entries[3]!.revokedAt, reason: null },
    ]);
  });

  it('checks its signature against the issuer only', () => {
    const parsed = parseCrl(crl);
    expect(parsed.signatureValidWith(issuing.certDer)).toBe(true);
    expect(parsed.signatureValidWith(root.certDer)).toBe(false);
    const tampered = Buffer.from(crl);
    tampered[tampered.indexOf(Buffer.from('4242', 'hex'))]! ^= 1;
    expect(parseCrl(tampered).signatureValidWith(issuing.certDer)).toBe(false);
  });

  it('is accepted by openssl crl -verify, with reasons, AKI and CRL number shown', () => {
    const crlPath = join(dir, 'ca.crl');
    const caPath = join(dir, 'issuing.pem');
    writeFileSync(crlPath, derToPem(crl, 'X509 CRL'));
    writeFileSync(caPath, derToPem(issuing.certDer, 'CERTIFICATE'));
    const run = spawnSync('openssl', ['crl', '-in', crlPath, '-CAfile', caPath, '-noout', '-verify', '-text'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('verify OK');
    expect(run.stdout).toMatch(/X509v3 CRL Number:\s+7/);
    expect(run.stdout).toContain('Key Compromise');
    expect(run.stdout).toContain('Superseded');
    expect(run.stdout).toContain('Cessation Of Operation');
    const aki = describeCertificate(issuing.certDer).subjectKeyId!.toUpperCase().match(/../g)!.join(':');
    expect(run.stdout).toContain(aki);
    expect(run.stdout).toContain('Version 2');
  });

  it('leaves out revokedCertificates when nothing is revoked, and openssl still accepts it', () => {
    const empty = signCrl({ issuer: root, entries: [], thisUpdate, nextUpdate, crlNumber: 1n });
    expect(parseCrl(empty)).toMatchObject({ entries: [], crlNumber: 1n, issuer: 'CN=CRL Root' });
    const path = join(dir, 'empty.crl');
    writeFileSync(path, derToPem(empty, 'X509 CRL'));
    writeFileSync(join(dir, 'root.pem'), derToPem(root.certDer, 'CERTIFICATE'));
    const out = execFileSync('openssl', ['crl', '-in', path, '-CAfile', join(dir, 'root.pem'), '-noout', '-verify'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBeDefined();
    expect(parseCrl(empty).signatureValidWith(root.certDer)).toBe(true);
  });
});
