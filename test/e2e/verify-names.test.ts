/**
 * `agentcert verify` (a child process) fails a certificate that carries another host's name or a wildcard in its
 * SAN, even when its CN and first DNS name are right — the check SCOM's own checkers do not make.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRootCa, derToPem, makeSampleRequest, parseRequest, signLeafCertificate } from '../../services/pki/index.js';
import { runCli } from '../helpers/service.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcert-verify-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const now = Date.now();
const ca = createRootCa({ commonName: 'Verify Names Root', keyBits: 2048, notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 30 * 86_400_000) });
const rootFile = path.join(dir, 'root.pem');
writeFileSync(rootFile, derToPem(ca.certDer, 'CERTIFICATE'));
const publicKeyDer = parseRequest(makeSampleRequest('mine.contoso.local').der).publicKeyDer;

function certFile(name: string, dnsNames: string[]): string {
  const der = signLeafCertificate({ issuer: ca, publicKeyDer, fqdn: 'mine.contoso.local', dnsNames, serialHex: '7E57', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
  const file = path.join(dir, name);
  writeFileSync(file, derToPem(der, 'CERTIFICATE'));
  return file;
}

const verify = (file: string, ...extra: string[]) => runCli(['verify', file, '--fqdn', 'mine.contoso.local', '--chain', rootFile, '--data', path.join(dir, 'data'), '--json', ...extra]);
const sanCheck = (stdout: string) => (JSON.parse(stdout) as { checks: { rule: string; passed: boolean; message: string }[] }).checks.find((c) => c.rule === 'CERT_SAN_NAMES')!;

describe('agentcert verify checks every SAN entry', () => {
  it('passes SAN = FQDN (exit 0)', () => {
    const r = verify(certFile('good.pem', ['mine.contoso.local']));
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
  it('fails a certificate carrying a management server and a wildcard after the right first name (exit 5)', () => {
    const r = verify(certFile('impersonating.pem', ['mine.contoso.local', 'ms01.contoso.local', '*.contoso.local']));
    expect(r.code, r.stdout + r.stderr).toBe(5);
    const c = sanCheck(r.stdout);
    expect(c.passed).toBe(false);
    expect(c.message).toContain('DNS:ms01.contoso.local, DNS:*.contoso.local');
    // The text form says so too.
    expect(runCli(['verify', path.join(dir, 'impersonating.pem'), '--fqdn', 'mine.contoso.local', '--chain', rootFile, '--data', path.join(dir, 'data')]).stdout).toContain('[FAIL] CERT_SAN_NAMES');
  });
  it('accepts the short name only with --allow-short-name', () => {
    const file = certFile('alias.pem', ['mine.contoso.local', 'mine']);
    expect(verify(file).code).toBe(5);
    expect(verify(file, '--allow-short-name').code).toBe(0);
  });
});
