/**
 * Lists over 10,000 certificates (pagination, filters, totals), CSV and JSON exports, real HTTP, the OpenAPI
 * document, and the metrics a Prometheus server scrapes.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleRequest } from '../../services/pki/index.js';
import { seedCertificates, type SeedRow } from '../bench/seed.js';
import { ADMIN, READER, makeApiHarness, type ApiHarness } from './api-harness.js';

let t: ApiHarness;
let rows: SeedRow[];
const now = new Date();

beforeAll(async () => {
  t = await makeApiHarness();
  rows = seedCertificates(t.h.app.ctx.store, 10_000, now);
  // One certificate whose subject holds a comma and quotes, for the CSV quoting.
  const db = new Database(t.h.app.ctx.store.location);
  db.prepare(`UPDATE certificates SET subject = ? WHERE serial = ?`).run('CN=odd.example, O="Acme, ""Quoted"" Inc."', rows[42]!.serial);
  db.close();
});
afterAll(async () => t.close());

/** RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field), out.push(row), (row = []), (field = ''), i++;
    } else field += c;
  }
  return out;
}

describe('certificate lists over 10,000 certificates', () => {
  it('pages with a total, in notAfter order, with no gaps or overlaps', async () => {
    const seen = new Set<string>();
    let last = '';
    for (const offset of [0, 100, 200]) {
      const p = (await t.get(`/api/v1/certificates?limit=100&offset=${offset}`, READER)).json();
      expect(p).toMatchObject({ total: 10_000, limit: 100, offset });
      expect(p.items).toHaveLength(100);
      for (const c of p.items) {
        expect(seen.has(c.serialNumber)).toBe(false);
        seen.add(c.serialNumber);
        expect(c.notAfter >= last).toBe(true);
        last = c.notAfter;
      }
    }
    const tail = (await t.get('/api/v1/certificates?limit=100&offset=9950', READER)).json();
    expect(tail.items).toHaveLength(50);
    expect((await t.get('/api/v1/certificates?limit=100&offset=10000', READER)).json().items).toHaveLength(0);
  });

  it('filters by state, tenant, FQDN, search text and expiring-within, with matching totals', async () => {
    const count = (pred: (r: SeedRow) => boolean) => rows.filter(pred).length;
    const total = async (q: string) => (await t.get(`/api/v1/certificates?limit=5&${q}`, READER)).json().total as number;
    expect(await total('state=revoked')).toBe(count((r) => r.state === 'revoked'));
    expect(await total('tenant=contoso')).toBe(count((r) => r.tenant === 'contoso'));
    expect(await total('tenant=contoso&state=active')).toBe(count((r) => r.tenant === 'contoso' && r.state === 'active'));
    expect(await total(`fqdn=${rows[1234]!.fqdn}`)).toBe(1);
    expect(await total('q=host123')).toBe(count((r) => r.fqdn.includes('host123')));
    const horizon = new Date(now.getTime() + 30 * 86_400_000).toISOString();
    const soon = count((r) => r.state === 'active' && r.notAfter > now.toISOString() && r.notAfter <= horizon);
    expect(soon).toBeGreaterThan(100);
    const p = (await t.get('/api/v1/certificates?expiringWithinDays=30&limit=1000', READER)).json();
    expect(p.total).toBe(soon);
    expect(p.items.every((c: { state: string; notAfter: string }) => c.state === 'active' && c.notAfter <= horizon)).toBe(true);
  });

  it('pages requests with their certificate, and rejects out-of-range paging with AC_USAGE', async () => {
    const p = (await t.get('/api/v1/requests?tenant=fabrikam&limit=10', READER)).json();
    expect(p.total).toBe(rows.filter((r) => r.tenant === 'fabrikam').length);
    expect(p.items[0].serialNumber).toMatch(/^[0-9A-F]+$/);
    expect(p.items.map((r: { createdAt: string }) => r.createdAt)).toEqual([...p.items.map((r: { createdAt: string }) => r.createdAt)].sort().reverse());
    for (const q of ['limit=1001', 'limit=0', 'offset=-1', 'state=nonsense', 'expiringWithinDays=abc']) {
      const res = await t.get(`/api/v1/certificates?${q}`, READER);
      expect(res.statusCode, q).toBe(400);
      expect(res.json()).toMatchObject({ code: 'AC_USAGE', remediation: expect.any(String) });
    }
  });
});

describe('dashboard over 10,000 certificates', () => {
  it('draws the 12-month expiry timeline and searches the certificate table server side', async () => {
    const login = await t.api.inject({ method: 'POST', url: '/login', payload: `token=${READER}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const home = (await t.api.inject({ url: '/', headers: { cookie } })).body;
    const heights = [...home.matchAll(/<rect [^>]*height="(\d+)"/g)].map((m) => Number(m[1]));
    expect(heights).toHaveLength(12);
    expect(heights.filter((h) => h > 0).length).toBeGreaterThan(10);
    const inYear = rows.filter((r) => r.state === 'active' && r.notAfter > now.toISOString()).filter((r) => r.notAfter < new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 12, 1)).toISOString()).length;
    expect(home).toContain(`${inYear} active certificate(s) expire in the next 12 months`);
    const found = (await t.api.inject({ url: `/certificates?q=${rows[4321]!.fqdn}`, headers: { cookie } })).body;
    expect(found).toContain(rows[4321]!.serial);
    expect(found).toContain('1–1 of 1');
  });
});

describe('exports', () => {
  it('exports CSV with a header and RFC 4180 quoting of commas and quotes, matching the JSON export', async () => {
    const csv = await t.get('/api/v1/exports/certificates.csv?tenant=default', READER);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="certificates.csv"');
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe('serialNumber,fqdn,tenant,state,notBefore,notAfter,thumbprint,subject,issuer,revokedAt,revocationReason,requestId,createdAt');
    expect(csv.body).toContain(',"CN=odd.example, O=""Acme, """"Quoted"""" Inc.""",');
    expect(csv.body).toContain(',"CN=agentcert Root CA, O=agentcert",');
    const parsed = parseCsv(csv.body);
    const json = (await t.get('/api/v1/exports/certificates.json?tenant=default', READER)).json() as Record<string, string | null>[];
    expect(parsed.length - 1).toBe(json.length);
    expect(json.length).toBe(rows.filter((r) => r.tenant === 'default').length);
    const header = parsed[0]!;
    const odd = parsed.find((r) => r[0] === rows[42]!.serial)!;
    expect(odd[header.indexOf('subject')]).toBe('CN=odd.example, O="Acme, ""Quoted"" Inc."');
    expect(json.find((r) => r['serialNumber'] === rows[42]!.serial)!['subject']).toBe('CN=odd.example, O="Acme, ""Quoted"" Inc."');
    const reqCsv = await t.get('/api/v1/exports/requests.csv?state=revoked', READER);
    expect(parseCsv(reqCsv.body).length - 1).toBe(rows.filter((r) => r.state === 'revoked').length);
  });
});

describe('over real HTTP', () => {
  it('serves the API on a socket with the same auth answers', async () => {
    const api = (await import('../../services/api/index.js')).buildApi({ ctx: t.h.app.ctx, watcherReady: () => true, startedAt: new Date() });
    const base = await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const none = await fetch(`${base}/api/v1/certificates?limit=2`);
      expect(none.status).toBe(401);
      expect(((await none.json()) as { code: string }).code).toBe('AC_UNAUTHORIZED');
      expect((await fetch(`${base}/api/v1/certificates`, { headers: { authorization: 'Bearer wrong-wrong-wrong-wrong' } })).status).toBe(401);
      const ok = await fetch(`${base}/api/v1/certificates?limit=2&state=revoked`, { headers: { authorization: `Bearer ${READER}` } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { items: unknown[] }).items).toHaveLength(2);
      const forbidden = await fetch(`${base}/api/v1/ca/crl`, { method: 'POST', headers: { authorization: `Bearer ${READER}` } });
      expect(forbidden.status).toBe(403);
      const csv = await fetch(`${base}/api/v1/exports/requests.csv?q=host999`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect((await csv.text()).split('\r\n')[0]).toMatch(/^id,fqdn,tenant,role,state/);
    } finally {
      await api.close();
    }
  });
});

describe('OpenAPI and metrics', () => {
  it('documents every API route with its schemas at /docs/json', async () => {
    const doc = (await t.get('/docs/json', READER)).json();
    for (const p of ['/api/v1/requests', '/api/v1/requests/{id}', '/api/v1/requests/{id}/approve', '/api/v1/requests/{id}/deny', '/api/v1/certificates', '/api/v1/certificates/{serial}', '/api/v1/certificates/{serial}/revoke', '/api/v1/ca/crl', '/api/v1/ca/certificates', '/api/v1/events', '/healthz', '/metrics']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect(doc.paths['/api/v1/certificates'].get.parameters.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['state', 'tenant', 'fqdn', 'expiringWithinDays', 'limit', 'offset']));
    expect(doc.paths['/login']).toBeUndefined();
    expect((await t.get('/docs', READER)).statusCode).toBeLessThan(400);
  });

  it('exposes requests by state, issuance latency, expiring certificates, CA errors, watcher lag and oldest wait', async () => {
    t.h.drop('metrics01.contoso.local.req', makeSampleRequest('metrics01.contoso.local').pem);
    await t.h.settle();
    const m = await t.get('/metrics', READER);
    expect(m.statusCode, m.body + JSON.stringify(t.h.records.filter((x) => x.level === 'error').map((x) => String((x['err'] as Error)?.stack))).slice(0, 2000)).toBe(200);
    const text = m.body;
    expect(text).toMatch(/^agentcert_requests\{state="packaged"\} \d+$/m);
    expect(text).toMatch(/^agentcert_issuance_latency_seconds_count 1$/m);
    const soon30 = rows.filter((r) => r.state === 'active' && r.notAfter > now.toISOString() && r.notAfter <= new Date(now.getTime() + 30 * 86_400_000).toISOString()).length;
    expect(Number(/^agentcert_certificates_expiring\{within_days="30"\} (\d+)$/m.exec(text)![1])).toBeGreaterThanOrEqual(soon30 - 5);
    expect(text).toMatch(/^agentcert_certificates_expiring\{within_days="7"\} \d+$/m);
    expect(text).toMatch(/^# TYPE agentcert_ca_backend_errors_total counter$/m);
    expect(text).toMatch(/^agentcert_watcher_lag_seconds 0$/m);
    expect(text).toMatch(/^agentcert_oldest_waiting_request_age_seconds \d/m);
    expect(text).toMatch(/^agentcert_monitor_state\{monitor="store-writable",event_id="7002"\} 0$/m);
  });
});
