/**
 * The pieces of the share's trust boundary on their own (README "Trust model"): name ownership, one request a
 * file, bounded results, the installer's result signature (rendered script parsed) and the service's check of
 * it, tenant-only scanning, the share's own folders refused as links, protected names, doctor's trust line.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/config/index.js';
import { ensureShareLayout, listRequestFiles } from '../../services/intake/index.js';
import { trustCheck } from '../../services/app/health/doctor-trust.js';
import { boundDiagnosis, jsonDepth, RESULT_LIMITS, SignedResultEnvelope } from '../../services/lifecycle/steps/result-auth.js';
import { effectiveProtectedNames } from '../../services/lifecycle/steps/trust.js';
import { renderInstallScript, type Manifest } from '../../services/packaging/index.js';
import { buildCertificate, buildName, certificateKey, extraRequestContent, makeSampleRequest, openSignedContent, spkiOfKey } from '../../services/pki/index.js';
import { checkNameOwnership, owningTenants } from '../../services/rules/name-ownership.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';
import { signCms } from '../helpers/signed-result.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'agentcert-trust-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('name ownership', () => {
  const tenants = [
    { name: 'b', folder: 'bf', allowedNames: ['*.b.local'], approval: 'auto' as const },
    { name: 'web', allowedNames: ['web.b.local'], approval: 'auto' as const },
    { name: 'any', allowedNames: ['*'], approval: 'auto' as const },
  ];
  const dflt = { name: 'default', allowedNames: ['*'], approval: 'auto' as const };
  it('gives a name to the tenant whose pattern names it most closely; "*" owns nothing', () => {
    expect(owningTenants('x.b.local', tenants).map((t) => t.name)).toEqual(['b']);
    expect(owningTenants('web.b.local', tenants).map((t) => t.name)).toEqual(['web']);
    expect(owningTenants('x.contoso.local', tenants)).toEqual([]);
  });
  it('refuses the name through the default tenant and through another tenant, with the owner\'s folder', () => {
    const f = checkNameOwnership({ fqdn: 'x.b.local', tenant: dflt, isDefaultTenant: true, tenants })!;
    expect(f.rule).toBe('ID_NAME_OWNED');
    expect(f.severity).toBe('error');
    expect(f.message).toContain('requests/bf/');
    expect(checkNameOwnership({ fqdn: 'x.b.local', tenant: tenants[2]!, isDefaultTenant: false, tenants })!.rule).toBe('ID_NAME_OWNED');
    expect(checkNameOwnership({ fqdn: 'x.b.local', tenant: tenants[0]!, isDefaultTenant: false, tenants })).toBeNull();
    expect(checkNameOwnership({ fqdn: 'x.contoso.local', tenant: dflt, isDefaultTenant: true, tenants })).toBeNull();
  });
});

describe('one request a file', () => {
  const a = makeSampleRequest('a.contoso.local');
  const b = makeSampleRequest('b.contoso.local');
  it('finds a second PEM block, bytes after the DER, and bytes after the DER inside a PEM block', () => {
    expect(extraRequestContent(Buffer.from(a.pem + b.pem))).toContain('2 PEM blocks');
    expect(extraRequestContent(Buffer.concat([a.der, b.der]))).toContain('bytes follow the DER');
    const inner = Buffer.concat([a.der, Buffer.from('tail')]).toString('base64');
    expect(extraRequestContent(Buffer.from(`-----BEGIN NEW CERTIFICATE REQUEST-----\n${inner}\n-----END NEW CERTIFICATE REQUEST-----\n`))).toContain('inside the PEM');
  });
  it('accepts one request with trailing line ends, and UTF-16 text', () => {
    expect(extraRequestContent(Buffer.from(a.pem))).toBeNull();
    expect(extraRequestContent(Buffer.concat([a.der, Buffer.from('\r\n')]))).toBeNull();
    expect(extraRequestContent(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(a.pem, 'utf16le')]))).toBeNull();
  });
});

describe('bounded results', () => {
  it('measures JSON depth without parsing, ignoring brackets in strings, and stops at the limit', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}', 32)).toBe(3);
    expect(jsonDepth('"\\"[["', 32)).toBe(0);
    expect(jsonDepth('['.repeat(100_000), RESULT_LIMITS.maxDepth)).toBe(RESULT_LIMITS.maxDepth + 1);
  });
  it('keeps the diagnosis entries that fit and says how many were left out', () => {
    const d = boundDiagnosis(Array.from({ length: 50 }, () => ({ m: 'x'.repeat(1000) })));
    expect(JSON.stringify(d).length).toBeLessThan(RESULT_LIMITS.maxDiagnosisChars + 300);
    expect(JSON.stringify(d.at(-1))).toContain('entries left out');
    expect(boundDiagnosis([{ id: 20053 }])).toEqual([{ id: 20053 }]);
  });
});

function testCertificate(): { der: Buffer; key: ReturnType<typeof generateKeyPairSync>['privateKey'] } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const name = buildName({ commonName: ['agent01.contoso.local'] });
  const der = buildCertificate({ serialHex: '0102', issuerName: name, subjectName: name, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), spkiDer: spkiOfKey(publicKey), extensions: [], issuerKey: privateKey });
  return { der, key: privateKey };
}

describe('the installer signs its result; the service checks the signature', () => {
  const template = readFileSync(path.resolve(import.meta.dirname, '../../installers/install-certificate.ps1'), 'utf8');
  const manifest = {
    schemaVersion: 1, fqdn: 'agent01.contoso.local', role: 'agent',
    certificate: { file: 'agent01.contoso.local.cer', serialNumber: '0102', serialNumberReversed: '0201', thumbprint: 'AB'.repeat(20), sha256: 'AA'.repeat(32), notBefore: '2025-01-01T00:00:00.000Z', notAfter: '2027-01-01T00:00:00.000Z', subject: 'CN=agent01.contoso.local', issuer: 'CN=ca' },
    chain: [{ file: 'root-ca.cer', store: 'Root', thumbprint: 'CC'.repeat(20), subject: 'CN=ca' }],
    files: [], requestFingerprint: 'f'.repeat(64), requestId: 'ffffffffffff', issuedAt: '2025-01-01T00:00:00.000Z', issuer: 'builtin',
    resultsPath: '\\\\fs01\\agentcert\\results\\agent01.contoso.local.json', renewal: { dueAt: null, requestsPath: null, issuedPath: null },
    managementGroup: null,
  } as unknown as Manifest;
  const script = renderInstallScript(template, manifest);
  const fn = /^function Protect-Result[\s\S]*?^}\r?$/m.exec(script)?.[0] ?? '';

  it('renders a script that parses, whose Protect-Result makes an enveloping SHA-256 SignedCms with the certificate key', async () => {
    expect((await parsePowerShell(script)).errors).toEqual([]);
    expect((await parsePowerShell(fn)).errors).toEqual([]);
    expect(fn).toContain('Add-Type -AssemblyName System.Security');
    expect(fn).toMatch(/SignedCms -ArgumentList \$content, \$false/); // not detached: the JSON travels inside
    expect(fn).toContain('[System.Security.Cryptography.Pkcs.SubjectIdentifierType]::IssuerAndSerialNumber');
    expect(fn).toContain("'2.16.840.1.101.3.4.2.1'");
    expect(fn).toContain('Pkcs9SigningTime');
    expect(fn).toContain('$cms.ComputeSignature($signer, $true)');
    expect(fn).toMatch(/HasPrivateKey/);
  });

  it('writes the envelope the service expects, and the signed copy (unsigned only as a fallback) to the share', () => {
    const env = /\$envelope = \[ordered\]@\{ schemaVersion = (\d+); format = '([^']+)'; cms = /.exec(fn)!;
    expect(Value.Check(SignedResultEnvelope, { schemaVersion: Number(env[1]), format: env[2], cms: 'AAAA' })).toBe(true);
    const write = /^function Write-Result[\s\S]*?^}\r?$/m.exec(script)![0];
    expect(write).toMatch(/\$shared = Protect-Result \$m \$json/);
    expect(write).toMatch(/WriteAllText\(\$target, \$shared,/);
  });

  it('verifies a node-forge SignedCms of the same shape with the named certificate\'s key, and nothing else', () => {
    const mine = testCertificate();
    const other = testCertificate();
    const content = Buffer.from('{"status":"installed"}');
    const signed = openSignedContent(signCms(content, mine.der, mine.key));
    expect(signed.content.equals(content)).toBe(true);
    expect(signed.verifyWith(certificateKey(mine.der)!)).toBe(true);
    expect(signed.verifyWith(certificateKey(other.der)!)).toBe(false);
    const tampered = signCms(content, mine.der, mine.key);
    const at = tampered.indexOf(Buffer.from('installed'));
    tampered.write('INSTALLED', at);
    expect(openSignedContent(tampered).verifyWith(certificateKey(mine.der)!)).toBe(false);
  });
});

describe('intake folders', () => {
  it('scans only configured tenant folders (any case)', async () => {
    const req = path.join(tmp, 'scan', 'requests');
    for (const d of ['Contoso', 'nosuch', 'other']) mkdirSync(path.join(req, d), { recursive: true });
    for (const f of ['a.req', 'Contoso/b.req', 'nosuch/c.req', 'other/d.req']) writeFileSync(path.join(req, f), 'x');
    const told: string[] = [];
    const files = await listRequestFiles(req, ['contoso'], (n) => told.push(n));
    expect(files.map((f) => path.relative(req, f)).sort()).toEqual(['Contoso/b.req', 'a.req']);
    expect(told.sort()).toEqual(['nosuch', 'other']);
  });

  it('refuses to start on a share whose own folders are symbolic links', () => {
    const root = path.join(tmp, 'linked');
    ensureShareLayout(root);
    for (const d of ['requests', 'issued']) {
      renameSync(path.join(root, d), path.join(tmp, `elsewhere-${d}`));
      symlinkSync(path.join(tmp, `elsewhere-${d}`), path.join(root, d));
    }
    expect(() => ensureShareLayout(root)).toThrow(expect.objectContaining({ code: 'AC_SHARE_UNSAFE', message: expect.stringContaining('requests/, issued/') }));
  });
});

describe('protected names and doctor', () => {
  const configWith = (o: object) => {
    const file = path.join(tmp, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ share: { root: path.join(tmp, 'doctor-share') }, data: { dir: path.join(tmp, 'doctor-data') }, ...o }));
    return loadConfig({ file, env: {} });
  };
  it('protects the AD CS CA host, this machine for the built-in CA, and the configured names', () => {
    expect(effectiveProtectedNames(configWith({ ca: { backend: 'adcs', adcs: { config: 'CA01.contoso.local\\Contoso CA' } }, policy: { protectedNames: ['ms01.contoso.local'] } }))).toEqual(['ms01.contoso.local', 'ca01.contoso.local']);
    expect(effectiveProtectedNames(configWith({}), 'svc01.contoso.local')).toEqual(['svc01.contoso.local']);
  });
  it('warns when the default tenant issues new names without approval on a share others write; not with new-names', async () => {
    mkdirSync(path.join(tmp, 'doctor-share'), { recursive: true });
    const risky = await trustCheck(configWith({ packaging: { shareUncPath: '\\\\fs01\\agentcert' } }));
    expect(risky.status).toBe('warn');
    expect(risky.message).toContain('new-names');
    expect((await trustCheck(configWith({ packaging: { shareUncPath: '\\\\fs01\\agentcert' }, policy: { defaultTenant: { name: 'default', allowedNames: ['*'], approval: 'new-names' } } }))).status).toBe('ok');
    expect((await trustCheck(configWith({}))).status).toBe('ok'); // a local share nobody else writes
  });
});
