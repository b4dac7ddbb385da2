import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPackage } from '../../services/packaging/index.js';
import { makeTestPki, packageChain, silentLog, type TestPki } from '../fixtures/packaging/test-pki.js';
import { childRunner } from '../helpers/child-runner.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';
import { needTools } from '../helpers/system-tools.js';

// The package for a request certreq really made (Windows 11 25H2, classic SCOM INF; shared/vectors).
// Copied from shared/vectors/certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req into test/fixtures/packaging/vector-request.req.
const FQDN = 'pop-diag-test.hagland.domain';
let pki: TestPki;
let share: string;
let leaf: Buffer;
let published: string[] = [];

beforeAll(() => {
  pki = makeTestPki('Vector Root', 'Vector Issuing');
  copyFileSync(path.join(import.meta.dirname, '../fixtures/packaging/vector-request.req'), path.join(pki.dir, 'vector.req'));
  // Issue for the request's own key, adding serverAuth + clientAuth the request lacks (docs/scom-facts.md §8.1).
  execFileSync('openssl', ['x509', '-req', '-in', 'vector.req', '-CA', 'issuing.pem', '-CAkey', 'issuing.key', '-set_serial', '0x9F00000000000000000000000000000000000001',
    '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'leaf', '-outform', 'DER', '-out', 'vector.cer'], { cwd: pki.dir, stdio: 'ignore' });
  leaf = readFileSync(path.join(pki.dir, 'vector.cer'));
  share = mkdtempSync(path.join(os.tmpdir(), 'agentcert-vector-'));
});
afterAll(() => {
  rmSync(share, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('package for a real certreq request', () => {
  it('holds the certificate, both CA certificates, the scripts, the manifest and the zip', async () => {
    const pkg = await publishPackage(
      {
        shareRoot: share,
        fqdn: FQDN,
        role: 'agent',
        certificateDer: leaf,
        chain: packageChain(pki),
        requestFingerprint: '0'.repeat(64),
        requestId: '000000000000',
        issuedAt: '2025-11-23T12:00:00.000Z',
        issuer: 'builtin',
        resultsPath: `\\\\files\\agentcert\\results\\${FQDN}.json`,
      },
      { runner: childRunner, log: silentLog },
    );
    published = readdirSync(pkg.dir);
    expect(published.filter((n) => !n.endsWith('.exe')).sort()).toEqual(
      [`${FQDN}.cer`, `${FQDN}.zip`, 'ca-Vector-Issuing.cer', 'install-certificate.ps1', 'install.cmd', 'manifest.json', 'renew-certificate.ps1', 'renewal.inf', 'root-Vector-Root.cer'].sort(),
    );
    // A 20-byte serial with the high bit set: 21 content bytes, 00 first, reversed in full.
    expect(pkg.manifest.certificate.serialNumber).toBe('009F00000000000000000000000000000000000001');
    expect(pkg.manifest.certificate.serialNumberReversed).toBe('010000000000000000000000000000000000009F00');
    expect(pkg.manifest.certificate.subject).toBe(`CN=${FQDN}`);
    const script = readFileSync(path.join(pkg.dir, 'install-certificate.ps1')).subarray(3).toString('utf8');
    expect((await parsePowerShell(script)).errors).toEqual([]);
    expect(script).toContain(`SerialNumberReversed = '${pkg.manifest.certificate.serialNumberReversed}'`);
  });

  it('holds <fqdn>-install.exe when makensis is installed', (ctx) => {
    needTools(ctx, 'makensis');
    expect(published).toContain(`${FQDN}-install.exe`);
  });
});
