import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest, renderRenewalInf, renewalKeyLength, renewalSharePaths, renewalTaskName } from '../../services/packaging/index.js';
import { makeTestPki, type TestPki } from '../fixtures/packaging/test-pki.js';

const template = readFileSync(path.resolve(import.meta.dirname, '../../inf-templates/renewal.inf'), 'utf8');
const THUMB = '0123456789ABCDEF0123456789ABCDEF01234567';

/** The [NewRequest] keys of an INF as certreq reads them: `key = value`, comments after `;` dropped. */
function newRequestKeys(inf: string): Map<string, string> {
  const section = inf.slice(inf.indexOf('[NewRequest]'), inf.indexOf('[EnhancedKeyUsageExtension]'));
  const keys = new Map<string, string>();
  for (const line of section.split(/\r\n/)) {
    const m = /^([A-Za-z]+)\s*=\s*(.+?)\s*$/.exec(line);
    if (m) keys.set(m[1]!.toLowerCase(), m[2]!);
  }
  return keys;
}

describe('renderRenewalInf (inf-templates/renewal.inf with the certificate being renewed)', () => {
  it('fills in RenewalCert with the thumbprint, the FQDN and the key length; keeps what SCOM and a certreq renewal need', () => {
    const inf = renderRenewalInf(template, { fqdn: 'agent01.contoso.com', thumbprint: THUMB, keyLength: 3072 });
    expect(inf).not.toMatch(/[^\r]\n/);
    expect(inf).not.toContain('{{');
    expect(/^[\t\r\n\x20-\x7e]*$/.test(inf)).toBe(true);
    const k = newRequestKeys(inf);
    expect(k.get('renewalcert')).toBe(`"${THUMB}"`);
    expect(k.get('subject')).toBe('"CN=agent01.contoso.com"');
    expect(k.get('keylength')).toBe('3072');
    expect(k.get('machinekeyset')).toBe('TRUE');
    expect(k.get('requesttype')).toBe('CMC'); // certreq_1.md: renewal requires PKCS#7 or CMC
    expect(k.get('keyspec')).toBe('1'); // docs/scom-facts.md §1.1: AT_KEYEXCHANGE
    expect(k.get('providername')).toBe('"Microsoft RSA SChannel Cryptographic Provider"');
    expect(k.get('providertype')).toBe('12');
    expect(k.get('keyusage')).toBe('0xa0');
    expect(k.get('exportable')).toBe('FALSE');
    expect(k.get('useexistingkeyset')).toBe('FALSE');
    expect(k.get('hashalgorithm')).toBe('SHA256');
    expect(k.get('silent')).toBe('TRUE');
    const eku = inf.slice(inf.indexOf('[EnhancedKeyUsageExtension]'));
    expect(eku).toMatch(/^OID = 1\.3\.6\.1\.5\.5\.7\.3\.1\b/m);
    expect(eku).toMatch(/^OID = 1\.3\.6\.1\.5\.5\.7\.3\.2\b/m);
  });

  it('is what renew-certificate.ps1 accepts: its checks of RenewalCert, RequestType and MachineKeySet match the rendered lines', () => {
    const inf = renderRenewalInf(template, { fqdn: 'agent01.contoso.com', thumbprint: THUMB, keyLength: 2048 });
    const script = readFileSync(path.resolve(import.meta.dirname, '../../installers/renew-certificate.ps1'), 'utf8');
    // The same regular expressions the script uses ((?m) → the m flag); .NET and JS agree on these.
    const pattern = (re: string): RegExp => new RegExp(re.replace('(?m)', ''), 'm');
    const rc = /\[regex\]::Match\(\$text, '([^']+)'\)/.exec(script)![1]!;
    expect(pattern(rc).exec(inf.replace(/\r/g, ''))?.[1]).toBe(THUMB);
    for (const re of [/-notmatch '(\(\?m\)\^\\s\*RequestType[^']+)'/, /-notmatch '(\(\?m\)\^\\s\*MachineKeySet[^']+)'/]) {
      const src = re.exec(script)![1]!;
      expect(pattern(src).test(inf.replace(/\r/g, '')), src).toBe(true);
    }
  });

  it('refuses a thumbprint that is not 40 upper-case hex digits, a name that is not DNS, and a template without a placeholder', () => {
    for (const thumbprint of ['0123', THUMB.toLowerCase(), `${THUMB}"\r\nRequestType = PKCS10`]) {
      expect(() => renderRenewalInf(template, { fqdn: 'a.example', thumbprint, keyLength: 2048 })).toThrow(/thumbprint/);
    }
    expect(() => renderRenewalInf(template, { fqdn: 'a"b', thumbprint: THUMB, keyLength: 2048 })).toThrow(/DNS/);
    expect(() => renderRenewalInf(template.replace('{{RENEWAL_CERT}}', 'x'), { fqdn: 'a.example', thumbprint: THUMB, keyLength: 2048 })).toThrow(/RENEWAL_CERT/);
  });
});

describe('renewal manifest fields', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki('Renewal Root', 'Renewal Issuing');
  });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

  it('derives requests\\ and issued\\<fqdn>\\ from the share UNC path, or null', () => {
    expect(renewalSharePaths('\\\\fs01\\agentcert', 'a.example')).toEqual({ requestsPath: '\\\\fs01\\agentcert\\requests', issuedPath: '\\\\fs01\\agentcert\\issued\\a.example' });
    expect(renewalSharePaths('//fs01/agentcert/', 'a.example')).toEqual({ requestsPath: '\\\\fs01\\agentcert\\requests', issuedPath: '\\\\fs01\\agentcert\\issued\\a.example' });
    expect(renewalSharePaths(null, 'a.example')).toEqual({ requestsPath: null, issuedPath: null });
    expect(renewalSharePaths('  ', 'a.example')).toEqual({ requestsPath: null, issuedPath: null });
  });

  it('buildManifest puts renewal { dueAt, requestsPath, issuedPath } next to an unchanged resultsPath', () => {
    const leaf = pki.leafDer('agent02.contoso.com', '0102');
    const base = {
      fqdn: 'agent02.contoso.com',
      role: 'agent' as const,
      certificateDer: leaf,
      chain: [{ der: pki.rootDer, store: 'Root' as const }],
      files: [],
      requestFingerprint: 'a'.repeat(64),
      requestId: 'r1',
      issuedAt: '2025-01-01T00:00:00.000Z',
      issuer: 'builtin',
      resultsPath: '\\\\fs01\\agentcert\\results\\agent02.contoso.com.json',
    };
    expect(buildManifest(base).renewal).toEqual({ dueAt: null, requestsPath: null, issuedPath: null });
    const m = buildManifest({ ...base, renewalDueAt: '2026-05-01T00:00:00Z', shareUncPath: '\\\\fs01\\agentcert' });
    expect(m.renewal).toEqual({ dueAt: '2026-05-01T00:00:00.000Z', requestsPath: '\\\\fs01\\agentcert\\requests', issuedPath: '\\\\fs01\\agentcert\\issued\\agent02.contoso.com' });
    expect(m.resultsPath).toBe(base.resultsPath);
    expect(() => buildManifest({ ...base, renewalDueAt: 'next tuesday' })).toThrow(/renewalDueAt/);
  });

  it('renews with the key length of the certificate being renewed (never below 2048) and names the task after the FQDN', () => {
    const leaf = pki.leafDer('agent03.contoso.com', '0103');
    expect(new X509Certificate(leaf).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(renewalKeyLength(leaf)).toBe(2048);
    expect(renewalTaskName('agent03.contoso.com')).toBe('agentcert renewal agent03.contoso.com');
  });
});
