/**
 * AdcsBackend against the fake certreq/certutil (test/fakes): the certreq dispositions (docs/scom-facts.md §6) and the CA-side
 * EKU fix of docs/scom-facts.md §8.1, asserted on outcomes and on the fake CA's invocation log.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeCertificate } from '../../services/pki/index.js';
import { assertFakesBuilt, issuanceInput, makeFakeCa, recorder, type FakeCaEnv } from '../fakes/fake-ca-harness.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
let env: FakeCaEnv;

beforeAll(assertFakesBuilt);
beforeEach(() => { env = makeFakeCa(); });
afterEach(() => env.cleanup());

describe('AdcsBackend flows', () => {
  it('pending at submit → EKUs and SAN set → resubmit issues → retrieved; the id is persisted before any further CA call', async () => {
    const backend = env.backend();
    const input = issuanceInput('agent01.dmz.example');
    const rec = recorder(env);
    const outcome = await backend.submit(input, rec.persist);
    expect(outcome.kind).toBe('issued');
    if (outcome.kind !== 'issued') return;
    expect(outcome.caRequestId).toBe('1');
    expect(rec.ids).toEqual(['1']);
    expect(rec.logLengthAtPersist).toEqual([1]); // only the submit had run
    expect(env.log().map((e) => `${e.tool} ${e.verb} ${e.outcome}`)).toEqual([
      'certreq submit pending', 'certutil setextension set', 'certutil setextension set', 'certutil resubmit issued', 'certreq retrieve issued',
    ]);
    const info = describeCertificate(outcome.certificateDer);
    // The request asked no EKU (the classic SCOM INF); the certificate carries both (docs/scom-facts.md §8.1).
    expect(info.extendedKeyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);
    expect(info.publicKeyDer.equals(input.publicKeyDer)).toBe(true);
    expect(info.commonNames).toEqual(['agent01.dmz.example']);
    // The SAN the policy planned (the request asked none): the same names the built-in CA writes.
    expect(info.subjectAltName).toEqual(['DNS:agent01.dmz.example']);
  });

  it('never lets a dialog open: certreq always gets -q, -config and every file; certutil always -config', async () => {
    const backend = env.backend();
    await backend.submit(issuanceInput('agent02.dmz.example'), () => undefined);
    await backend.chain();
    await backend.ping();
    const log = env.log();
    expect(log.filter((e) => ['dialog', 'bad-argument', 'no-config'].includes(e.outcome))).toEqual([]);
    for (const e of log.filter((x) => x.tool === 'certreq')) {
      expect(e.argv.slice(0, 4)).toEqual([`-${e.verb}`, '-q', '-config', 'ca01.example.local\\Example Standalone Root CA']);
      // -submit also carries the fingerprint attribute (-attrib agentcertRequest:<fingerprint>).
      expect(e.argv).toHaveLength(e.verb === 'submit' ? 8 : 6);
    }
    for (const e of log.filter((x) => x.tool === 'certutil')) expect(e.argv.slice(0, 2)).toEqual(['-config', 'ca01.example.local\\Example Standalone Root CA']);
  });

  it('a request that already asks for both EKUs gets no EKU -setextension (only the SAN)', async () => {
    const outcome = await env.backend().submit(issuanceInput('agent03.dmz.example', true), () => undefined);
    expect(outcome.kind).toBe('issued');
    expect(env.log().filter((e) => e.verb === 'setextension').map((e) => e.argv[4])).toEqual(['2.5.29.17']);
  });

  it('issued at submit (auto-issuing CA): no resubmit', async () => {
    env.scenario({ onSubmit: 'issue' });
    const outcome = await env.backend().submit(issuanceInput('agent04.dmz.example', true), () => undefined);
    expect(outcome).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(env.log().map((e) => e.verb)).toEqual(['submit']);
  });

  it('stays pending (an officer must approve) → pending; later issued through resume, never submitted again', async () => {
    env.scenario({ onResubmit: 'pending' });
    const backend = env.backend();
    const input = issuanceInput('agent05.dmz.example');
    const first = await backend.submit(input, () => undefined);
    expect(first).toMatchObject({ kind: 'pending', caRequestId: '1' });
    // Work files are kept while the CA holds the request, removed once it is issued.
    const workFiles = path.join(env.workDir, input.fingerprint.toLowerCase());
    expect(existsSync(path.join(workFiles, 'request.req'))).toBe(true);
    expect(await backend.resume(input, '1')).toMatchObject({ kind: 'pending', caRequestId: '1' });
    env.scenario({ onResubmit: 'issue' });
    const later = await backend.resume(input, '1');
    expect(later).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(existsSync(workFiles)).toBe(false);
    expect(env.submits()).toHaveLength(1);
  });

  it('denied at submit → denied with the CA text', async () => {
    env.scenario({ onSubmit: 'deny' });
    const outcome = await env.backend().submit(issuanceInput('agent06.dmz.example'), () => undefined);
    expect(outcome).toMatchObject({ kind: 'denied', caRequestId: '1' });
    expect(outcome.kind === 'denied' && outcome.message).toContain('The EMail name is unavailable');
  });

  it('denied at resubmit → denied', async () => {
    env.scenario({ onResubmit: 'deny' });
    const outcome = await env.backend().submit(issuanceInput('agent07.dmz.example'), () => undefined);
    expect(outcome).toMatchObject({ kind: 'denied', caRequestId: '1' });
  });

  it('German certreq output: same flow, same outcomes', async () => {
    env.scenario({ language: 'de', onResubmit: 'pending' });
    const backend = env.backend();
    const input = issuanceInput('agent08.dmz.example');
    const rec = recorder(env);
    expect(await backend.submit(input, rec.persist)).toMatchObject({ kind: 'pending', caRequestId: '1', message: 'Ausstehende Zertifikatanforderung: Bei Uebermittlung (0)' });
    expect(rec.ids).toEqual(['1']);
    env.scenario({ language: 'de' });
    expect(await backend.resume(input, '1')).toMatchObject({ kind: 'issued', caRequestId: '1' });
    env.scenario({ language: 'de', onSubmit: 'deny' });
    expect(await backend.submit(issuanceInput('agent09.dmz.example'), () => undefined)).toMatchObject({ kind: 'denied', caRequestId: '2' });
  });

  it('several requests at once get distinct ids, one submit each', async () => {
    const backend = env.backend();
    const inputs = Array.from({ length: 4 }, (_, i) => issuanceInput(`agent1${i}.dmz.example`));
    const outcomes = await Promise.all(inputs.map((i) => backend.submit(i, () => undefined)));
    expect(outcomes.map((o) => o.kind)).toEqual(['issued', 'issued', 'issued', 'issued']);
    expect(new Set(outcomes.map((o) => o.caRequestId)).size).toBe(4);
    expect(env.submits()).toHaveLength(4);
  });

  it('chain: the CA certificate from -ca.chain, cached; the issued certificate chains to it', async () => {
    const backend = env.backend();
    const outcome = await backend.submit(issuanceInput('agent20.dmz.example'), () => undefined);
    const chain = await backend.chain();
    await backend.chain();
    expect(chain).toHaveLength(1);
    expect(env.log().filter((e) => e.verb === 'ca.chain')).toHaveLength(1);
    const ca = describeCertificate(chain[0]!);
    expect(ca.subject).toContain('Example Standalone Root CA');
    expect(outcome.kind === 'issued' && describeCertificate(outcome.certificateDer).issuer).toBe(ca.subject);
  });

  it('ping, revoke and CRL publication', async () => {
    const backend = env.backend();
    expect(await backend.ping()).toMatchObject({ ok: true });
    const outcome = await backend.submit(issuanceInput('agent21.dmz.example'), () => undefined);
    const serial = outcome.kind === 'issued' ? describeCertificate(outcome.certificateDer).serialNumber : '';
    expect(await backend.revoke(serial, 'superseded')).toMatchObject({ kind: 'done' });
    expect(env.log().at(-1)).toMatchObject({ verb: 'revoke', outcome: 'revoked' });
    expect(await backend.revoke('0123456789ABCDEF', 'superseded')).toMatchObject({ kind: 'failed', code: 'AC_CA_DENIED' });
    expect(await backend.publishCrl()).toMatchObject({ kind: 'done' });
  });
});
