import { createHash, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanStaleStaging, publishPackage, type DeliveryInput } from '../../services/packaging/index.js';
import { makeTestPki, packageChain, silentLog, type TestPki } from '../fixtures/packaging/test-pki.js';
import { childRunner } from '../helpers/child-runner.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';
import { sevenZip } from '../helpers/system-tools.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex').toUpperCase();

let pki: TestPki;
let share: string;
let leaf: Buffer;
const FQDN = 'agent01.dmz.contoso.com';
// A serial whose first byte has the high bit set: the DER INTEGER carries a leading 00 (docs/scom-facts.md §2).
const SERIAL = '80AB0000000000000000000000000001C3';

function input(over: Partial<DeliveryInput> = {}): DeliveryInput {
  return {
    shareRoot: share,
    fqdn: FQDN,
    role: 'agent',
    certificateDer: leaf,
    chain: packageChain(pki),
    requestFingerprint: 'ab'.repeat(32),
    requestId: 'abababababab',
    issuedAt: '2025-11-23T12:00:00.000Z',
    issuer: 'builtin',
    resultsPath: "\\\\files01\\agent cert o'neil \u00fc\\results\\agent01.dmz.contoso.com.json",
    makensisPath: '/nonexistent/makensis',
    ...over,
  };
}

beforeAll(() => {
  pki = makeTestPki();
  leaf = pki.leafDer(FQDN, SERIAL);
  // A share path with a space, a quote and non-ASCII, as real shares have.
  share = mkdtempSync(path.join(os.tmpdir(), "agentcert share o'q \u00e9-"));
});
afterAll(() => {
  rmSync(share, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('publishPackage', () => {
  it('publishes issued/<fqdn>/ with the certificate, the CA certificates, the scripts, manifest.json and the zip', async () => {
    const pkg = await publishPackage(input(), { runner: childRunner, log: silentLog });
    expect(pkg.dir).toBe(path.join(share, 'issued', FQDN));
    const names = readdirSync(pkg.dir).sort();
    expect(names).toEqual(
      [`${FQDN}.cer`, `${FQDN}.zip`, 'ca-Test-Issuing-CA-Ops-e.cer', 'install-certificate.ps1', 'install.cmd', 'manifest.json', 'renew-certificate.ps1', 'renewal.inf', 'root-Test-Root-CA.cer'].sort(),
    );
    expect(readFileSync(path.join(pkg.dir, `${FQDN}.cer`)).equals(leaf)).toBe(true);
    expect(pkg.files.map((f) => f.name)).toEqual(names);
    for (const f of pkg.files) expect(f.sha256).toBe(sha256(readFileSync(path.join(pkg.dir, f.name))));
  });

  it('writes a manifest whose serial keeps the leading 00 byte and whose files list every payload file with its SHA-256', async () => {
    const pkg = await publishPackage(input(), { runner: childRunner, log: silentLog });
    const m = JSON.parse(readFileSync(path.join(pkg.dir, 'manifest.json'), 'utf8'));
    expect(m).toEqual(pkg.manifest);
    const x = new X509Certificate(leaf);
    expect(m.schemaVersion).toBe(1);
    expect(m.fqdn).toBe(FQDN);
    expect(m.role).toBe('agent');
    expect(m.certificate.serialNumber).toBe(`00${SERIAL}`);
    expect(x.serialNumber.toUpperCase()).toBe(SERIAL); // what node shows: the 00 byte is gone
    expect(m.certificate.serialNumberReversed).toBe(Buffer.from(`00${SERIAL}`, 'hex').reverse().toString('hex').toUpperCase());
    expect(m.certificate.serialNumberReversed.startsWith('C301')).toBe(true);
    expect(m.certificate.serialNumberReversed.endsWith('AB8000')).toBe(true);
    expect(m.certificate.thumbprint).toBe(x.fingerprint.replace(/:/g, ''));
    expect(m.certificate.sha256).toBe(sha256(leaf));
    expect(m.certificate.subject).toBe(`CN=${FQDN}`);
    expect(new Date(m.certificate.notAfter).getTime()).toBe(new Date(x.validTo).getTime());
    expect(m.chain).toEqual([
      { file: 'ca-Test-Issuing-CA-Ops-e.cer', store: 'CA', thumbprint: new X509Certificate(pki.issuingDer).fingerprint.replace(/:/g, ''), subject: "CN=Test Issuing CA 'Ops' \u00e9" },
      { file: 'root-Test-Root-CA.cer', store: 'Root', thumbprint: new X509Certificate(pki.rootDer).fingerprint.replace(/:/g, ''), subject: 'CN=Test Root CA, O=agentcert tests' },
    ]);
    const listed = m.files.map((f: { name: string }) => f.name).sort();
    expect(listed).toEqual([`${FQDN}.cer`, 'ca-Test-Issuing-CA-Ops-e.cer', 'install-certificate.ps1', 'install.cmd', 'renew-certificate.ps1', 'renewal.inf', 'root-Test-Root-CA.cer'].sort());
    for (const f of m.files) expect(f.sha256).toBe(sha256(readFileSync(path.join(pkg.dir, f.name))));
    expect(m.requestFingerprint).toBe('ab'.repeat(32));
    expect(m.resultsPath).toBe(input().resultsPath);
    // Callers that pass neither renewalDueAt nor shareUncPath still get the field, all null.
    expect(m.renewal).toEqual({ dueAt: null, requestsPath: null, issuedPath: null });
  });

  it('writes renewal.dueAt and the share UNC paths of requests\\ and issued\\<fqdn>\\ into the manifest', async () => {
    const pkg = await publishPackage(
      input({ renewalDueAt: '2026-08-01T08:00:00+02:00', shareUncPath: "\\\\fs01\\agent cert o'q\\" }),
      { runner: childRunner, log: silentLog },
    );
    const m = JSON.parse(readFileSync(path.join(pkg.dir, 'manifest.json'), 'utf8'));
    expect(m.renewal).toEqual({
      dueAt: '2026-08-01T06:00:00.000Z',
      requestsPath: "\\\\fs01\\agent cert o'q\\requests",
      issuedPath: `\\\\fs01\\agent cert o'q\\issued\\${FQDN}`,
    });
    expect(m.resultsPath).toBe(input().resultsPath); // unchanged
  });

  it('ships renew-certificate.ps1 (BOM, CRLF, parses) and renewal.inf for exactly this certificate, both hashed in the manifest', async () => {
    const pkg = await publishPackage(input(), { runner: childRunner, log: silentLog });
    const m = pkg.manifest;
    const renew = readFileSync(path.join(pkg.dir, 'renew-certificate.ps1'));
    expect([...renew.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = renew.subarray(3).toString('utf8');
    expect(text).not.toMatch(/[^\r]\n/);
    expect((await parsePowerShell(text)).errors).toEqual([]);
    // Byte for byte the template (CRLF): the script is not rendered, it reads the installed manifest.
    const template = readFileSync(path.resolve(import.meta.dirname, '../../installers/renew-certificate.ps1'), 'utf8');
    expect(text).toBe(template.replace(/\r?\n/g, '\r\n'));
    const inf = readFileSync(path.join(pkg.dir, 'renewal.inf'));
    expect([...inf].every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))).toBe(true);
    const infText = inf.toString('ascii');
    expect(infText).not.toMatch(/[^\r]\n/);
    expect(infText).toMatch(new RegExp(`^RenewalCert = "${m.certificate.thumbprint}"\r$`, 'm'));
    expect(infText).toMatch(new RegExp(`^Subject = "CN=${FQDN.replace(/\./g, '\\.')}"\r$`, 'm'));
    expect(infText).toMatch(/^KeyLength = 2048\r$/m);
    expect(infText).toMatch(/^Exportable = FALSE\r$/m);
    expect(infText).not.toContain('{{');
    for (const name of ['renew-certificate.ps1', 'renewal.inf']) {
      const entry = m.files.find((f) => f.name === name);
      expect(entry?.sha256, name).toBe(sha256(readFileSync(path.join(pkg.dir, name))));
    }
  });

  it('renders the renewal task name and arguments into the installer', async () => {
    const pkg = await publishPackage(input(), { runner: childRunner, log: silentLog });
    const script = readFileSync(path.join(pkg.dir, 'install-certificate.ps1')).subarray(3).toString('utf8');
    expect(script).toContain(`RenewalTaskName = 'agentcert renewal ${FQDN}'`);
    expect(script).toContain(`RenewalTaskArguments = '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{{SCRIPT}}"'`);
  });

  it('renders an installer that parses and pins exactly the manifest values', async () => {
    const pkg = await publishPackage(input(), { runner: childRunner, log: silentLog });
    const raw = readFileSync(path.join(pkg.dir, 'install-certificate.ps1'));
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM: PowerShell 5.1 reads the non-ASCII right
    const script = raw.subarray(3).toString('utf8');
    expect((await parsePowerShell(script)).errors).toEqual([]);
    expect(script).not.toMatch(/[^\r]\n/); // CRLF throughout
    const m = pkg.manifest;
    const lit = (v: string): string => `'${v.replace(/'/g, "''")}'`;
    expect(script).toContain(`Fqdn = ${lit(m.fqdn)}`);
    expect(script).toContain(`Thumbprint = ${lit(m.certificate.thumbprint)}`);
    expect(script).toContain(`SerialNumberReversed = ${lit(m.certificate.serialNumberReversed)}`);
    expect(script).toContain(`ResultsPath = ${lit(m.resultsPath!)}`);
    for (const c of m.chain) {
      expect(script).toContain(`@{ File = ${lit(c.file)}; Store = ${lit(c.store)}; Thumbprint = ${lit(c.thumbprint)}; Subject = ${lit(c.subject)} }`);
    }
  });

  it('puts every other file into <fqdn>.zip, byte for byte', async () => {
    const pkg = await publishPackage(input(), { runner: childRunner, log: silentLog });
    const out = mkdtempSync(path.join(os.tmpdir(), 'agentcert-unzip-'));
    execFileSync(sevenZip(), ['x', `-o${out}`, path.join(pkg.dir, `${FQDN}.zip`)], { stdio: 'ignore' });
    const inZip = readdirSync(out).sort();
    expect(inZip).toEqual(pkg.files.map((f) => f.name).filter((n) => !n.endsWith('.zip')));
    for (const n of inZip) expect(readFileSync(path.join(out, n)).equals(readFileSync(path.join(pkg.dir, n)))).toBe(true);
    rmSync(out, { recursive: true, force: true });
  });

  it('deflates the installer script in the zip too, right for a second package with the same template', async () => {
    await publishPackage(input(), { runner: childRunner, log: silentLog });
    const pkg = await publishPackage(input({ certificateDer: pki.resignLeaf('0D0E0F') }), { runner: childRunner, log: silentLog });
    const out = mkdtempSync(path.join(os.tmpdir(), 'agentcert-unzip-'));
    // 7-Zip checks every entry's CRC-32 as it extracts (`t` fails on a bad one).
    execFileSync(sevenZip(), ['t', path.join(pkg.dir, `${FQDN}.zip`)], { stdio: 'ignore' });
    execFileSync(sevenZip(), ['x', `-o${out}`, path.join(pkg.dir, `${FQDN}.zip`)], { stdio: 'ignore' });
    const script = readFileSync(path.join(out, 'install-certificate.ps1'));
    expect(script.equals(readFileSync(path.join(pkg.dir, 'install-certificate.ps1')))).toBe(true);
    expect(script.toString('utf8')).toContain("SerialNumber = '0D0E0F'");
    rmSync(out, { recursive: true, force: true });
    const files = pkg.files.filter((f) => !f.name.endsWith('.zip')).reduce((n, f) => n + statSync(path.join(pkg.dir, f.name)).size, 0);
    expect(statSync(path.join(pkg.dir, `${FQDN}.zip`)).size).toBeLessThan(files / 2);
  });

  it('replaces an existing package and leaves no staging folders', async () => {
    await publishPackage(input(), { runner: childRunner, log: silentLog });
    const newer = pki.resignLeaf('0A0B0C');
    const pkg = await publishPackage(input({ certificateDer: newer }), { runner: childRunner, log: silentLog });
    expect(readFileSync(path.join(pkg.dir, `${FQDN}.cer`)).equals(newer)).toBe(true);
    expect(pkg.manifest.certificate.serialNumber).toBe('0A0B0C');
    expect(readdirSync(path.join(share, 'issued')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('replaces the package of a 249-character FQDN (the temporary name fits in 255 bytes)', async () => {
    const long = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(57)].join('.');
    expect(long).toHaveLength(249);
    // The packaging does not read the certificate's names (a CN is at most 64 characters, RFC 5280 ub-common-name).
    await publishPackage(input({ fqdn: long, resultsPath: null }), { runner: childRunner, log: silentLog });
    const newer = pki.resignLeaf('0D0E10');
    const pkg = await publishPackage(input({ fqdn: long, certificateDer: newer, resultsPath: null }), { runner: childRunner, log: silentLog });
    expect(pkg.manifest.certificate.serialNumber).toBe('0D0E10');
    expect(readFileSync(path.join(share, 'issued', long, `${long}.cer`)).equals(newer)).toBe(true);
    expect(readdirSync(path.join(share, 'issued')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('fails without leaving a partial package when the input is broken', async () => {
    const fqdn = 'broken.example.com';
    await expect(
      publishPackage(input({ fqdn, chain: [{ der: Buffer.from('not a certificate'), store: 'Root' }] }), { runner: childRunner, log: silentLog }),
    ).rejects.toMatchObject({ code: 'AC_PUBLISH_FAILED' });
    expect(existsSync(path.join(share, 'issued', fqdn))).toBe(false);
    expect(readdirSync(path.join(share, 'issued')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses an FQDN that is not a lower-case DNS name (it becomes a folder and file names)', async () => {
    for (const fqdn of ['../evil', 'Agent.Example.com', 'a b.example.com', '']) {
      await expect(publishPackage(input({ fqdn }), { runner: childRunner, log: silentLog })).rejects.toMatchObject({ code: 'AC_PUBLISH_FAILED' });
    }
  });
});

describe('cleanStaleStaging', () => {
  it('removes .tmp-* folders and restores an .old-<fqdn>-* folder whose package is missing', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'agentcert-stale-'));
    const issued = path.join(root, 'issued');
    mkdirSync(path.join(issued, '.tmp-0123abcd'), { recursive: true });
    writeFileSync(path.join(issued, '.tmp-0123abcd', 'x.cer'), 'partial');
    mkdirSync(path.join(issued, '.old-a.example.com-a1b2c3'), { recursive: true });
    writeFileSync(path.join(issued, '.old-a.example.com-a1b2c3', 'manifest.json'), '{}');
    mkdirSync(path.join(issued, 'b.example.com'), { recursive: true });
    mkdirSync(path.join(issued, '.old-b.example.com-d4e5f6'), { recursive: true });
    await cleanStaleStaging(root);
    expect(readdirSync(issued).sort()).toEqual(['a.example.com', 'b.example.com']);
    expect(readFileSync(path.join(issued, 'a.example.com', 'manifest.json'), 'utf8')).toBe('{}');
    // The current form, .old-<hex>: the FQDN comes from the manifest inside.
    mkdirSync(path.join(issued, '.old-0a1b2c3d4e5f'), { recursive: true });
    writeFileSync(path.join(issued, '.old-0a1b2c3d4e5f', 'manifest.json'), JSON.stringify({ fqdn: 'c.example.com' }));
    await cleanStaleStaging(root);
    expect(readdirSync(issued).sort()).toEqual(['a.example.com', 'b.example.com', 'c.example.com']);
    await cleanStaleStaging(path.join(root, 'missing')); // no issued/: nothing to do, no error
    rmSync(root, { recursive: true, force: true });
  });

  it('leaves a young staging folder alone when other instances publish to the share', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'agentcert-stale-'));
    const issued = path.join(root, 'issued');
    mkdirSync(path.join(issued, '.tmp-young'), { recursive: true });
    mkdirSync(path.join(issued, '.tmp-old'), { recursive: true });
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(issued, '.tmp-old'), hourAgo, hourAgo);
    await cleanStaleStaging(root, { minAgeMs: 15 * 60_000 });
    expect(readdirSync(issued)).toEqual(['.tmp-young']);
    rmSync(root, { recursive: true, force: true });
  });
});

describe('the staging thread', () => {
  // The service runs from dist/, where packages are rendered and written by the staging thread
  // (services/packaging/stage-worker.ts); this file's tests run the sources, which stage in this thread. Both
  // must publish byte-identical files (npm test compiles dist/ first).
  it('writes the same files as staging in this thread, and reports a failure with its errno code', async () => {
    const dist = path.resolve('dist/services/packaging/stage-pool.js');
    expect(existsSync(dist), 'dist/ is built by npm test (tsc) before vitest').toBe(true);
    const pool = (await import(dist)) as typeof import('../../services/packaging/stage-pool.js');
    const here = (await import('../../services/packaging/stage.js')) as typeof import('../../services/packaging/stage.js');
    const a = mkdtempSync(path.join(share, 'thread-'));
    const b = mkdtempSync(path.join(share, 'local-'));
    const payload = here.stagePayloadInput(input());
    const thread = new pool.StagingThread();
    const [off, local] = await Promise.all([thread.stage(payload, a), here.stagePayload(payload, b)]);
    expect(off.published).toEqual(local.published);
    expect(off.payloadNames).toEqual(local.payloadNames);
    expect(off.manifest).toEqual(local.manifest);
    expect(readdirSync(a).sort()).toEqual(readdirSync(b).sort());
    for (const f of readdirSync(a)) expect(readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))), f).toBe(true);
    expect(off.published.map((f) => f.name)).toContain(`${FQDN}.zip`);
    // A staging folder that is not there: the thread's error keeps its code (the publish step retries on it).
    await expect(thread.stage(payload, path.join(share, 'missing', 'dir'))).rejects.toMatchObject({ code: 'ENOENT' });
    await thread.close();
  });
});
