/**
 * The CLI's commands, JSON shapes and exit codes (CONTRACT.md), run as child processes.
 */
import { readFileSync } from 'node:fs';
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
    expect(csv[0]).toBe('id,fqdn,tenant,state,serialNumber,thumbprint,notAfter,createdAt,updatedAt');
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
