/**
 * The pipeline in process: real share, real SQLite, built-in CA, packaging; a recording logger.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaBackend } from '../../services/domain/index.js';
import { describeCertificate, makeSampleRequest, signLeafCertificate, verifyChain } from '../../services/pki/index.js';
import { loadBuiltinCa } from '../../services/ca/index.js';
import { makeHarness, type Harness } from '../helpers/pipeline-harness.js';
import { vector } from '../helpers/paths.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const state = async (fqdn: string) => (await h!.app.ctx.store.requests.find({ fqdn }))[0]?.state;

describe('pipeline', () => {
  it('issues from a two-tier hierarchy: the package carries root and issuing CA and the chain verifies', async () => {
    h = await makeHarness({ config: { ca: { builtin: { twoTier: true, keyBits: 2048 } } } });
    h.drop('web01.contoso.local.req', makeSampleRequest('web01.contoso.local').pem);
    await h.settle();
    expect(await state('web01.contoso.local')).toBe('packaged');
    const dir = path.join(h.env.share, 'issued', 'web01.contoso.local');
    const files = readdirSync(dir);
    expect(files.filter((f) => /^root-.*\.cer$/.test(f))).toHaveLength(1);
    expect(files.filter((f) => /^ca-.*\.cer$/.test(f))).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { chain: { store: string }[] };
    expect(manifest.chain.map((c) => c.store).sort()).toEqual(['CA', 'Root']);
    const ca = loadBuiltinCa(h.env.data, null);
    const leaf = (await h.app.ctx.store.certificates.findMany({ fqdn: 'web01.contoso.local' }))[0]!;
    const report = verifyChain({ leafDer: leaf.der, intermediatesDer: [ca.chain[0]!], trustedRootsDer: [ca.root], at: new Date() });
    expect(report.ok).toBe(true);
    expect(describeCertificate(leaf.der).issuer).toContain('agentcert Issuing CA');
  });

  it('keeps CA keys owner-only and encrypted with a passphrase; a wrong passphrase is a clear error', async () => {
    h = await makeHarness({ config: { ca: { builtin: { passphrase: 'correct horse battery', keyBits: 2048 } } } });
    const keyFile = path.join(h.env.data, 'ca', 'root.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    expect(() => loadBuiltinCa(h!.env.data, 'wrong passphrase')).toThrow(/passphrase/);
    expect(() => loadBuiltinCa(h!.env.data, null)).toThrow(/encrypted/);
  });

  it('never issues past the issuing CA notAfter', async () => {
    h = await makeHarness({ config: { ca: { leafValidityDays: 3650, builtin: { twoTier: true, issuingValidityYears: 1, keyBits: 2048 } } } });
    h.drop('short.contoso.local.req', makeSampleRequest('short.contoso.local').pem);
    await h.settle();
    const leaf = describeCertificate((await h.app.ctx.store.certificates.findMany({ fqdn: 'short.contoso.local' }))[0]!.der);
    const issuing = describeCertificate(loadBuiltinCa(h.env.data, null).chain[0]!);
    expect(leaf.notAfter.getTime()).toBe(issuing.notAfter.getTime());
  });

  it('re-derives the byte-identical certificate when issuance resumes after a crash', async () => {
    h = await makeHarness();
    const backend = h.app.ctx.backend;
    const { pem, der } = makeSampleRequest('resume.contoso.local');
    const { parseRequest, derToPem } = await import('../../services/pki/index.js');
    const parsed = parseRequest(Buffer.from(pem));
    const input = { fingerprint: parsed.fingerprint, fqdn: 'resume.contoso.local', csrDer: der, csrPem: derToPem(der, 'NEW CERTIFICATE REQUEST'), publicKeyDer: parsed.publicKeyDer, requestHasScomEkus: true, dnsNames: ['resume.contoso.local'], requestedSubjectAltNames: [] };
    let id = '';
    const first = await backend.submit(input, async (x) => void (id = x));
    const again = await backend.resume(input, id);
    expect(first.kind).toBe('issued');
    expect(again.kind).toBe('issued');
    expect((again as { certificateDer: Buffer }).certificateDer.equals((first as { certificateDer: Buffer }).certificateDer)).toBe(true);
  });

  it('never packages a certificate that fails the verify gate', async () => {
    // A CA that "forgets" clientAuth: the gate must stop it.
    h = await makeHarness({
      wrapBackend: (b: CaBackend): CaBackend => ({
        ...b,
        async submit(input, persist) {
          await persist('bad-ca:1');
          const ca = loadBuiltinCa(h!.env.data, null);
          const der = signLeafCertificate({ issuer: ca.signer, publicKeyDer: input.publicKeyDer, fqdn: input.fqdn, serialHex: '1A2B3C4D', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
          return { kind: 'issued', caRequestId: 'bad-ca:1', certificateDer: der, message: 'issued' };
        },
      }),
    });
    h.drop('gate.contoso.local.req', makeSampleRequest('gate.contoso.local').pem);
    await h.settle();
    const r = (await h.app.ctx.store.requests.find({ fqdn: 'gate.contoso.local' }))[0]!;
    // Refused after signing: revoked (built-in CA: in its records and on the CRL), never packaged.
    expect(r.state).toBe('refused');
    const ev = (await h.app.ctx.store.events.forRequest(r.id)).at(-1)!;
    expect(ev.reason).toBe('AC_VERIFY_FAILED');
    expect(ev.message).toContain('CERT_EKU');
    expect((await h.app.ctx.store.certificates.find('1A2B3C4D'))!.state).toBe('revoked');
    expect(existsSync(path.join(h.env.share, 'issued', 'gate.contoso.local'))).toBe(false);
  });

  it('applies tenant rules: a foreign name in a tenant folder is rejected, a protected name is held', async () => {
    h = await makeHarness({
      config: { policy: { tenants: [{ name: 'contoso', folder: 'contoso', allowedNames: ['*.contoso.local'], approval: 'auto' }], protectedNames: ['ms01.contoso.local'] } },
    });
    h.drop('web01.fabrikam.local.req', makeSampleRequest('web01.fabrikam.local').pem, 'contoso');
    h.drop('ms01.contoso.local.req', makeSampleRequest('ms01.contoso.local').pem, 'contoso');
    h.drop('app01.contoso.local.req', makeSampleRequest('app01.contoso.local').pem, 'contoso');
    await h.settle();
    expect(await state('web01.fabrikam.local')).toBe('rejected');
    expect(readFileSync(path.join(h.env.share, 'rejected', 'web01.fabrikam.local.txt'), 'utf8')).toContain('ID_TENANT_NAME');
    expect(await state('ms01.contoso.local')).toBe('awaiting_approval');
    expect(readFileSync(path.join(h.env.share, 'pending', 'ms01.contoso.local.txt'), 'utf8')).toContain('protected name');
    expect(await state('app01.contoso.local')).toBe('packaged');
  });

  it('rejects what is not a request, with the reason, and keeps the bytes', async () => {
    h = await makeHarness();
    h.drop('junk.contoso.local.req', Buffer.from([0, 1, 2, 3, 255, 254]));
    h.drop('empty.contoso.local.req', '');
    h.drop('big.contoso.local.req', Buffer.alloc(70_000, 0x41));
    h.drop('web 01.req', makeSampleRequest('web01.contoso.local').pem);
    await h.settle();
    for (const f of ['junk.contoso.local', 'empty.contoso.local', 'big.contoso.local']) expect(await state(f)).toBe('rejected');
    expect(readFileSync(path.join(h.env.share, 'rejected', 'big.contoso.local.txt'), 'utf8')).toContain('FILE_TOO_LARGE');
    expect(readFileSync(path.join(h.env.share, 'rejected', 'junk.contoso.local.txt'), 'utf8')).toContain('FILE_NOT_A_REQUEST');
    expect(readFileSync(path.join(h.env.share, 'rejected', 'web_01.txt'), 'utf8')).toContain('FILE_NAME');
    expect(readdirSync(path.join(h.env.share, 'requests')).filter((f) => f.endsWith('.req'))).toEqual([]);
    expect(readdirSync(path.join(h.env.share, 'archive'))).toHaveLength(4);
  });

  it('reaches the conclusions of the vectors README through the pipeline', async () => {
    h = await makeHarness();
    const cases: [string, string, string][] = [
      ['certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req', 'pop-diag-test.hagland.domain', 'packaged'],
      ['certenroll-win10-21h2-rsa2048-ksp-powershell.req', 'intranet.adcslabor.de', 'rejected'],
      ['certenroll-win10-21h2-ecdsa-p256-ksp.req', 'ecdsa.example.test', 'rejected'],
      ['certreq-win7-rsa1024-strongcsp-usertemplate.req', 'win7.example.test', 'rejected'],
      ['certreq-win11-22h2-dsa-basedss-legacycsp.req', 'dsa.example.test', 'rejected'],
    ];
    for (const [file, fqdn] of cases) h.dropFile(vector(file), `${fqdn}.req`);
    await h.settle();
    for (const [, fqdn, expected] of cases) expect(`${fqdn}:${await state(fqdn)}`).toBe(`${fqdn}:${expected}`);
  });

  it('logs one line per transition, each with requestId and fqdn', async () => {
    h = await makeHarness();
    h.drop('log.contoso.local.req', makeSampleRequest('log.contoso.local').pem);
    await h.settle();
    const transitions = h.records.filter((r) => typeof r['event'] === 'string' && (r['event'] as string).includes('->'));
    expect(transitions.map((r) => r['event'])).toEqual(['received->checked', 'checked->submitted', 'submitted->issued', 'issued->verified', 'verified->packaged']);
    for (const t of transitions) {
      expect(t['fqdn']).toBe('log.contoso.local');
      expect(typeof t['requestId']).toBe('string');
      expect(t['reason']).toBeTruthy();
    }
  });
});
