/**
 * Names at the CA, through the real pipeline (SQLite store, share on disk) and real child processes: the fake
 * certreq/certutil (test/fakes) as a stand-alone CA that copies the request's SAN, one that issues at submit, and
 * one that keeps requests pending; the built-in CA beside it. Build first: `npx tsc -p tsconfig.json`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../services/config/index.js';
import type { CaBackend } from '../../services/domain/index.js';
import { loadBuiltinCa } from '../../services/ca/index.js';
import { describeCertificate, makeSampleRequest, parseCrl, parseRequest, signLeafCertificate } from '../../services/pki/index.js';
import { allRequests, readLog, writeScenario, type FakeScenario } from '../fakes/fake-ca-state.js';
import { assertFakesBuilt } from '../fakes/fake-ca-harness.js';
import { ADCS_CONFIG } from '../helpers/adcs-config.js';
import { makeHarness, type Harness } from '../helpers/pipeline-harness.js';
import { repoRoot } from '../helpers/paths.js';

// Copied from shared/vectors/certreq-win2019-1809-rsa2048-schannel-keyexchange-san.req: CN testserver.test.com,
// SAN DNS:testserver, DNS:testserver.test.com, no EKU (certreq.exe, Windows Server 2019).
const VECTOR_2019 = path.join(repoRoot, 'test/fixtures/names/testserver.test.com.req');
const FQDN_2019 = 'testserver.test.com';
const bin = path.join(repoRoot, 'test/fakes/bin');

let h: Harness | null = null;
let fakeDir = '';
beforeAll(() => assertFakesBuilt());
afterEach(async () => {
  await h?.close();
  h = null;
});

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

async function adcsHarness(scenario: FakeScenario, o: { issuesAtSubmit?: boolean; timeoutMs?: number; config?: DeepPartial<Config>; wrapBackend?: (b: CaBackend) => CaBackend } = {}): Promise<Harness> {
  const harness = await makeHarness({
    config: {
      ...o.config,
      ca: { backend: 'adcs', adcs: { config: ADCS_CONFIG, certreqPath: path.join(bin, 'certreq'), certutilPath: path.join(bin, 'certutil'), timeoutMs: o.timeoutMs ?? 10_000, pendingPollMs: 1000, issuesAtSubmit: o.issuesAtSubmit ?? false } },
      pipeline: { retryBaseMs: 100, retryMaxMs: 300 },
      policy: { protectedNames: ['ms01.contoso.local'], ...o.config?.policy },
    } as DeepPartial<Config>,
    ...(o.wrapBackend ? { wrapBackend: o.wrapBackend } : {}),
  });
  // The fake reads its state dir from the environment the runner passes on.
  fakeDir = path.join(harness.env.dir, 'fake-ca');
  process.env.AGENTCERT_FAKE_CA_DIR = fakeDir;
  mkdirSync(fakeDir, { recursive: true });
  writeScenario(fakeDir, scenario);
  return harness;
}

const request = async (fqdn: string) => (await h!.app.ctx.store.requests.find({ fqdn }))[0]!;
const events = async (fqdn: string) => h!.app.ctx.store.events.forRequest((await request(fqdn)).id);
const certificate = (serial: string) => h!.app.ctx.store.certificates.find(serial);
const submits = () => readLog(fakeDir).filter((e) => e.verb === 'submit' && e.requestId !== null);
const shareFile = (...p: string[]) => path.join(h!.env.share, ...p);

/** Settle until the request reaches `state` (retries are scheduled a little ahead). */
async function settleUntil(fqdn: string, state: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await h!.settle();
    const r = (await h!.app.ctx.store.requests.find({ fqdn }))[0];
    if (r?.state === state) return;
    if (Date.now() > end) throw new Error(`${fqdn} is ${r?.state}, not ${state}: ${JSON.stringify(r ? (await h!.app.ctx.store.events.forRequest(r.id)).map((e) => `${e.to} ${e.reason} ${e.message}`) : null)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const multiSan = () => makeSampleRequest('mine.contoso.local', { dnsNames: ['mine', 'ms01.contoso.local', '*.contoso.local'] }).pem;

describe('a stand-alone CA that copies requested SANs, kept pending (the default)', () => {
  it('issues the 2019 vector with SAN = FQDN: agentcert sets 2.5.29.17 on the pending request before -resubmit', async () => {
    h = await adcsHarness({ onSubmit: 'pending', onResubmit: 'issue', san: 'copy' });
    h.dropFile(VECTOR_2019, `${FQDN_2019}.req`);
    await settleUntil(FQDN_2019, 'packaged');
    const cert = describeCertificate(readFileSync(shareFile('issued', FQDN_2019, `${FQDN_2019}.cer`)));
    expect(cert.subjectAltName).toEqual([`DNS:${FQDN_2019}`]);
    expect(cert.commonNames).toEqual([FQDN_2019]);
    const setExt = readLog(fakeDir).filter((e) => e.verb === 'setextension').map((e) => e.argv[e.argv.indexOf('-setextension') + 2]);
    expect(setExt).toEqual(['2.5.29.37', '2.5.29.17']);
    // The submit carried the fingerprint, so a submit that times out can be found at the CA.
    expect(allRequests(fakeDir)[0]!.attributes).toBe(`agentcertRequest:${(await request(FQDN_2019)).fingerprint}`);
    const adjusted = (await request(FQDN_2019)).findings.find((f) => f.rule === 'REQ_SAN_ADJUSTED')!;
    expect(adjusted.message).toContain('DNS:testserver');
  });

  it('rejects the multi-SAN request at the check: it never reaches the CA', async () => {
    h = await adcsHarness({ onSubmit: 'pending', onResubmit: 'issue', san: 'copy' });
    h.drop('mine.contoso.local.req', multiSan());
    await h.settle();
    const r = await request('mine.contoso.local');
    expect(r.state).toBe('rejected');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toEqual(['REQ_SAN_PROTECTED_NAME', 'REQ_SAN_WILDCARD']);
    expect(submits()).toEqual([]);
    const txt = readFileSync(shareFile('rejected', 'mine.contoso.local.txt'), 'utf8');
    expect(txt).toContain('ms01.contoso.local, a protected name');
    expect(txt).toContain('remove the 2.5.29.17 line');
  });

  it('finds a submit that timed out after the CA took it by its fingerprint, and never submits twice', async () => {
    h = await adcsHarness({ onSubmit: 'pending', onResubmit: 'issue', hangAfter: ['submit'] }, { timeoutMs: 1500 });
    h.drop('late01.contoso.local.req', makeSampleRequest('late01.contoso.local').pem);
    await h.settle();
    const timedOut = (await events('late01.contoso.local')).find((e) => /timed out/.test(e.message))!;
    expect(timedOut.message).toContain('the next attempt looks for agentcertRequest:');
    expect(timedOut.message).toContain('-view -restrict "Disposition=9"');
    writeScenario(fakeDir, { onSubmit: 'pending', onResubmit: 'issue' });
    await settleUntil('late01.contoso.local', 'packaged');
    expect(submits()).toHaveLength(1);
    expect(readLog(fakeDir).filter((e) => e.verb === 'view')).toHaveLength(1);
    expect((await request('late01.contoso.local')).caRequestId).toBe(submits()[0]!.requestId);
    expect(allRequests(fakeDir).map((r) => r.status)).toEqual(['issued']);
  });

  it('denies a late duplicate of a timed-out submit at the CA once the request is issued', async () => {
    h = await adcsHarness({ onSubmit: 'pending', onResubmit: 'issue', hang: ['submit'] }, { timeoutMs: 1500 });
    h.drop('late02.contoso.local.req', makeSampleRequest('late02.contoso.local').pem);
    await h.settle();
    // The killed submit reaches the CA after the lookup found nothing: two requests with this fingerprint there.
    writeScenario(fakeDir, { onSubmit: 'pending', onResubmit: 'issue', duplicateSubmit: true });
    await settleUntil('late02.contoso.local', 'packaged');
    const ours = (await request('late02.contoso.local')).caRequestId;
    const atCa = allRequests(fakeDir);
    expect(atCa.map((r) => [String(r.id) === ours, r.status])).toEqual([[true, 'issued'], [false, 'denied']]);
    expect(readLog(fakeDir).filter((e) => e.verb === 'deny').map((e) => e.requestId)).toEqual([String(atCa[1]!.id)]);
  });
});

describe('a CA that issues at submit (ca.adcs.issuesAtSubmit)', () => {
  it('rejects the 2019 vector before submitting, with the fix', async () => {
    h = await adcsHarness({ onSubmit: 'issue', san: 'copy' }, { issuesAtSubmit: true });
    h.dropFile(VECTOR_2019, `${FQDN_2019}.req`);
    await h.settle();
    const r = await request(FQDN_2019);
    expect(r.state).toBe('rejected');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toEqual(['REQ_EKU_AT_SUBMIT', 'REQ_SAN_AT_SUBMIT']);
    expect(submits()).toEqual([]);
    const txt = readFileSync(shareFile('rejected', `${FQDN_2019}.txt`), 'utf8');
    expect(txt).toContain('the CA issues at submit and copies the requested SAN (DNS:testserver, DNS:testserver.test.com)');
    expect(txt).toContain(`_continue_ = "dns=${FQDN_2019}"`);
    expect(txt).toContain('[EnhancedKeyUsageExtension]');
  });

  it('rejects the multi-SAN request before submitting', async () => {
    h = await adcsHarness({ onSubmit: 'issue', san: 'copy' }, { issuesAtSubmit: true });
    h.drop('mine.contoso.local.req', multiSan());
    await h.settle();
    expect((await request('mine.contoso.local')).state).toBe('rejected');
    expect(submits()).toEqual([]);
  });

  it('issues a request that asks for exactly what the CA will copy', async () => {
    h = await adcsHarness({ onSubmit: 'issue', san: 'copy' }, { issuesAtSubmit: true });
    h.drop('exact01.contoso.local.req', makeSampleRequest('exact01.contoso.local', { withEku: true, dnsNames: ['exact01.contoso.local'] }).pem);
    await settleUntil('exact01.contoso.local', 'packaged');
    expect(readLog(fakeDir).filter((e) => e.verb === 'setextension')).toEqual([]);
    expect(describeCertificate(readFileSync(shareFile('issued', 'exact01.contoso.local', 'exact01.contoso.local.cer'))).subjectAltName).toEqual(['DNS:exact01.contoso.local']);
  });
});

describe('a certificate the gate refuses after the CA signed it', () => {
  it('AD CS: the CA auto-issued what the request asked (agentcert believed it pending): revoked at the CA, owner told, request refused', async () => {
    h = await adcsHarness({ onSubmit: 'issue', san: 'copy' });
    h.dropFile(VECTOR_2019, `${FQDN_2019}.req`);
    await settleUntil(FQDN_2019, 'refused');
    const last = (await events(FQDN_2019)).at(-1)!;
    expect(last.reason).toBe('AC_VERIFY_FAILED');
    expect(last.message).toMatch(/CERT_SAN_FIRST_DNS.*revoked at the CA/);
    const atCa = allRequests(fakeDir)[0]!;
    expect(atCa).toMatchObject({ status: 'revoked', revocationReason: 0 });
    const revoke = readLog(fakeDir).find((e) => e.verb === 'revoke')!;
    expect(revoke.argv.slice(-2)).toEqual([atCa.serialHex!.toLowerCase(), '0']);
    expect((await certificate(atCa.serialHex!))!.state).toBe('revoked');
    expect(existsSync(shareFile('issued', FQDN_2019))).toBe(false);
    const txt = readFileSync(shareFile('rejected', `${FQDN_2019}.txt`), 'utf8');
    expect(txt).toContain('agentcert refused the certificate the CA issued for testserver.test.com');
    expect(txt).toContain('SAN      : DNS:testserver, DNS:testserver.test.com');
    expect(txt).toContain('[CERT_SAN_FIRST_DNS]');
    expect(txt).toContain('[CERT_EKU]');
    expect(txt).toContain('Revocation: the certificate was revoked');
    expect(txt).toContain('RequestDisposition 0x100');
    const json = JSON.parse(readFileSync(shareFile('rejected', `${FQDN_2019}.json`), 'utf8'));
    expect(json).toMatchObject({ outcome: 'refused', revocation: { revoked: true }, certificate: { serialNumber: atCa.serialHex } });
  });

  it('AD CS without a revoke capability: refused with AC_CA_CANNOT_REVOKE and the exact command, left valid at the CA', async () => {
    h = await adcsHarness({ onSubmit: 'issue', san: 'copy' }, { wrapBackend: (b) => ({ kind: b.kind, submit: b.submit, resume: b.resume, chain: b.chain, ping: b.ping, ...(b.manualRevokeCommand ? { manualRevokeCommand: b.manualRevokeCommand } : {}) }) });
    h.dropFile(VECTOR_2019, `${FQDN_2019}.req`);
    await settleUntil(FQDN_2019, 'refused');
    const atCa = allRequests(fakeDir)[0]!;
    expect(atCa.status).toBe('issued');
    const last = (await events(FQDN_2019)).at(-1)!;
    const command = `certutil -config "${ADCS_CONFIG}" -revoke ${atCa.serialHex!.toLowerCase()} 0 && certutil -config "${ADCS_CONFIG}" -crl`;
    expect(last.reason).toBe('AC_CA_CANNOT_REVOKE');
    expect(last.message).toContain(command);
    expect(readFileSync(shareFile('rejected', `${FQDN_2019}.txt`), 'utf8')).toContain(`An administrator must run: ${command}`);
    expect((await certificate(atCa.serialHex!))!.state).toBe('active');
  });

  it('built-in CA: revoked in its records and on a new CRL', async () => {
    h = await makeHarness({
      wrapBackend: (b: CaBackend): CaBackend => ({
        ...b,
        async submit(input, persist) {
          await persist('bad-ca:1');
          const ca = loadBuiltinCa(h!.env.data, null);
          // A CA that adds another host's name: the gate must refuse it.
          const der = signLeafCertificate({ issuer: ca.signer, publicKeyDer: input.publicKeyDer, fqdn: input.fqdn, dnsNames: [input.fqdn, 'ms01.contoso.local'], serialHex: '5EED01', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
          return { kind: 'issued', caRequestId: 'bad-ca:1', certificateDer: der, message: 'issued' };
        },
      }),
    });
    h.drop('gate.contoso.local.req', makeSampleRequest('gate.contoso.local').pem);
    await h.settle();
    expect((await request('gate.contoso.local')).state).toBe('refused');
    expect((await events('gate.contoso.local')).at(-1)!.message).toContain('CERT_SAN_NAMES');
    expect((await certificate('5EED01'))!).toMatchObject({ state: 'revoked', revocationReason: 'unspecified' });
    const crl = parseCrl(readFileSync(shareFile('tools', 'agentcert.crl')));
    expect(crl.entries.map((e) => e.serialHex.replace(/^0+/, ''))).toContain('5EED01');
    expect(readFileSync(shareFile('rejected', 'gate.contoso.local.txt'), 'utf8')).toContain('DNS:ms01.contoso.local');
  });
});

describe('the built-in CA issues the same names', () => {
  it('the 2019 vector: SAN = FQDN, the dropped short name stated in the findings', async () => {
    h = await makeHarness();
    h.dropFile(VECTOR_2019, `${FQDN_2019}.req`);
    await h.settle();
    expect((await request(FQDN_2019)).state).toBe('packaged');
    expect(describeCertificate(readFileSync(shareFile('issued', FQDN_2019, `${FQDN_2019}.cer`))).subjectAltName).toEqual([`DNS:${FQDN_2019}`]);
    expect((await request(FQDN_2019)).findings.find((f) => f.rule === 'REQ_SAN_ADJUSTED')!.message).toMatch(/drops DNS:testserver/);
  });
  it('the alias when the tenant allows it, after the FQDN', async () => {
    h = await makeHarness({ config: { policy: { defaultTenant: { name: 'default', allowedNames: ['*'], approval: 'auto', allowShortNameAlias: true } } } });
    h.dropFile(VECTOR_2019, `${FQDN_2019}.req`);
    await h.settle();
    expect(describeCertificate(readFileSync(shareFile('issued', FQDN_2019, `${FQDN_2019}.cer`))).subjectAltName).toEqual([`DNS:${FQDN_2019}`, 'DNS:testserver']);
  });
  it('rejects the multi-SAN request', async () => {
    h = await makeHarness({ config: { policy: { protectedNames: ['ms01.contoso.local'] } } });
    h.drop('mine.contoso.local.req', multiSan());
    await h.settle();
    expect((await request('mine.contoso.local')).state).toBe('rejected');
    expect(await h.app.ctx.store.certificates.findMany({ fqdn: 'mine.contoso.local' })).toEqual([]);
    expect(parseRequest(Buffer.from(multiSan())).requestedExtensions.subjectAltName).toHaveLength(3);
  });
});
