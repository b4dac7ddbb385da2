/**
 * The share's trust boundary, tried the way an attacker with write access to the share would (README "Trust
 * model"), on a real share and store: each attack ends with nothing issued, superseded or revoked that the
 * policy did not allow, the owner or an admin told why, and the pipeline still issuing a good request after it.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listResultFiles } from '../../services/intake/index.js';
import { approveRequest, denyRequest, revokeCertificate } from '../../services/app/index.js';
import { machineFqdn } from '../../services/config/index.js';
import { describeCertificate, derToPem, makeSampleRequest, wrapRequestInCms } from '../../services/pki/index.js';
import { makeHarness, type Harness } from '../helpers/pipeline-harness.js';
import { resultJson, signedResultFile } from '../helpers/signed-result.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const B = { name: 'b', folder: 'b', allowedNames: ['*.b.local'], approval: 'auto' as const };
const newKey = (): KeyObject => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
/** Oldest first. */
const requestsOf = async (fqdn: string) => (await h!.app.ctx.store.requests.find({ fqdn })).reverse();
const events = (id: string) => h!.app.ctx.store.events.forRequest(id);
const reasons = async (id: string) => (await events(id)).map((e) => e.reason);
const request = async (id: string) => (await h!.app.ctx.store.requests.get(id))!;
const certOf = (id: string) => h!.app.ctx.store.certificates.forRequest(id);
const cert = async (key: string) => (await h!.app.ctx.store.certificates.find(key))!;
const share = (...p: string[]) => path.join(h!.env.share, ...p);
const manifestThumbprint = (fqdn: string): string => (JSON.parse(readFileSync(share('issued', fqdn, 'manifest.json'), 'utf8')) as { certificate: { thumbprint: string } }).certificate.thumbprint;
const ownerFiles = (dir: string, fqdn: string) => readdirSync(share(dir)).filter((f) => f.startsWith(`${fqdn}.`) && f.endsWith('.txt'));

/** Issue one certificate through the pipeline and return its request, certificate and key. */
async function issue(fqdn: string, o: { key?: KeyObject; sub?: string; osVersion?: string } = {}) {
  const key = o.key ?? newKey();
  h!.drop(`${fqdn}.req`, makeSampleRequest(fqdn, { privateKey: key, ...(o.osVersion ? { osVersion: o.osVersion } : {}) }).pem, o.sub);
  await h!.settle();
  const r = (await requestsOf(fqdn)).at(-1)!;
  return { r, key, cert: await certOf(r.id) };
}

function renewalPem(fqdn: string, key: KeyObject, signerCertDer: Buffer, signerKey: KeyObject): string {
  const { der } = makeSampleRequest(fqdn, { privateKey: key });
  return derToPem(wrapRequestInCms({ csrDer: der, signerCertDer, signerKey }), 'NEW CERTIFICATE REQUEST');
}

async function writeResult(fqdn: string, content: string | Buffer): Promise<void> {
  writeFileSync(share('results', `${fqdn}.json`), content);
  for (const f of await listResultFiles(share('results'))) h!.app.pipeline.offerResult(f);
  await h!.app.pipeline.idle();
}

async function install(fqdn: string, certDer: Buffer, key: KeyObject): Promise<void> {
  await writeResult(fqdn, signedResultFile({ fqdn, thumbprint: describeCertificate(certDer).thumbprint }, certDer, key));
}

/** The service is still up: a good request dropped after the attack is packaged. */
async function stillIssues(fqdn: string, sub?: string): Promise<void> {
  const { r } = await issue(fqdn, { ...(sub ? { sub } : {}) });
  expect(r.state).toBe('packaged');
  expect(existsSync(share('issued', fqdn, 'manifest.json'))).toBe(true);
}

describe('names belong to tenants', () => {
  it('a tenant name dropped in requests/ itself is rejected; the tenant issues it; renewals follow the signer into its tenant', async () => {
    h = await makeHarness({ config: { policy: { tenants: [B] } } });
    const attack = await issue('victim.b.local');
    expect(attack.r.state).toBe('rejected');
    expect(attack.cert).toBeNull();
    expect(attack.r.findings.map((f) => f.rule)).toContain('ID_NAME_OWNED');
    expect(readFileSync(share('rejected', 'victim.b.local.txt'), 'utf8')).toContain('requests/b/');

    // The real owner's request is not held as a "second key": the attacker got nothing.
    const real = await issue('victim.b.local', { sub: 'b' });
    expect(real.r.state).toBe('packaged');
    expect(real.r.tenant).toBe('b');
    // The attacker's rejection file stays its own; the owner's outcome did not touch it, nor it theirs.
    expect(readFileSync(share('rejected', 'victim.b.local.txt'), 'utf8')).toContain(attack.r.id);

    // The renewal task drops into requests/ itself: taken in tenant b, by the certificate that signed it.
    h.drop('victim.b.local.req', renewalPem('victim.b.local', newKey(), real.cert!.der, real.key));
    await h.settle();
    const renewal = (await requestsOf('victim.b.local')).at(-1)!;
    expect(renewal.state).toBe('packaged');
    expect(renewal.tenant).toBe('b');
    expect(await reasons(renewal.id)).toContain('RENEWAL');
    await stillIssues('web01.b.local', 'b');
  });

  it('the default tenant never issues a name a tenant claims, even with allowedNames ["*"]; its own names it still issues', async () => {
    h = await makeHarness({ config: { policy: { tenants: [B, { name: 'c', folder: 'c', allowedNames: ['*'], approval: 'auto' }] } } });
    expect((await issue('host.b.local', { sub: 'c' })).r.findings.map((f) => f.rule)).toContain('ID_NAME_OWNED'); // c's "*" loses to b's *.b.local
    expect((await issue('web01.contoso.local')).r.state).toBe('packaged');
  });
});

describe('approval: new-names', () => {
  it('holds a name never issued and a name whose certificate was revoked for keyCompromise; not a re-issue to the same key, not a renewal', async () => {
    h = await makeHarness({ config: { policy: { defaultTenant: { name: 'default', allowedNames: ['*'], approval: 'new-names' } } } });
    const fqdn = 'new01.contoso.local';
    const first = await issue(fqdn);
    expect(first.r.state).toBe('awaiting_approval');
    expect(first.r.findings.map((f) => f.rule)).toContain('ID_NEW_NAME');
    expect(readFileSync(share('pending', `${fqdn}.txt`), 'utf8')).toContain('never had a certificate');
    await approveRequest(h.app.ctx, first.r.id, { actor: 'cli:alice' });
    await h.settle();
    const firstCert = (await certOf(first.r.id))!;

    // The same key again (a new request file, e.g. after a lost package): issued without approval.
    const again = await issue(fqdn, { key: first.key, osVersion: '10.0.20348.2' });
    expect(again.r.state).toBe('packaged');
    // A renewal signed with the current certificate: no approval.
    h.drop(`${fqdn}.req`, renewalPem(fqdn, newKey(), firstCert.der, first.key));
    await h.settle();
    expect((await requestsOf(fqdn)).at(-1)!.state).toBe('packaged');

    // After a keyCompromise revocation of every certificate, the name is new again: a new key is held.
    for (const c of await h.app.ctx.store.certificates.findMany({ fqdn, state: 'active' })) await revokeCertificate(h.app.ctx, c.serialNumber, { actor: 'cli:alice', reason: 'keyCompromise' });
    const afterCompromise = await issue(fqdn);
    expect(afterCompromise.r.state).toBe('awaiting_approval');
    expect(afterCompromise.r.findings.find((f) => f.rule === 'ID_NEW_NAME')!.message).toContain('keyCompromise');
    // …and so is the compromised key itself.
    const compromisedKey = await issue(fqdn, { key: first.key, osVersion: '10.0.26100.1' });
    expect(compromisedKey.r.state).toBe('awaiting_approval');
  });

  it('holds a request for the CA host itself (the built-in CA: this machine)', async () => {
    h = await makeHarness();
    const me = machineFqdn();
    const r = await issue(me);
    expect(r.r.state).toBe('awaiting_approval');
    expect(r.r.findings.map((f) => f.rule)).toContain('ID_PROTECTED_NAME');
  });
});

describe('install results', () => {
  async function renewedAgent() {
    const fqdn = 'agent01.contoso.local';
    const first = await issue(fqdn);
    await install(fqdn, first.cert!.der, first.key);
    expect((await request(first.r.id)).state).toBe('installed');
    const key2 = newKey();
    h!.drop(`${fqdn}.req`, renewalPem(fqdn, key2, first.cert!.der, first.key));
    await h!.settle();
    const second = (await requestsOf(fqdn)).at(-1)!;
    expect(second.state).toBe('packaged');
    return { fqdn, first, second, secondCert: (await certOf(second.id))!, key2 };
  }

  it('a verified result installs (the actor is the certificate, not the file); an unsigned one and one signed by another host change nothing', async () => {
    h = await makeHarness();
    const a = await renewedAgent();
    const unchanged = async () => {
      expect((await request(a.second.id)).state).toBe('packaged');
      expect((await cert(a.first.cert!.serialNumber)).state).toBe('active');
    };
    // Spoofed, unsigned: the thumbprint read from issued/<FQDN>/manifest.json.
    await writeResult(a.fqdn, resultJson({ fqdn: a.fqdn, thumbprint: manifestThumbprint(a.fqdn), computer: 'EVIL' }));
    await unchanged();
    const spoof = (await events(a.second.id)).find((e) => e.reason === 'INSTALL_RESULT_UNAUTHENTICATED')!;
    expect(spoof.message).toContain('not signed');
    expect(spoof.actor).toBe('share');

    // Signed with another host's key and certificate (a real one agentcert issued).
    const other = await issue('other01.contoso.local');
    await writeResult(a.fqdn, signedResultFile({ fqdn: a.fqdn, thumbprint: a.secondCert.thumbprint }, other.cert!.der, other.key));
    await unchanged();
    expect((await events(a.second.id)).filter((e) => e.reason === 'INSTALL_RESULT_UNAUTHENTICATED').at(-1)!.message).toContain('does not verify');
    // …or naming its own certificate in this host's results file.
    await writeResult(a.fqdn, signedResultFile({ fqdn: a.fqdn, thumbprint: other.cert!.thumbprint }, other.cert!.der, other.key));
    await unchanged();
    expect((await request(other.r.id)).state).toBe('packaged');

    // The agent's own signed result: installed, the old certificate superseded, the actor from the certificate.
    await writeResult(a.fqdn, signedResultFile({ fqdn: a.fqdn, thumbprint: a.secondCert.thumbprint, computer: 'SOMETHING-ELSE' }, a.secondCert.der, a.key2));
    expect((await request(a.second.id)).state).toBe('installed');
    expect((await cert(a.first.cert!.serialNumber)).state).toBe('superseded');
    expect((await events(a.second.id)).find((e) => e.reason === 'INSTALLED')!.actor).toBe(`agent:${a.fqdn}`);
  });

  it('deep, huge and overfull results are rejected once with the reason; the stored diagnosis is bounded', async () => {
    h = await makeHarness();
    const fqdn = 'agent02.contoso.local';
    const { r, cert, key } = await issue(fqdn);
    await writeResult(fqdn, `{"fqdn":"${fqdn}","diagnosis":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    await writeResult(fqdn, `{"fqdn":"${fqdn}","diagnosis":${'['.repeat(100_000)}${']'.repeat(100_000)}}`); // the same content: once
    const rejected = (await events(r.id)).filter((e) => e.reason === 'INSTALL_RESULT_REJECTED');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.message).toContain('nested deeper than 32');
    await writeResult(fqdn, JSON.stringify({ fqdn, thumbprint: cert!.thumbprint, status: 'installed', pad: 'x'.repeat(1024 * 1024) }));
    expect((await events(r.id)).filter((e) => e.reason === 'INSTALL_RESULT_REJECTED').at(-1)!.message).toContain('bytes');
    expect((await request(r.id)).state).toBe('packaged');

    // A signed failure with a 120 KB diagnosis: applied, with what is stored cut to the bound.
    const diagnosis = Array.from({ length: 120 }, (_, i) => ({ id: 20068, message: `entry ${i} ${'y'.repeat(1000)}` }));
    await writeResult(fqdn, signedResultFile({ fqdn, thumbprint: cert!.thumbprint, status: 'agent-rejected', diagnosis }, cert!.der, key));
    const failed = (await events(r.id)).find((e) => e.reason === 'INSTALL_FAILED')!;
    expect(JSON.stringify(failed.data).length).toBeLessThan(12_000);
    expect(JSON.stringify(failed.data)).toContain('entries left out');
    await stillIssues('after.contoso.local');
  });
});

describe('nothing rolls back', () => {
  it('a replayed older request republishes nothing over an approved newer key, and its owner is told why', async () => {
    h = await makeHarness();
    const fqdn = 'roll.contoso.local';
    const older = await issue(fqdn);
    const newer = await issue(fqdn); // another key: held (ID_KEY_CHANGE), then approved
    expect(newer.r.state).toBe('awaiting_approval');
    await approveRequest(h.app.ctx, newer.r.id, { actor: 'cli:alice' });
    await h.settle();
    const current = (await certOf(newer.r.id))!;
    expect(manifestThumbprint(fqdn)).toBe(current.thumbprint);

    h.drop(`${fqdn}.req`, Buffer.from((await request(older.r.id)).originalBytes));
    await h.settle();
    expect(manifestThumbprint(fqdn)).toBe(current.thumbprint);
    expect(await reasons(older.r.id)).toContain('REDROP_NOT_CURRENT');
    const told = ownerFiles('rejected', fqdn).map((f) => readFileSync(share('rejected', f), 'utf8')).join('\n');
    expect(told).toContain('REDROP_NOT_CURRENT');
    expect(told).toContain(current.serialNumber);
  });

  it('a replayed older renewal does not move the package back; a superseded certificate does not authenticate a renewal', async () => {
    h = await makeHarness();
    const fqdn = 'renew.contoso.local';
    const c1 = await issue(fqdn);
    await install(fqdn, c1.cert!.der, c1.key);
    const k2 = newKey();
    const r1 = renewalPem(fqdn, k2, c1.cert!.der, c1.key);
    h.drop(`${fqdn}.req`, r1);
    await h.settle();
    const c2 = (await certOf((await requestsOf(fqdn)).at(-1)!.id))!;
    await install(fqdn, c2.der, k2); // c1 superseded
    expect((await cert(c1.cert!.serialNumber)).state).toBe('superseded');
    const k3 = newKey();
    h.drop(`${fqdn}.req`, renewalPem(fqdn, k3, c2.der, k2));
    await h.settle();
    const c3 = (await certOf((await requestsOf(fqdn)).at(-1)!.id))!;
    expect(manifestThumbprint(fqdn)).toBe(c3.thumbprint);

    h.drop(`${fqdn}.req`, r1); // replay R1
    await h.settle();
    expect(manifestThumbprint(fqdn)).toBe(c3.thumbprint);
    expect(await h.app.ctx.store.certificates.findMany({ fqdn })).toHaveLength(3);

    // A renewal signed with the superseded c1: not a renewal, held for its new key.
    h.drop(`${fqdn}.req`, renewalPem(fqdn, newKey(), c1.cert!.der, c1.key));
    await h.settle();
    const stale = (await requestsOf(fqdn)).at(-1)!;
    expect(stale.state).toBe('awaiting_approval');
    expect(stale.findings.find((f) => f.rule === 'RENEWAL_NOT_AUTHENTICATED')!.message).toContain('superseded');
    expect(manifestThumbprint(fqdn)).toBe(c3.thumbprint);
  });

  it('the same request under another name gets a file under that name pointing to the real package', async () => {
    h = await makeHarness();
    const real = await issue('pop-diag-test.hagland.domain');
    const thumb = manifestThumbprint('pop-diag-test.hagland.domain');
    h.drop('pop-diag.hagland.domain.req', Buffer.from(real.r.originalBytes));
    await h.settle();
    const told = readFileSync(share('rejected', 'pop-diag.hagland.domain.txt'), 'utf8');
    expect(told).toContain('REDROP_OTHER_NAME');
    expect(told).toContain('issued/pop-diag-test.hagland.domain/');
    expect(existsSync(share('issued', 'pop-diag.hagland.domain'))).toBe(false);
    expect(manifestThumbprint('pop-diag-test.hagland.domain')).toBe(thumb);
  });

  it('a file with two requests is rejected (two PEM blocks, DER with trailing data) and does not use up the real request', async () => {
    h = await makeHarness();
    const a = makeSampleRequest('two.contoso.local');
    const b = makeSampleRequest('evil.contoso.local');
    h.drop('two.contoso.local.req', a.pem + b.pem);
    h.drop('der.contoso.local.req', Buffer.concat([makeSampleRequest('der.contoso.local').der, b.der]));
    await h.settle();
    for (const f of ['two.contoso.local', 'der.contoso.local']) {
      expect((await requestsOf(f))[0]!.state).toBe('rejected');
      expect(readFileSync(share('rejected', `${f}.txt`), 'utf8')).toContain('FILE_MULTIPLE_REQUESTS');
    }
    expect(await h.app.ctx.store.certificates.findMany({})).toHaveLength(0);
    h.drop('two.contoso.local.req', a.pem); // the request alone is a new drop, not a re-drop
    await h.settle();
    expect((await requestsOf('two.contoso.local')).at(-1)!.state).toBe('packaged');
  });
});

describe('owner files are per request', () => {
  it('a junk file named after a held host neither removes its pending file nor replaces another request\'s rejection', async () => {
    h = await makeHarness({ config: { policy: { protectedNames: ['held.contoso.local'] } } });
    const held = await issue('held.contoso.local');
    expect(held.r.state).toBe('awaiting_approval');
    h.drop('held.contoso.local.req', Buffer.from('junk that is no request'));
    await h.settle();
    expect(readFileSync(share('pending', 'held.contoso.local.txt'), 'utf8')).toContain(held.r.id);
    const junk = (await requestsOf('held.contoso.local')).find((r) => r.state === 'rejected')!;
    expect(readFileSync(share('rejected', 'held.contoso.local.txt'), 'utf8')).toContain(junk.id);
    // The admin denies the real request: its reason goes beside the junk's file, not over it.
    await denyRequest(h.app.ctx, held.r.id, { actor: 'cli:alice', reason: 'not ours' });
    expect(readFileSync(share('rejected', 'held.contoso.local.txt'), 'utf8')).toContain(junk.id);
    expect(readFileSync(share('rejected', `held.contoso.local.${held.r.id}.txt`), 'utf8')).toContain('not ours');
    expect(existsSync(share('pending', 'held.contoso.local.txt'))).toBe(false);
  });
});
