/**
 * The CLI's commands, JSON shapes and exit codes (docs/contract.md), run as child processes.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vector } from '../helpers/paths.js';
import { cliEnv, runCli } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
const dirs = () => ['--share', env.share, '--data', env.data];

beforeAll(() => {
  env = makeTempEnv('agentcert-cli-');
});
afterAll(() => env.cleanup());

describe('agentcert CLI', () => {
  it('ca init creates the CA once and ca show --json describes it', () => {
    const first = runCli(['ca', 'init', '--json', ...dirs()]);
    expect(first.code, first.stderr).toBe(0);
    expect((JSON.parse(first.stdout) as { created: boolean }).created).toBe(true);
    const again = runCli(['ca', 'init', '--json', ...dirs()]);
    expect((JSON.parse(again.stdout) as { created: boolean }).created).toBe(false);
    const show = JSON.parse(runCli(['ca', 'show', '--json', ...dirs()]).stdout) as { chain: { role: string; key: string; subject: string; thumbprint: string }[] };
    expect(show.chain).toHaveLength(1);
    expect(show.chain[0]!.role).toBe('root');
    expect(show.chain[0]!.key).toBe('RSA-3072');
    expect(show.chain[0]!.thumbprint).toMatch(/^[0-9A-F]{40}$/);
  });

  it('inspect --json gives the contract document and exit 0 for an acceptable request', () => {
    const r = runCli(['inspect', vector('certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req'), '--fqdn', 'pop-diag-test.hagland.domain', '--json', ...dirs()]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as Record<string, any>;
    expect(d['format']).toBe('pkcs10');
    expect(d['subject']).toBe('CN=pop-diag-test.hagland.domain');
    expect(d['key']).toEqual({ algorithm: 'RSA', bits: 2048 });
    expect(d['signatureValid']).toBe(true);
    expect(d['microsoft'].csp).toEqual({ keySpec: 1, provider: 'Microsoft RSA SChannel Cryptographic Provider' });
    expect(d['microsoft'].client).toMatchObject({ id: 9, process: 'certreq.exe' });
    expect(d['microsoft'].osVersion).toBe('10.0.26200.2');
    expect(d['fingerprint']).toMatch(/^[0-9a-f]{64}$/);
    expect(d['verdict'].outcome).toBe('accept');
  });

  it('inspect exits 3 for a KSP request and names the provider', () => {
    const r = runCli(['inspect', vector('certenroll-win10-21h2-rsa2048-ksp-powershell.req'), ...dirs()]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('REQ_KEY_PROVIDER');
    expect(r.stdout).toContain('Verdict: REJECT');
  });

  it('inspect exits 2 with a code and a remediation for a file that is not a request', () => {
    const r = runCli(['inspect', vector('certutil-addstore-root.txt'), ...dirs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error AC_NOT_A_REQUEST/);
    expect(r.stderr).toMatch(/remediation: /);
  });

  it('sample-request writes a request that inspect accepts', () => {
    const out = path.join(env.dir, 'web01.contoso.local.req');
    expect(runCli(['sample-request', 'web01.contoso.local', '--out', out]).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('-----BEGIN NEW CERTIFICATE REQUEST-----');
    const d = JSON.parse(runCli(['inspect', out, '--json', ...dirs()]).stdout) as { verdict: { outcome: string }; microsoft: { csp: { keySpec: number } } };
    expect(d.verdict.outcome).toBe('accept');
    expect(d.microsoft.csp.keySpec).toBe(1);
  });

  it('list and show work on the store, with CSV and JSON', () => {
    const out = path.join(env.share, 'requests');
    runCli(['serve', '--once', ...dirs()]); // creates the layout
    expect(runCli(['sample-request', 'app01.contoso.local', '--out', path.join(out, 'app01.contoso.local.req')]).code).toBe(0);
    const once = runCli(['serve', '--once', ...dirs()]);
    expect(once.code, once.stderr).toBe(0);
    const list = JSON.parse(runCli(['list', '--json', ...dirs()]).stdout) as { fqdn: string; state: string; serialNumber: string }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ fqdn: 'app01.contoso.local', state: 'packaged' });
    const csv = runCli(['list', '--csv', ...dirs()]).stdout.split('\r\n');
    expect(csv[0]).toBe('id,fqdn,tenant,role,state,sourceName,serialNumber,certificateState,notAfter,createdAt,updatedAt,fingerprint');
    expect(csv[1]).toContain('app01.contoso.local');
    expect(JSON.parse(runCli(['list', '--expiring', '800', '--json', ...dirs()]).stdout)).toHaveLength(1);
    expect(JSON.parse(runCli(['list', '--expiring', '30', '--json', ...dirs()]).stdout)).toHaveLength(0);
    const bySerial = runCli(['show', list[0]!.serialNumber, ...dirs()]);
    expect(bySerial.code).toBe(0);
    expect(bySerial.stdout).toContain('verified → packaged');
    const missing = runCli(['show', 'nope.contoso.local', ...dirs()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('AC_NOT_FOUND');
  });

  it('verify passes an issued certificate (DER and .p7b), prints the serial both ways, and fails a bad one with exit 5', async () => {
    const dir = path.join(env.share, 'issued', 'app01.contoso.local');
    const cer = path.join(dir, 'app01.contoso.local.cer');
    const r = runCli(['verify', cer, '--fqdn', 'app01.contoso.local', '--json', ...dirs()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as { passed: boolean; serialNumber: string; serialNumberReversed: string; chain: unknown[]; checks: { rule: string; passed: boolean }[] };
    expect(d.passed).toBe(true);
    expect(d.serialNumberReversed).toBe(d.serialNumber.match(/../g)!.reverse().join(''));
    expect(d.chain).toHaveLength(2);
    expect(d.checks.map((c) => c.rule)).toEqual(expect.arrayContaining(['CERT_EKU', 'CERT_KEY_USAGE', 'CERT_SUBJECT_CN', 'root-trusted']));
    expect(runCli(['verify', cer, '--fqdn', 'other.contoso.local', ...dirs()]).code).toBe(5);

    // A .p7b with the chain, as the Windows export wizard writes it, checked against its own root.
    const { execFileSync } = await import('node:child_process');
    const root = readdirSync(dir).find((f) => f.startsWith('root-'))!;
    const rootPem = path.join(env.dir, 'root.pem');
    const leafPem = path.join(env.dir, 'leaf.pem');
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', path.join(dir, root), '-out', rootPem]);
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', cer, '-out', leafPem]);
    const p7b = path.join(env.dir, 'chain.p7b');
    execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', leafPem, '-certfile', rootPem, '-outform', 'DER', '-out', p7b]);
    const viaP7b = runCli(['verify', p7b, '--data', path.join(env.dir, 'no-ca-here')]);
    expect(viaP7b.code, viaP7b.stdout).toBe(0);
    expect(viaP7b.stdout).toContain('meets the SCOM requirements');

    // A certificate without Client Authentication fails.
    const { makeSampleRequest, signLeafCertificate, parseRequest } = await import('../../services/pki/index.js');
    const { loadBuiltinCa } = await import('../../services/ca/index.js');
    const ca = loadBuiltinCa(env.data, null);
    const parsed = parseRequest(Buffer.from(makeSampleRequest('bad.contoso.local').pem));
    const bad = signLeafCertificate({ issuer: ca.signer, publicKeyDer: parsed.publicKeyDer, fqdn: 'bad.contoso.local', serialHex: '0A0B0C', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
    const badFile = path.join(env.dir, 'bad.cer');
    writeFileSync(badFile, bad);
    const failed = runCli(['verify', badFile, ...dirs()]);
    expect(failed.code).toBe(5);
    expect(failed.stdout).toMatch(/\[FAIL\] CERT_EKU/);
  });

  it('reports every configuration problem with its key and exits 2', () => {
    const r = runCli(['list', ...dirs()], cliEnv({ AGENTCERT_API_PORT: 'eighty', AGENTCERT_CA_BACKEND: 'msca' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AC_CONFIG_INVALID');
    expect(r.stderr).toContain('AGENTCERT_API_PORT');
    expect(r.stderr).toContain('ca.backend');
  });

  it('answers a usage error with exit 2', () => {
    expect(runCli(['frobnicate']).code).toBe(2);
    expect(runCli(['list', '--state', 'happy', ...dirs()]).code).toBe(2);
  });
});
