/**
 * The admin CLI (built, as a child process) on the same application functions as the API: approve, deny,
 * revoke, ca crl and doctor, with the service stopped and with it running.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleRequest, parseCrl } from '../../services/pki/index.js';
import { cliEnv, runCli, startService, waitFor } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
let config = '';
const actor = `cli:${os.userInfo().username}`;
const cli = (...args: string[]) => runCli([...args, '--config', config], cliEnv());
const json = <T>(r: { stdout: string; stderr: string; code: number | null }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

function drop(fqdn: string): void {
  const dir = path.join(env.share, 'requests');
  writeFileSync(path.join(dir, `.${fqdn}.tmp`), makeSampleRequest(fqdn).pem);
  renameSync(path.join(dir, `.${fqdn}.tmp`), path.join(dir, `${fqdn}.req`));
}

beforeAll(() => {
  env = makeTempEnv('agentcert-cli-admin-');
  config = path.join(env.dir, 'agentcert.json');
  writeFileSync(config, JSON.stringify({ share: { root: env.share, stableMs: 50 }, data: { dir: env.data }, ca: { builtin: { keyBits: 2048 } }, packaging: { buildExe: false }, pipeline: { tickMs: 200 }, policy: { protectedNames: ['ms01.contoso.local', 'gw01.contoso.local', 'ms02.contoso.local'] } }));
  expect(cli('ca', 'init').code).toBe(0);
  mkdirSync(path.join(env.share, 'requests'), { recursive: true });
});
afterAll(() => env.cleanup());

describe('admin CLI with the service stopped', () => {
  it('approves a held request, and the next run issues it; the actor is the OS user', () => {
    drop('ms01.contoso.local');
    drop('web01.contoso.local');
    expect(cli('serve', '--once').code).toBe(0);
    expect(existsSync(path.join(env.share, 'pending', 'ms01.contoso.local.txt'))).toBe(true);
    const approved = json<{ state: string; actor: string }>(cli('approve', 'ms01.contoso.local', '--comment', 'MS01 is ours', '--json'));
    expect(approved).toMatchObject({ state: 'checked', actor });
    expect(existsSync(path.join(env.share, 'pending', 'ms01.contoso.local.txt'))).toBe(false);
    expect(cli('serve', '--once').code).toBe(0);
    const show = json<{ request: { state: string }; events: { reason: string; actor: string; message: string }[] }>(cli('show', 'ms01.contoso.local', '--json'));
    expect(show.request.state).toBe('packaged');
    expect(show.events.find((e) => e.reason === 'APPROVED')).toMatchObject({ actor, message: expect.stringContaining('MS01 is ours') });
    const again = cli('approve', 'ms01.contoso.local');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/error AC_STATE_CONFLICT[\s\S]*remediation: /);
  });

  it('denies with a reason for the owner', () => {
    drop('gw01.contoso.local');
    expect(cli('serve', '--once').code).toBe(0);
    expect(cli('deny', 'gw01.contoso.local').code).toBe(2); // --reason is required
    const denied = json<{ state: string; actor: string }>(cli('deny', 'gw01.contoso.local', '--reason', 'no such gateway', '--json'));
    expect(denied).toMatchObject({ state: 'denied', actor });
    expect(readFileSync(path.join(env.share, 'rejected', 'gw01.contoso.local.txt'), 'utf8')).toContain('no such gateway');
  });

  it('revokes by FQDN, publishes the CRL, and ca crl signs the next number', () => {
    expect(cli('revoke', 'web01.contoso.local', '--reason', 'stolen').code).toBe(2);
    const r = json<{ serialNumber: string; reason: string; actor: string; crl: { crlNumber: string; file: string }; packageWithdrawnTo: string }>(cli('revoke', 'web01.contoso.local', '--reason', 'superseded', '--json'));
    expect(r).toMatchObject({ reason: 'superseded', actor, packageWithdrawnTo: expect.stringMatching(new RegExp(`^archive/revoked/.*-${r.serialNumber}-web01\\.contoso\\.local$`)) });
    const crl = parseCrl(readFileSync(r.crl.file));
    expect(crl.entries).toEqual([expect.objectContaining({ serialHex: r.serialNumber, reason: 'superseded' })]);
    const next = json<{ crlNumber: string; entries: number }>(cli('ca', 'crl', '--json'));
    expect(BigInt(next.crlNumber)).toBe(BigInt(r.crl.crlNumber) + 1n);
    expect(next.entries).toBe(1);
    const list = json<{ state: string; fqdn: string }[]>(cli('list', '--state', 'revoked', '--json'));
    expect(list.map((x) => x.fqdn)).toEqual(['web01.contoso.local']);
  });

  it('withdraws the revoked package to the archive, and verify reports it revoked by the store and by --crl, exiting 5', () => {
    const issued = path.join(env.share, 'issued', 'web01.contoso.local');
    expect(existsSync(path.join(issued, 'manifest.json'))).toBe(false);
    expect(readdirSync(issued)).toEqual(['REVOKED.txt']);
    const notice = readFileSync(path.join(issued, 'REVOKED.txt'), 'utf8');
    expect(notice).toMatch(/was revoked on .* \(reason: superseded, by cli:/);
    expect(notice).toContain('Do not install it');
    const archived = readdirSync(path.join(env.share, 'archive', 'revoked'));
    expect(archived).toHaveLength(1);
    const pkg = path.join(env.share, 'archive', 'revoked', archived[0]!);
    expect(readdirSync(pkg)).toEqual(expect.arrayContaining(['manifest.json', 'web01.contoso.local.cer', 'install-certificate.ps1']));
    const cer = path.join(pkg, 'web01.contoso.local.cer');
    // By agentcert's records (the store is here).
    const byStore = cli('verify', cer);
    expect(byStore.code).toBe(5);
    expect(byStore.stdout).toMatch(/\[FAIL\] not-revoked: REVOKED on .* \(superseded\) according to agentcert's records/);
    expect(byStore.stdout).toContain('This certificate is REVOKED');
    // By a CRL alone, somewhere without the store: the CRL's signature is checked with the given CA certificate.
    const root = readdirSync(pkg).find((f) => f.startsWith('root-'))!;
    const elsewhere = ['--data', path.join(env.dir, 'no-store-here'), '--chain', path.join(pkg, root)];
    const byCrl = runCli(['verify', cer, '--crl', path.join(env.share, 'tools', 'agentcert.crl'), '--json', ...elsewhere], cliEnv());
    expect(byCrl.code).toBe(5);
    const doc = JSON.parse(byCrl.stdout) as { revoked: boolean; checks: { rule: string; passed: boolean; message: string }[] };
    expect(doc.revoked).toBe(true);
    expect(doc.checks.find((c) => c.rule === 'not-revoked')!.message).toMatch(/^REVOKED on .*agentcert\.crl \(CRL \d+\)/);
    // A certificate the CRL does not list passes; a tampered CRL is not believed.
    const ms01 = path.join(env.share, 'issued', 'ms01.contoso.local', 'ms01.contoso.local.cer');
    const clean = runCli(['verify', ms01, '--crl', path.join(env.share, 'tools', 'agentcert.crl'), ...elsewhere], cliEnv());
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/\[PASS\] not-revoked: not revoked according to .*agentcert\.crl/);
    const crlBytes = readFileSync(path.join(env.share, 'tools', 'agentcert.crl'));
    crlBytes[crlBytes.length - 5]! ^= 0xff;
    writeFileSync(path.join(env.dir, 'tampered.crl'), crlBytes);
    const tampered = runCli(['verify', ms01, '--crl', path.join(env.dir, 'tampered.crl'), ...elsewhere], cliEnv());
    expect(tampered.code).toBe(5);
    expect(tampered.stdout).toMatch(/signature of .*tampered\.crl does not verify/);
  });

  it('doctor prints one line per check and exits 0 when nothing fails', () => {
    const r = cli('doctor');
    expect(r.code, r.stdout).toBe(0);
    for (const name of ['config', 'share', 'store', 'ca', 'crl', 'tools', 'service', 'tokens', 'monitor 7004', 'monitor 7005']) expect(r.stdout).toMatch(new RegExp(`^(OK|WARN)\\s+${name}\\s`, 'm'));
    expect(r.stdout).toMatch(/^WARN\s+service\s+no agentcert serve runs/m);
    // The default config gives packages no path agents can reach: no results, no renewal — a warning, not OK.
    expect(r.stdout).toMatch(/^WARN\s+agent paths\s+packages carry no install results path and no renewal task: set packaging\.shareUncPath/m);
    const doc = json<{ ok: boolean; checks: { name: string; status: string }[] }>(cli('doctor', '--json'));
    expect(doc.ok).toBe(true);
  });
});

describe('admin CLI with the service running', () => {
  it('approves while a service runs elsewhere; the service issues it on its next tick, no restart', async () => {
    const svc = startService(['--config', config], cliEnv());
    try {
      await svc.waitForOutput(/agentcert is running/, 60_000);
      drop('ms02.contoso.local');
      await waitFor(() => existsSync(path.join(env.share, 'pending', 'ms02.contoso.local.txt')), 30_000, 'the held request');
      expect(cli('doctor').stdout).toMatch(/^OK\s+service\s+agentcert serve \(pid \d+\)/m);
      expect(cli('approve', 'ms02.contoso.local').code).toBe(0);
      await waitFor(() => existsSync(path.join(env.share, 'issued', 'ms02.contoso.local', 'manifest.json')), 30_000, 'the package after approval');
    } finally {
      expect(await svc.stop()).toBe(0);
    }
  }, 90_000);
});
