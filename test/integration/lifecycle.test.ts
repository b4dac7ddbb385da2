/**
 * Renewal and expiry with a controlled clock: issue → install result → authenticated renewal (a real CMS request signed
 * with the old key) → new package → install result → old certificate superseded, then revoked after the grace
 * period; renewals that are not authenticated; expiry notifications once per window to a loopback webhook.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approveRequest, revokeCertificate, revokeSupersededAfterGrace, runExpiryWatch } from '../../services/app/index.js';
import { listResultFiles } from '../../services/intake/index.js';
import { describeCertificate, derToPem, makeSampleRequest, parseCrl, wrapRequestInCms } from '../../services/pki/index.js';
import { loadBuiltinCa } from '../../services/ca/index.js';
import { makeHarness, type Harness } from '../helpers/pipeline-harness.js';
import { signedResultFile } from '../helpers/signed-result.js';

const DAY = 86_400_000;
let now = new Date('2026-12-01T09:00:00Z');
const clock = { now: () => now };
let h: Harness | null = null;
let server: Server | null = null;
beforeEach(() => {
  now = new Date('2026-12-01T09:00:00Z');
});
afterEach(async () => {
  await h?.close();
  h = null;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

const FQDN = 'agent01.dmz.contoso.local';
const requestsOf = (fqdn: string) => h!.app.ctx.store.requests.find({ fqdn });
const certOf = async (requestId: string) => (await h!.app.ctx.store.certificates.forRequest(requestId))!;

/** The installer's result, signed with the installed certificate's key (test/helpers/signed-result.ts). */
async function installResult(certDer: Buffer, key: KeyObject, status = 'installed'): Promise<void> {
  const file = path.join(h!.env.share, 'results', `${FQDN}.json`);
  writeFileSync(file, signedResultFile({ fqdn: FQDN, thumbprint: describeCertificate(certDer).thumbprint, status, computer: 'AGENT01' }, certDer, key));
  for (const f of await listResultFiles(path.join(h!.env.share, 'results'))) h!.app.pipeline.offerResult(f);
  await h!.app.pipeline.idle();
}

function renewalPem(fqdn: string, newKey: KeyObject, signerCertDer: Buffer, signerKey: KeyObject): string {
  const { der } = makeSampleRequest(fqdn, { privateKey: newKey });
  return derToPem(wrapRequestInCms({ csrDer: der, signerCertDer, signerKey }), 'NEW CERTIFICATE REQUEST');
}

async function issueAndInstallFirst(): Promise<{ key: KeyObject; certDer: Buffer; requestId: string }> {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  h!.drop(`${FQDN}.req`, makeSampleRequest(FQDN, { privateKey: key }).pem);
  await h!.settle();
  const first = (await requestsOf(FQDN))[0]!;
  expect(first.state).toBe('awaiting_approval'); // the tenant approves every new certificate by hand
  await approveRequest(h!.app.ctx, first.id, { actor: 'cli:alice' });
  await h!.settle();
  expect((await h!.app.ctx.store.requests.get(first.id))!.state).toBe('packaged');
  const cert = await certOf(first.id);
  await installResult(cert.der, key);
  expect((await h!.app.ctx.store.requests.get(first.id))!.state).toBe('installed');
  return { key, certDer: cert.der, requestId: first.id };
}

describe('renewal', () => {
  it('drives one agent from issue to an installed renewal, supersedes and then revokes the old certificate', async () => {
    h = await makeHarness({ clock, config: { policy: { defaultTenant: { name: 'default', allowedNames: ['*.contoso.local'], approval: 'manual' } }, lifecycle: { supersededRevokeGraceDays: 7 } } });
    const first = await issueAndInstallFirst();
    const old = describeCertificate(first.certDer);

    // Past the renewal time (2/3 of the lifetime), the agent's task sends a CMS request signed with the old key.
    now = new Date(old.notBefore.getTime() + ((old.notAfter.getTime() - old.notBefore.getTime()) * 2) / 3 + DAY);
    const newKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    h.drop(`${FQDN}.req`, renewalPem(FQDN, newKey, first.certDer, first.key));
    await h.settle();
    const renewal = (await requestsOf(FQDN)).find((r) => r.id !== first.requestId)!;
    expect(renewal.state).toBe('packaged'); // no approval needed, even though the tenant is manual
    expect((await h.app.ctx.store.events.forRequest(renewal.id)).map((e) => e.reason)).toContain('RENEWAL');
    const manifest = JSON.parse(readFileSync(path.join(h.env.share, 'issued', FQDN, 'manifest.json'), 'utf8')) as { certificate: { thumbprint: string } };
    const second = await certOf(renewal.id);
    expect(manifest.certificate.thumbprint).toBe(second.thumbprint);
    // Not superseded before the new certificate is installed.
    expect((await h.app.ctx.store.certificates.find(old.serialNumber))!.state).toBe('active');

    await installResult(second.der, newKey);
    expect((await h.app.ctx.store.requests.get(renewal.id))!.state).toBe('installed');
    expect((await h.app.ctx.store.certificates.find(old.serialNumber))!.state).toBe('superseded');
    expect((await h.app.ctx.store.requests.get(first.requestId))!.state).toBe('superseded');

    expect(await revokeSupersededAfterGrace(h.app.ctx)).toEqual([]); // grace not over
    now = new Date(now.getTime() + 8 * DAY);
    expect(await revokeSupersededAfterGrace(h.app.ctx)).toEqual([old.serialNumber]);
    const revoked = (await h.app.ctx.store.certificates.find(old.serialNumber))!;
    expect(revoked.state).toBe('revoked');
    expect(revoked.revocationReason).toBe('superseded');
    const crl = parseCrl(readFileSync(path.join(h.env.share, 'tools', 'agentcert.crl')));
    expect(crl.entries.map((e) => e.serialHex.toUpperCase())).toContain(old.serialNumber);
    expect(crl.entries.find((e) => e.serialHex.toUpperCase() === old.serialNumber)!.reason).toBe('superseded');
  });

  it('does not treat as a renewal a request signed by another key, by a revoked certificate, or for another FQDN', async () => {
    h = await makeHarness({ clock, config: { policy: { defaultTenant: { name: 'default', allowedNames: ['*.contoso.local'], approval: 'manual' } } } });
    const first = await issueAndInstallFirst();
    const ca = loadBuiltinCa(h.env.data, null);

    // 1. Signed with a key that is not the certificate's: the CMS signature does not verify against it.
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    h.drop(`${FQDN}.req`, renewalPem(FQDN, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, first.certDer, stranger));
    // 2. For another FQDN, signed with agent01's valid certificate.
    h.drop('agent02.dmz.contoso.local.req', renewalPem('agent02.dmz.contoso.local', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, first.certDer, first.key));
    await h.settle();
    const other = (await requestsOf(FQDN)).find((r) => r.id !== first.requestId)!;
    expect(other.state).toBe('awaiting_approval');
    expect(other.findings.map((f) => f.rule)).toContain('RENEWAL_NOT_AUTHENTICATED');
    const foreign = (await requestsOf('agent02.dmz.contoso.local'))[0]!;
    expect(foreign.state).toBe('awaiting_approval');
    expect(foreign.findings.find((f) => f.rule === 'RENEWAL_NOT_AUTHENTICATED')!.message).toContain(FQDN);

    // 3. Signed by a revoked certificate.
    await revokeCertificate(h.app.ctx, describeCertificate(first.certDer).serialNumber, { actor: 'cli:alice', reason: 'keyCompromise' });
    h.drop(`${FQDN}.req`, renewalPem(FQDN, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, first.certDer, first.key));
    await h.settle();
    const afterRevoke = (await requestsOf(FQDN)).filter((r) => r.id !== first.requestId && r.id !== other.id)[0]!;
    expect(afterRevoke.state).toBe('awaiting_approval');
    expect(afterRevoke.findings.find((f) => f.rule === 'RENEWAL_NOT_AUTHENTICATED')!.message).toContain('revoked');
    expect(ca.root.length).toBeGreaterThan(0);
  });
});

describe('expiry notifications', () => {
  it('fire once per window to a webhook on loopback, and expired certificates become expired', async () => {
    const received: { kind: string; data: { windowDays?: number } }[] = [];
    let failFirst = true;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (failFirst) {
          failFirst = false; // the first delivery fails: the notifier must retry
          res.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(body) as { kind: string; data: { windowDays?: number } });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    h = await makeHarness({ clock, config: { lifecycle: { webhookUrl: `http://127.0.0.1:${port}/hook`, webhookRetryBaseMs: 20, digestHourUtc: 23 } } });
    h.drop(`${FQDN}.req`, makeSampleRequest(FQDN).pem);
    await h.settle();
    const cert = (await h.app.ctx.store.certificates.findMany({ fqdn: FQDN }))[0]!;
    const notAfter = new Date(cert.notAfter).getTime();
    const expiryKinds = () => received.filter((n) => n.kind === 'expiry').map((n) => n.data.windowDays);

    const at = async (daysLeft: number) => {
      now = new Date(notAfter - daysLeft * DAY);
      await runExpiryWatch(h!.app.ctx, h!.app.notifier);
      await h!.app.notifier.flush();
    };
    await at(40);
    expect(expiryKinds()).toEqual([]);
    await at(29);
    await at(28);
    expect(expiryKinds()).toEqual([30]);
    await at(13);
    await at(12);
    expect(expiryKinds()).toEqual([30, 14]);
    await at(6);
    await at(1);
    expect(expiryKinds()).toEqual([30, 14, 7]);
    await at(-1);
    expect((await h.app.ctx.store.certificates.find(cert.serialNumber))!.state).toBe('expired');
    expect((await h.app.ctx.store.requests.get(cert.requestId))!.state).toBe('expired');
  });
});
