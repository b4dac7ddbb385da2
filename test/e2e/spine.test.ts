/**
 * The spine end to end: the real CLI as a child process on a temporary share, real files, real SQLite,
 * openssl as the independent verifier.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, toPemFile } from '../helpers/openssl.js';
import { vector } from '../helpers/paths.js';
import { cliEnv, runCli, startService, waitFor, type RunningService } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
let svc: RunningService;
let port = 0;
const args = () => ['--share', env.share, '--data', env.data];

beforeAll(async () => {
  env = makeTempEnv('agentcert-e2e-');
  svc = startService(args(), cliEnv({ AGENTCERT_CA_TWO_TIER: 'false' }));
  const m = await svc.waitForOutput(/API: http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
  port = Number(m[1]);
}, 90_000);

afterAll(async () => {
  await svc?.stop();
  env?.cleanup();
});

function drop(src: string, name: string, sub = ''): void {
  const dir = path.join(env.share, 'requests', sub);
  // Copy under a temporary name, then rename: how a careful script drops a file.
  const tmp = path.join(dir, `.${name}.partial`);
  copyFileSync(src, tmp);
  renameSync(tmp, path.join(dir, name));
}

describe('npm start on the embedded defaults', () => {
  it('says where to drop requests and publishes the tools', async () => {
    expect(svc.stdout()).toContain(path.join(env.share, 'requests'));
    expect(svc.stdout()).toContain('sample-request');
    const tools = readdirSync(path.join(env.share, 'tools'));
    expect(tools).toContain('request-certificate.ps1');
    expect(tools.some((f) => /^root-.*\.cer$/.test(f))).toBe(true);
  });

  it('answers /healthz', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; caBackend: string };
    expect(body.status).toBe('healthy');
    expect(body.caBackend).toBe('builtin');
  });

  it('turns a real certreq request into a verified package', async () => {
    const fqdn = 'pop-diag-test.hagland.domain';
    const src = vector('certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req');
    drop(src, `${fqdn}.req`);
    const dir = path.join(env.share, 'issued', fqdn);
    await waitFor(() => existsSync(path.join(dir, 'manifest.json')), 30_000, 'the package');
    const files = readdirSync(dir);
    for (const f of [`${fqdn}.cer`, 'install-certificate.ps1', 'install.cmd', 'manifest.json', `${fqdn}.zip`]) expect(files).toContain(f);
    const root = files.find((f) => /^root-.*\.cer$/.test(f))!;
    expect(root).toBeDefined();

    const leafPem = toPemFile(path.join(dir, `${fqdn}.cer`), path.join(env.dir, 'leaf.pem'));
    const rootPem = toPemFile(path.join(dir, root), path.join(env.dir, 'root.pem'));
    expect(openssl(['verify', '-CAfile', rootPem, leafPem])).toContain(': OK');
    const text = openssl(['x509', '-in', leafPem, '-noout', '-text']);
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toContain('TLS Web Client Authentication');
    expect(text).toMatch(/Subject: CN\s*=\s*pop-diag-test\.hagland\.domain/);
    expect(openssl(['x509', '-in', leafPem, '-noout', '-pubkey'])).toBe(openssl(['req', '-in', src, '-noout', '-pubkey']));

    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { fqdn: string; files: { name: string; sha256: string }[]; certificate: { serialNumber: string; serialNumberReversed: string } };
    expect(manifest.fqdn).toBe(fqdn);
    expect(manifest.files.map((f) => f.name)).toContain(`${fqdn}.cer`);
    expect(manifest.certificate.serialNumberReversed).toBe(manifest.certificate.serialNumber.match(/../g)!.reverse().join(''));

    // The original went to archive/, and the audit trail tells the whole story.
    expect(readdirSync(path.join(env.share, 'requests')).filter((f) => f.endsWith('.req'))).toEqual([]);
    expect(readdirSync(path.join(env.share, 'archive')).some((f) => f.endsWith(`${fqdn}.req`))).toBe(true);
    const show = runCli(['show', fqdn, '--json', ...args()]);
    expect(show.code).toBe(0);
    const rec = JSON.parse(show.stdout) as { request: { state: string }; events: { to: string; reason: string }[] };
    expect(rec.request.state).toBe('packaged');
    expect(rec.events.map((e) => e.to)).toEqual(['received', 'checked', 'submitted', 'issued', 'verified', 'packaged']);
  });

  it('rejects a KSP request with text naming the provider and the INF fix', async () => {
    drop(vector('certenroll-win10-21h2-rsa2048-ksp-powershell.req'), 'intranet.adcslabor.de.req');
    const txt = path.join(env.share, 'rejected', 'intranet.adcslabor.de.txt');
    await waitFor(() => existsSync(txt), 30_000, 'the rejection');
    const text = readFileSync(txt, 'utf8');
    expect(text).toContain('Microsoft Software Key Storage Provider');
    expect(text).toContain('ProviderName = "Microsoft RSA SChannel Cryptographic Provider"');
    expect(text).toContain('KeySpec = 1');
    expect(existsSync(path.join(env.share, 'rejected', 'intranet.adcslabor.de.req'))).toBe(true);
    const json = JSON.parse(readFileSync(path.join(env.share, 'rejected', 'intranet.adcslabor.de.json'), 'utf8')) as { findings: { rule: string }[] };
    expect(json.findings.map((f) => f.rule)).toContain('REQ_KEY_PROVIDER');
    expect(existsSync(path.join(env.share, 'issued', 'intranet.adcslabor.de'))).toBe(false);
  });

  it('issues nothing for the same request dropped again, and publishes its package again', async () => {
    const fqdn = 'pop-diag-test.hagland.domain';
    const manifest = path.join(env.share, 'issued', fqdn, 'manifest.json');
    const before = JSON.parse(readFileSync(manifest, 'utf8')) as { certificate: { serialNumber: string } };
    drop(vector('certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req'), `${fqdn.toUpperCase()}.REQ`);
    await waitFor(() => {
      const r = runCli(['show', fqdn, '--json', ...args()]);
      return r.code === 0 && (JSON.parse(r.stdout) as { events: { reason: string }[] }).events.some((e) => e.reason === 'REPUBLISHED');
    }, 30_000, 'the re-publish');
    const after = JSON.parse(readFileSync(manifest, 'utf8')) as { certificate: { serialNumber: string } };
    expect(after.certificate.serialNumber).toBe(before.certificate.serialNumber);
    const list = JSON.parse(runCli(['list', '--json', ...args()]).stdout) as { fqdn: string }[];
    expect(list.filter((i) => i.fqdn === fqdn)).toHaveLength(1);
  });

  it('leaves a file that is still being written until it is complete', async () => {
    const { makeSampleRequest } = await import('../../services/pki/index.js');
    const pem = makeSampleRequest('slow.contoso.local').pem;
    const file = path.join(env.share, 'requests', 'slow.contoso.local.req');
    writeFileSync(file, pem.slice(0, pem.length - 40)); // no END line yet
    await new Promise((r) => setTimeout(r, 2500));
    expect(existsSync(file)).toBe(true);
    expect(existsSync(path.join(env.share, 'rejected', 'slow.contoso.local.txt'))).toBe(false);
    writeFileSync(file, pem);
    await waitFor(() => existsSync(path.join(env.share, 'issued', 'slow.contoso.local', 'manifest.json')), 30_000, 'the package');
  });

  it('ignores Windows litter and stops cleanly on SIGTERM', async () => {
    writeFileSync(path.join(env.share, 'requests', 'Thumbs.db'), 'x');
    writeFileSync(path.join(env.share, 'requests', 'desktop.ini'), 'x');
    await new Promise((r) => setTimeout(r, 1000));
    expect(readdirSync(path.join(env.share, 'requests')).sort()).toEqual(['Thumbs.db', 'desktop.ini']);
    expect(await svc.stop('SIGTERM')).toBe(0);
    expect(svc.stderr()).toContain('"event":"stopped"');
  });
});
