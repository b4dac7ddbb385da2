import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPackage, type DeliveryInput } from '../../services/packaging/index.js';
import { makeTestPki, packageChain, silentLog, type TestPki } from '../fixtures/packaging/test-pki.js';
import { childRunner } from '../helpers/child-runner.js';
import { needTools } from '../helpers/system-tools.js';

// The .exe tests need makensis and 7zz (and osslsigncode to sign), from Debian packages no npm package ships;
// without them they skip with a note (test/helpers/system-tools.ts). .ci/run installs them.
const FQDN = 'gw01.dmz.example.net';
let pki: TestPki;
let share: string;

function input(over: Partial<DeliveryInput> = {}): DeliveryInput {
  return {
    shareRoot: share,
    fqdn: FQDN,
    role: 'gateway',
    certificateDer: pki.leafDer(FQDN, '00FF01'),
    chain: packageChain(pki),
    requestFingerprint: 'cd'.repeat(32),
    requestId: 'cdcdcdcdcdcd',
    issuedAt: '2025-11-23T12:00:00.000Z',
    issuer: 'builtin',
    resultsPath: null,
    makensisPath: null,
    ...over,
  };
}

/** `7zz x` the exe and compare every package file (all but the exe itself and the zip) byte for byte. */
function expectExeHoldsPackage(dir: string): void {
  const exe = path.join(dir, `${FQDN}-install.exe`);
  const listing = execFileSync('7zz', ['l', exe], { encoding: 'utf8' });
  const out = mkdtempSync(path.join(os.tmpdir(), 'agentcert-exe-'));
  try {
    execFileSync('7zz', ['x', `-o${out}`, exe], { stdio: 'ignore' });
    const extracted = path.join(out, '$PLUGINSDIR', 'package');
    const expected = readdirSync(dir).filter((n) => !n.endsWith('.exe') && !n.endsWith('.zip')).sort();
    expect(readdirSync(extracted).sort()).toEqual(expected);
    for (const n of expected) {
      expect(listing).toContain(n);
      expect(readFileSync(path.join(extracted, n)).equals(readFileSync(path.join(dir, n))), n).toBe(true);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

beforeAll(() => {
  pki = makeTestPki('Exe Root', 'Exe Issuing');
  share = mkdtempSync(path.join(os.tmpdir(), 'agentcert exe share '));
});
afterAll(() => {
  rmSync(share, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('<fqdn>-install.exe', () => {
  it('is built with makensis found on PATH and holds the package files byte for byte', async (ctx) => {
    needTools(ctx, 'makensis', '7zz');
    const pkg = await publishPackage(input(), { runner: childRunner, log: silentLog });
    const exe = path.join(pkg.dir, `${FQDN}-install.exe`);
    expect(statSync(exe).size).toBeGreaterThan(10_000);
    expect(readFileSync(exe).subarray(0, 2).toString('latin1')).toBe('MZ');
    expect(pkg.files.map((f) => f.name)).toContain(`${FQDN}-install.exe`);
    expect(pkg.manifest.files.map((f) => f.name)).not.toContain(`${FQDN}-install.exe`);
    expectExeHoldsPackage(pkg.dir);
  });

  it('is Authenticode-signed with osslsigncode when a code-signing PFX is configured', async (ctx) => {
    needTools(ctx, 'makensis', '7zz', 'osslsigncode');
    const pfxPath = pki.codeSigningPfx("p@ss 'word'");
    const pkg = await publishPackage(
      input({ signing: { osslsigncodePath: 'osslsigncode', pfxPath, passphrase: "p@ss 'word'" } }),
      { runner: childRunner, log: silentLog },
    );
    const exe = path.join(pkg.dir, `${FQDN}-install.exe`);
    // The signature is there and covers the file (the test root is not trusted, so ask for the signer only).
    const shown = execFileSync('osslsigncode', ['extract-signature', '-in', exe, '-out', path.join(pki.dir, 'sig.p7')], { encoding: 'utf8' });
    expect(shown).toMatch(/Succeeded|succeeded/);
    const der = readFileSync(path.join(pki.dir, 'sig.p7'));
    expect(der.includes(Buffer.from('agentcert test code signing'))).toBe(true);
    expectExeHoldsPackage(pkg.dir);
  });

  it('is left out, without failing, when makensis is not installed', async () => {
    const pkg = await publishPackage(input({ makensisPath: '/nonexistent/makensis' }), { runner: childRunner, log: silentLog });
    expect(readdirSync(pkg.dir).some((n) => n.endsWith('.exe'))).toBe(false);
    expect(readdirSync(pkg.dir)).toContain(`${FQDN}.zip`);
  });
});
