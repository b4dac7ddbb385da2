/**
 * The built-in CA's keys at rest: PBKDF2-HMAC-SHA256 at 600,000 iterations (read back with openssl), older
 * 2,048-iteration files still open and `ca protect` upgrades them, doctor and `ca show` say plainly when a key is
 * not encrypted, and a two-tier CA's root key goes offline (`ca root export`) while the service keeps issuing
 * with the issuing key, and comes back only as the key of root.cer (`ca root import`).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caKeyStatus, describeKeyProtection, exportRootKey, importRootKey, initBuiltinCa, loadBuiltinCa, protectCaKeys } from '../../services/ca/index.js';
import { makeSampleRequest } from '../../services/pki/index.js';
import { cliEnv, runCli } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

const PASS = 'correct horse battery staple';
const settings = { twoTier: false, keyBits: 2048, rootCommonName: 'Test Root', issuingCommonName: 'Test Issuing', organization: 'agentcert', rootValidityYears: 10, issuingValidityYears: 5, passphrase: null as string | null };
const clock = { now: () => new Date() };
let env: TempEnv | null = null;
afterEach(() => {
  env?.cleanup();
  env = null;
});

function configFile(e: TempEnv, extra: Record<string, unknown> = {}): string {
  const file = path.join(e.dir, 'agentcert.json');
  writeFileSync(file, JSON.stringify({ share: { root: e.share, stableMs: 0 }, data: { dir: e.data }, packaging: { buildExe: false }, ...extra }));
  return file;
}

describe('CA key encryption', () => {
  it('encrypts with PBES2 / PBKDF2-HMAC-SHA256 at 600,000 iterations, which openssl opens', () => {
    env = makeTempEnv('agentcert-cakey-');
    initBuiltinCa(env.data, { ...settings, passphrase: PASS }, clock);
    const file = path.join(env.data, 'ca', 'root.key');
    const asn1 = execFileSync('openssl', ['asn1parse', '-in', file], { encoding: 'utf8' });
    expect(asn1).toMatch(/:PBES2[\s\S]*:PBKDF2[\s\S]*INTEGER\s+:0927C0[\s\S]*:hmacWithSHA256[\s\S]*:aes-256-cbc/);
    execFileSync('openssl', ['pkcs8', '-in', file, '-passin', `pass:${PASS}`, '-out', '/dev/null']);
    expect(describeKeyProtection(readFileSync(file, 'utf8'))).toEqual({ encrypted: true, scheme: 'PBKDF2-HMAC-SHA256, 600000 iterations', iterations: 600_000 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => loadBuiltinCa(env!.data, 'not the passphrase')).toThrow(/could not be decrypted/);
    expect(loadBuiltinCa(env.data, PASS).signer.key.asymmetricKeyType).toBe('rsa');
  });

  it('still opens a key written at 2,048 iterations, and ca protect re-encrypts it at today\'s count', () => {
    env = makeTempEnv('agentcert-cakey-');
    initBuiltinCa(env.data, settings, clock);
    const file = path.join(env.data, 'ca', 'root.key');
    const key = createPrivateKey(readFileSync(file, 'utf8'));
    writeFileSync(file, key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASS }));
    expect(caKeyStatus(env.data)).toMatchObject({ unencrypted: false, weak: true });
    expect(caKeyStatus(env.data).summary).toContain('2048 iterations) — run `agentcert ca protect`');
    expect(loadBuiltinCa(env.data, PASS).signer.key.equals(key)).toBe(true);
    const after = protectCaKeys(env.data, PASS);
    expect(after).toMatchObject({ unencrypted: false, weak: false });
    expect(after.summary).toBe('root key encrypted (PBKDF2-HMAC-SHA256, 600000 iterations)');
    expect(loadBuiltinCa(env.data, PASS).signer.key.equals(key)).toBe(true);
  });

  it('says plainly in doctor and ca show that a key is not encrypted (the banner: dashboard.test.ts)', () => {
    env = makeTempEnv('agentcert-cakey-');
    const config = configFile(env);
    expect(runCli(['ca', 'init', '--config', config]).code).toBe(0);
    const doctor = runCli(['doctor', '--config', config]);
    expect(doctor.stdout).toMatch(/^WARN\s+ca keys\s+root key NOT ENCRYPTED \(plain PKCS#8, protected by file mode 0600 only\) — set ca\.builtin\.passphrase/m);
    expect(runCli(['ca', 'show', '--config', config]).stdout).toContain('keys    root key NOT ENCRYPTED');
    expect(runCli(['ca', 'protect', '--config', config], cliEnv({ AGENTCERT_CA_PASSPHRASE: PASS })).code).toBe(0);
    expect(runCli(['doctor', '--config', config], cliEnv({ AGENTCERT_CA_PASSPHRASE: PASS })).stdout).toMatch(/^OK\s+ca keys\s+root key encrypted \(PBKDF2-HMAC-SHA256, 600000 iterations\)$/m);
  });
});

describe('root key offline (two-tier)', () => {
  it('exports the root key, keeps issuing with the issuing key, and takes it back only as root.cer\'s key', () => {
    env = makeTempEnv('agentcert-cakey-');
    const config = configFile(env, { ca: { builtin: { twoTier: true, keyBits: 2048 } } });
    const penv = cliEnv({ AGENTCERT_CA_PASSPHRASE: PASS });
    expect(runCli(['ca', 'init', '--config', config], penv).code).toBe(0);
    expect(runCli(['ca', 'show', '--config', config], penv).stdout).toContain('the root key can go offline');
    const out = path.join(env.dir, 'offline-root.key');
    const exp = runCli(['ca', 'root', 'export', '--out', out, '--config', config], penv);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toContain(`The root key is in ${out} (encrypted, PBKDF2-HMAC-SHA256, 600000 iterations)`);
    expect(existsSync(path.join(env.data, 'ca', 'root.key'))).toBe(false);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(runCli(['ca', 'root', 'export', '--out', `${out}.2`, '--config', config], penv).stderr).toMatch(/offline already/);
    expect(runCli(['doctor', '--config', config], penv).stdout).toMatch(/^OK\s+ca keys\s+issuing key encrypted \(PBKDF2-HMAC-SHA256, 600000 iterations\); root key offline$/m);

    // The service issues with the issuing key alone.
    const req = path.join(env.share, 'requests', 'web01.contoso.local.req');
    writeFileSync(req, makeSampleRequest('web01.contoso.local').pem);
    expect(runCli(['serve', '--once', '--config', config], penv).code).toBe(0);
    const leaf = new X509Certificate(readFileSync(path.join(env.share, 'issued', 'web01.contoso.local', 'web01.contoso.local.cer')));
    expect(leaf.issuer).toContain('CN=agentcert Issuing CA');

    // Only the root's own key goes back in.
    const other = makeTempEnv('agentcert-cakey-other-');
    try {
      initBuiltinCa(other.data, { ...settings, twoTier: true, passphrase: PASS }, clock);
      expect(() => importRootKey(env!.data, path.join(other.data, 'ca', 'root.key'), PASS)).toThrow(/is not the key of this CA's root certificate/);
    } finally {
      other.cleanup();
    }
    expect(runCli(['ca', 'root', 'import', out, '--config', config], penv).code).toBe(0);
    expect(existsSync(path.join(env.data, 'ca', 'root.key'))).toBe(true);
    expect(caKeyStatus(env.data).rootOffline).toBe(false);
  });

  it('refuses to take a single-tier root offline: it signs the agent certificates', () => {
    env = makeTempEnv('agentcert-cakey-');
    initBuiltinCa(env.data, settings, clock);
    expect(() => exportRootKey(env!.data, path.join(env!.dir, 'root.key'))).toThrow(/single-tier/);
    expect(existsSync(path.join(env.data, 'ca', 'root.key'))).toBe(true);
  });
});
