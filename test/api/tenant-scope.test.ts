/**
 * Tenant-scoped tokens (`api.tokens[].tenants`): for every route of the API and the dashboard, a token limited
 * to tenant b sees and touches only b's requests and certificates — lists, exports, records, events, counts,
 * metrics labels and admin actions — and another tenant's record answers as not found. The route table below is
 * checked against the OpenAPI document, so a new API route without a scope test fails here.
 */
import { writeFileSync } from 'node:fs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../services/api/index.js';
import { loadConfig } from '../../services/config/index.js';
import { makeSampleRequest } from '../../services/pki/index.js';
import { makeHarness, type Harness } from '../helpers/pipeline-harness.js';

const ALL = 'alice-admin-token-0123456789';
const B_ADMIN = 'bob-b-admin-token-0123456789';
const B_READER = 'rita-b-reader-token-012345678';

let h: Harness;
let api: FastifyInstance;
const ids: Record<string, string> = {};
const serials: Record<string, string> = {};

const get = (url: string, token: string): Promise<LightMyRequestResponse> => api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
const post = (url: string, body: object, token: string): Promise<LightMyRequestResponse> => api.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload: body });
const hosts = (body: string) => [...new Set(body.match(/[a-z0-9-]+\.[ab]\.example/g) ?? [])].sort();

beforeAll(async () => {
  h = await makeHarness({
    config: {
      policy: {
        tenants: [
          { name: 'a', allowedNames: ['*.a.example'], approval: 'auto' },
          { name: 'b', allowedNames: ['*.b.example'], approval: 'auto' },
        ],
        protectedNames: ['ms.a.example', 'ms.b.example'],
      },
      managementGroup: { name: 'MG', servers: [{ fqdn: 'ms1.mg.example' }, { fqdn: 'ms2.mg.example' }] },
    } as never,
  });
  for (const [fqdn, tenant] of [['web.a.example', 'a'], ['ms.a.example', 'a'], ['web.b.example', 'b'], ['ms.b.example', 'b'], ['app.b.example', 'b']] as const) h.drop(`${fqdn}.req`, makeSampleRequest(fqdn).pem, tenant);
  await h.settle();
  api = buildApi({
    ctx: h.app.ctx,
    watcherReady: () => true,
    startedAt: new Date(),
    pipeline: h.app.pipeline,
    tokens: [
      { name: 'alice', token: ALL, role: 'admin' },
      { name: 'bob', token: B_ADMIN, role: 'admin', tenants: ['b'] },
      { name: 'rita', token: B_READER, role: 'reader', tenants: ['b'] },
    ],
  });
  await api.ready();
  for (const r of (await get('/api/v1/requests', ALL)).json().items as { id: string; fqdn: string; serialNumber: string | null }[]) {
    ids[r.fqdn] = r.id;
    if (r.serialNumber) serials[r.fqdn] = r.serialNumber;
  }
  expect(Object.keys(ids).sort()).toEqual(['app.b.example', 'ms.a.example', 'ms.b.example', 'web.a.example', 'web.b.example']);
  expect(Object.keys(serials).sort()).toEqual(['app.b.example', 'web.a.example', 'web.b.example']);
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

/** Every API route (as the OpenAPI document names it) → what a tenant-b token must get. */
const API_ROUTES: Record<string, () => Promise<void>> = {
  'GET /api/v1/requests': async () => {
    expect((await get('/api/v1/requests', B_READER)).json().items.map((r: { fqdn: string }) => r.fqdn).sort()).toEqual(['app.b.example', 'ms.b.example', 'web.b.example']);
    expect((await get('/api/v1/requests?q=example', B_READER)).json().total).toBe(3);
    expect((await get('/api/v1/requests?tenant=a', B_READER)).statusCode).toBe(403);
    expect((await get('/api/v1/requests?tenant=b', B_READER)).json().total).toBe(3);
    expect((await get('/api/v1/requests', ALL)).json().total).toBe(5);
  },
  'GET /api/v1/requests/{id}': async () => {
    for (const key of [ids['web.a.example']!, 'web.a.example', serials['web.a.example']!]) expect((await get(`/api/v1/requests/${key}`, B_READER)).statusCode, key).toBe(404);
    expect((await get(`/api/v1/requests/web.b.example`, B_READER)).json().request.tenant).toBe('b');
  },
  'GET /api/v1/certificates': async () => {
    expect((await get('/api/v1/certificates', B_READER)).json().items.map((c: { fqdn: string }) => c.fqdn).sort()).toEqual(['app.b.example', 'web.b.example']);
    expect((await get('/api/v1/certificates?tenant=a', B_READER)).statusCode).toBe(403);
  },
  'GET /api/v1/certificates/{serial}': async () => {
    expect((await get(`/api/v1/certificates/${serials['web.a.example']}`, B_READER)).statusCode).toBe(404);
    expect((await get(`/api/v1/certificates/${serials['web.b.example']}`, B_READER)).json().fqdn).toBe('web.b.example');
  },
  'GET /api/v1/events': async () => {
    const events = (await get('/api/v1/events?limit=1000', B_READER)).json();
    const b = new Set([ids['web.b.example'], ids['ms.b.example'], ids['app.b.example']]);
    expect(events.total).toBeGreaterThan(0);
    expect(events.items.every((e: { requestId: string }) => b.has(e.requestId))).toBe(true);
    expect((await get(`/api/v1/events?requestId=${ids['web.a.example']}`, B_READER)).json().total).toBe(0);
  },
  'GET /api/v1/overview': async () => {
    const o = (await get('/api/v1/overview', B_READER)).json();
    expect(Object.values(o.requestsByState as Record<string, number>).reduce((x, y) => x + y, 0)).toBe(3);
    expect(o.certificatesByState.active).toBe(2);
    expect((await get('/api/v1/overview', ALL)).json().certificatesByState.active).toBe(3);
  },
  'GET /api/v1/exports/requests.{format}': async () => {
    expect(hosts((await get('/api/v1/exports/requests.csv', B_READER)).body)).toEqual(['app.b.example', 'ms.b.example', 'web.b.example']);
    expect(hosts((await get('/api/v1/exports/requests.json', B_READER)).body)).toEqual(['app.b.example', 'ms.b.example', 'web.b.example']);
    expect((await get('/api/v1/exports/requests.csv?tenant=a', B_READER)).statusCode).toBe(403);
  },
  'GET /api/v1/exports/certificates.{format}': async () => {
    expect(hosts((await get('/api/v1/exports/certificates.csv', B_READER)).body)).toEqual(['app.b.example', 'web.b.example']);
    expect(hosts((await get('/api/v1/exports/certificates.json', B_READER)).body)).toEqual(['app.b.example', 'web.b.example']);
  },
  'GET /metrics': async () => {
    const mine = (await get('/metrics', B_READER)).body;
    expect(mine).toMatch(/^agentcert_tenant_certificates\{tenant="b",state="active"\} 2$/m);
    expect(mine).toMatch(/^agentcert_certificates\{state="active"\} 2$/m);
    expect(mine).not.toContain('tenant="a"');
    expect(mine).not.toContain('agentcert_monitor_state');
    const all = (await get('/metrics', ALL)).body;
    expect(all).toMatch(/^agentcert_tenant_certificates\{tenant="a",state="active"\} 1$/m);
    expect(all).toMatch(/^agentcert_certificates\{state="active"\} 3$/m);
  },
  // The CA's own material is the same for every tenant: its certificates, and the CRL every agent reads.
  'GET /api/v1/ca/certificates': async () => expect((await get('/api/v1/ca/certificates', B_READER)).statusCode).toBe(200),
  'GET /api/v1/ca/crl': async () => expect((await get('/api/v1/ca/crl', B_READER)).statusCode).toBe(200),
  'POST /api/v1/ca/crl': async () => {
    expect((await post('/api/v1/ca/crl', {}, B_ADMIN)).statusCode).toBe(403);
    expect((await post('/api/v1/ca/crl', {}, ALL)).statusCode).toBe(200);
  },
  'GET /healthz': async () => expect((await api.inject({ url: '/healthz' })).statusCode).toBe(200),
  'POST /api/v1/requests/{id}/deny': async () => {
    expect((await post(`/api/v1/requests/${ids['ms.a.example']}/deny`, { reason: 'not yours' }, B_ADMIN)).statusCode).toBe(404);
    expect((await get(`/api/v1/requests/${ids['ms.a.example']}`, ALL)).json().request.state).toBe('awaiting_approval');
  },
  'POST /api/v1/requests/{id}/approve': async () => {
    expect((await post(`/api/v1/requests/${ids['ms.a.example']}/approve`, {}, B_ADMIN)).statusCode).toBe(404);
    expect((await post('/api/v1/requests/ms.a.example/approve', {}, B_ADMIN)).statusCode).toBe(404);
    expect((await post(`/api/v1/requests/${ids['ms.b.example']}/approve`, {}, B_READER)).statusCode).toBe(403);
    const ok = await post(`/api/v1/requests/${ids['ms.b.example']}/approve`, {}, B_ADMIN);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().actor).toBe('api:bob');
  },
  'POST /api/v1/certificates/{serial}/revoke': async () => {
    expect((await post(`/api/v1/certificates/${serials['web.a.example']}/revoke`, { reason: 'keyCompromise' }, B_ADMIN)).statusCode).toBe(404);
    expect((await post('/api/v1/certificates/web.a.example/revoke', { reason: 'keyCompromise' }, B_ADMIN)).statusCode).toBe(404);
    expect((await get(`/api/v1/certificates/${serials['web.a.example']}`, ALL)).json().state).toBe('active');
    const ok = await post(`/api/v1/certificates/${serials['app.b.example']}/revoke`, { reason: 'superseded' }, B_ADMIN);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().packageWithdrawnTo).toMatch(new RegExp(`^archive/revoked/.*-${serials['app.b.example']}-app\\.b\\.example$`));
  },
  // The management group (README "Management group"): a scoped token sees its tenants' agents and their load only;
  // balancing and its script move every tenant's agents, so they need an unscoped token.
  'GET /api/v1/assignments': async () => {
    const mine = (await get('/api/v1/assignments', B_READER)).json() as { items: { agent: string; tenant: string }[]; perServer: { agents: number }[] };
    expect(mine.items.map((x) => x.agent)).toContain('web.b.example');
    expect(mine.items.every((x) => x.tenant === 'b')).toBe(true);
    expect(mine.perServer.reduce((n, p) => n + p.agents, 0)).toBe(mine.items.length);
    expect((await get('/api/v1/overview', B_READER)).json().agentsPerServer.reduce((n: number, p: { agents: number }) => n + p.agents, 0)).toBe(mine.items.length);
    expect((await get('/api/v1/assignments', ALL)).json().items.map((x: { agent: string }) => x.agent)).toContain('web.a.example');
  },
  'POST /api/v1/balance': async () => {
    expect((await post('/api/v1/balance', { rebalance: true }, B_ADMIN)).statusCode).toBe(403);
    expect((await post('/api/v1/balance', { rebalance: true }, ALL)).statusCode).toBe(200);
  },
  'GET /api/v1/balance.ps1': async () => {
    expect((await get('/api/v1/balance.ps1', B_ADMIN)).statusCode).toBe(403);
    expect((await get('/api/v1/balance.ps1', ALL)).statusCode).toBe(200);
  },
};

describe('a token limited to tenant b, on every API route', () => {
  it('covers every route of the OpenAPI document', async () => {
    const doc = (await get('/docs/json', ALL)).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.sort()).toEqual(Object.keys(API_ROUTES).sort());
  });

  for (const [route, check] of Object.entries(API_ROUTES)) it(route, check);
});

describe('the dashboard for a token limited to tenant b', () => {
  async function signIn(token: string): Promise<string> {
    const res = await api.inject({ method: 'POST', url: '/login', payload: new URLSearchParams({ token, next: '/' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    return String(res.headers['set-cookie']).split(';')[0]!;
  }
  const page = (url: string, cookie: string) => api.inject({ url, headers: { cookie } });

  it('shows the scope, lists only b, answers another tenant\'s record as not found, and refuses its actions', async () => {
    const cookie = await signIn(B_ADMIN);
    for (const url of ['/', '/requests', '/certificates', '/requests?q=example', '/certificates?q=example']) {
      const res = await page(url, cookie);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('<span id="scope">tenants: b only</span>');
      expect(res.body, url).not.toContain('.a.example');
    }
    expect(hosts((await page('/requests', cookie)).body)).toEqual(['app.b.example', 'ms.b.example', 'web.b.example']);
    expect((await page(`/requests/${ids['web.a.example']}`, cookie)).statusCode).toBe(404);
    const mine = await page(`/requests/${ids['web.b.example']}`, cookie);
    expect(mine.statusCode).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(mine.body)![1]!;
    const form = (url: string, body: Record<string, string>) => api.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ csrf, ...body }).toString() });
    expect((await form(`/requests/${ids['ms.a.example']}/approve`, {})).statusCode).toBe(404);
    expect((await form(`/requests/${ids['ms.a.example']}/deny`, { reason: 'no' })).statusCode).toBe(404);
    expect((await form(`/certificates/${serials['web.a.example']}/revoke`, { reason: 'keyCompromise', confirm: serials['web.a.example']! })).statusCode).toBe(404);
    // The session's export links carry the same scope.
    expect(hosts((await page('/api/v1/exports/certificates.csv', cookie)).body).every((x) => x.endsWith('.b.example'))).toBe(true);
    expect((await page('/', await signIn(ALL))).body).toContain('<span id="scope">all tenants</span>');
  });
});

describe('configuration', () => {
  it('refuses a token scoped to a tenant that does not exist', () => {
    const file = `${h.env.dir}/scoped.json`;
    const base = { share: { root: h.env.share }, data: { dir: h.env.data }, policy: { tenants: [{ name: 'b', allowedNames: ['*.b.example'], approval: 'auto' }] } };
    writeFileSync(file, JSON.stringify({ ...base, api: { tokens: [{ name: 'x', token: 'x'.repeat(20), role: 'reader', tenants: ['b', 'c'] }] } }));
    expect(() => loadConfig({ file, env: {} })).toThrow(expect.objectContaining({ details: [expect.stringMatching(/^api\.tokens\.0\.tenants\.1: "c" is not a tenant \(tenants: default, b\)$/)] }));
  });
});
