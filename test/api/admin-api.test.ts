/**
 * The admin API through fastify inject: auth failures and throttling, approvals that continue through the
 * pipeline, denials the owner can read, revocation with a signed CRL, and every action's actor in the history.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBuiltinCa } from '../../services/ca/index.js';
import { makeSampleRequest, parseCrl } from '../../services/pki/index.js';
import { ADMIN, READER, makeApiHarness, type ApiHarness } from './api-harness.js';

let t: ApiHarness | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

async function issued(fqdn: string): Promise<ApiHarness> {
  t ??= await makeApiHarness({ config: { policy: { protectedNames: ['ms01.contoso.local'] } } });
  t.h.drop(`${fqdn}.req`, makeSampleRequest(fqdn).pem);
  await t.h.settle();
  return t;
}

describe('API auth', () => {
  it('answers /healthz without a token, and 401 with code and remediation without one or with a wrong one', async () => {
    t = await makeApiHarness();
    expect((await t.get('/healthz', null)).statusCode).toBe(200);
    const none = await t.get('/api/v1/requests', null);
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'AC_UNAUTHORIZED', message: expect.stringContaining('no token'), remediation: expect.stringContaining('Bearer') });
    const wrong = await t.get('/api/v1/requests', 'not-the-token-at-all-000000');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toMatch(/not valid/);
    const malformed = await t.api.inject({ url: '/api/v1/requests', headers: { authorization: `Basic ${ADMIN}` } });
    expect(malformed.statusCode).toBe(401);
    expect((await t.get('/metrics', null)).statusCode).toBe(401);
    expect((await t.get('/docs/json', null)).statusCode).toBe(401);
  });

  it('lets a reader read and refuses it every admin action with 403', async () => {
    t = await issued('web01.contoso.local');
    const list = await t.get('/api/v1/requests', READER);
    expect(list.statusCode).toBe(200);
    const id = list.json().items[0].id as string;
    const serial = list.json().items[0].serialNumber as string;
    for (const [url, body] of [
      [`/api/v1/requests/${id}/approve`, {}],
      [`/api/v1/requests/${id}/deny`, { reason: 'no' }],
      [`/api/v1/certificates/${serial}/revoke`, { reason: 'keyCompromise' }],
      ['/api/v1/ca/crl', undefined],
    ] as const) {
      const res = await t.post(url, body, READER);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().code).toBe('AC_FORBIDDEN');
    }
    expect((await t.get(`/api/v1/certificates/${serial}`, READER)).json().state).toBe('active');
  });

  it('answers 429 for a minute after 5 wrong tokens from one address, even to the right token', async () => {
    let now = new Date('2026-03-01T10:00:00Z');
    t = await makeApiHarness({ clock: { now: () => now } });
    for (let i = 0; i < 5; i++) expect((await t.get('/api/v1/requests', `wrong-token-${i}-xxxxxxxxxxxx`)).statusCode).toBe(401);
    const blocked = await t.get('/api/v1/requests', ADMIN);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('AC_TOO_MANY_ATTEMPTS');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(50);
    now = new Date(now.getTime() + 61_000);
    expect((await t.get('/api/v1/requests', ADMIN)).statusCode).toBe(200);
  });
});

describe('approvals', () => {
  it('holds a protected name, shows it to the owner and admins, and issues it after approval without a restart', async () => {
    t = await issued('ms01.contoso.local');
    const pending = path.join(t.h.env.share, 'pending', 'ms01.contoso.local.txt');
    expect(readFileSync(pending, 'utf8')).toMatch(/waits for an administrator's approval[\s\S]*What happens next/);
    const held = (await t.get('/api/v1/requests?state=awaiting_approval')).json();
    expect(held.total).toBe(1);
    const id = held.items[0].id as string;
    const res = await t.post(`/api/v1/requests/${id}/approve`, { comment: 'management server, change 4711' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, state: 'checked', actor: 'api:alice' });
    expect(existsSync(pending)).toBe(false);
    await t.h.app.pipeline.idle(); // the API kicked the running pipeline
    const detail = (await t.get(`/api/v1/requests/${id}`)).json();
    expect(detail.request.state, JSON.stringify(t.h.records.filter((r) => r.level !== 'info'))).toBe('packaged');
    const approved = detail.events.find((e: { reason: string }) => e.reason === 'APPROVED');
    expect(approved).toMatchObject({ actor: 'api:alice', from: 'awaiting_approval', to: 'checked' });
    expect(approved.message).toContain('change 4711');
    expect((await t.post(`/api/v1/requests/${id}/approve`, {})).json().code).toBe('AC_STATE_CONFLICT');
  });

  it('denies with a reason the owner reads in rejected/<FQDN>.txt, and records the admin', async () => {
    t = await issued('ms01.contoso.local');
    const id = (await t.get('/api/v1/requests?fqdn=ms01.contoso.local')).json().items[0].id as string;
    expect((await t.post(`/api/v1/requests/${id}/deny`, {})).statusCode).toBe(400);
    const res = await t.post(`/api/v1/requests/${id}/deny`, { reason: 'not a management server of ours' });
    expect(res.json()).toMatchObject({ state: 'denied', actor: 'api:alice' });
    expect(readFileSync(path.join(t.h.env.share, 'rejected', 'ms01.contoso.local.txt'), 'utf8')).toContain('not a management server of ours');
    expect(existsSync(path.join(t.h.env.share, 'pending', 'ms01.contoso.local.txt'))).toBe(false);
    const ev = (await t.get(`/api/v1/events?requestId=${id}`)).json().items[0];
    expect(ev).toMatchObject({ reason: 'ADMIN_DENIED', actor: 'api:alice', to: 'denied' });
  });
});

describe('revocation', () => {
  it('revokes, shows it revoked everywhere, and publishes a signed CRL with the reason and nextUpdate', async () => {
    t = await issued('web01.contoso.local');
    const item = (await t.get('/api/v1/certificates?fqdn=web01.contoso.local')).json().items[0];
    const res = await t.post(`/api/v1/certificates/${item.serialNumber}/revoke`, { reason: 'keyCompromise', comment: 'disk stolen' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ serialNumber: item.serialNumber, reason: 'keyCompromise', actor: 'api:alice', crl: { crlNumber: '1', entries: 1 } });
    expect((await t.get(`/api/v1/certificates/${item.serialNumber}`)).json()).toMatchObject({ state: 'revoked', revocationReason: 'keyCompromise', requestState: 'revoked' });
    expect((await t.get('/api/v1/requests?state=revoked')).json().items[0].certificateState).toBe('revoked');
    const detail = (await t.get(`/api/v1/requests/${item.requestId}`)).json();
    expect(detail.events.at(-1)).toMatchObject({ reason: 'REVOKED', actor: 'api:alice', to: 'revoked' });

    const file = readFileSync(path.join(t.h.env.share, 'tools', 'agentcert.crl'));
    const crl = parseCrl(file);
    expect(crl.signatureValidWith(loadBuiltinCa(t.h.env.data, null).signer.certDer)).toBe(true);
    expect(crl.entries).toEqual([expect.objectContaining({ serialHex: item.serialNumber, reason: 'keyCompromise' })]);
    expect(crl.nextUpdate!.getTime() - crl.thisUpdate.getTime()).toBe(168 * 3_600_000);
    const served = await t.get('/api/v1/ca/crl', READER);
    expect(served.headers['content-type']).toBe('application/pkix-crl');
    expect(Buffer.compare(served.rawPayload, file)).toBe(0);
    expect((await t.post(`/api/v1/certificates/${item.serialNumber}/revoke`, { reason: 'superseded' })).statusCode).toBe(409);
    expect((await t.post(`/api/v1/certificates/${item.serialNumber}/revoke`, { reason: 'certificateHold' })).statusCode).toBe(400);
  });

  it('serves the CA certificates and signs a fresh CRL on demand with a growing cRLNumber', async () => {
    t = await makeApiHarness();
    const chain = (await t.get('/api/v1/ca/certificates', READER)).json();
    expect(chain.backend).toBe('builtin');
    expect(chain.chain[0].pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const a = (await t.post('/api/v1/ca/crl')).json();
    const b = (await t.post('/api/v1/ca/crl')).json();
    expect(BigInt(b.crlNumber)).toBe(BigInt(a.crlNumber) + 1n);
  });
});
