/**
 * The admin surface probed as an attacker on the admin's network would: redirects after sign-in, security
 * headers, attacker-chosen notices, formula cells in exports, control characters in search, the docs page for a
 * browser, and a fuzz over `next` and every query parameter of every GET route (no 5xx).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeNext } from '../../services/api/safe-redirect.js';
import { makeSampleRequest } from '../../services/pki/index.js';
import { ADMIN, READER, makeApiHarness, type ApiHarness } from './api-harness.js';

let t: ApiHarness;
let admin = '';
let id = '';
let serial = '';

async function signIn(token: string, next = '/'): Promise<{ cookie: string; location: string }> {
  const res = await t.api.inject({ method: 'POST', url: '/login', payload: new URLSearchParams({ token, next }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(res.statusCode).toBe(303);
  return { cookie: String(res.headers['set-cookie']).split(';')[0]!, location: String(res.headers.location) };
}
const page = (url: string, cookie = admin) => t.api.inject({ method: 'GET', url, headers: { cookie } });

beforeAll(async () => {
  t = await makeApiHarness();
  t.h.drop('web01.contoso.local.req', makeSampleRequest('web01.contoso.local').pem);
  // A file name a spreadsheet would run as a formula; it is rejected (no such FQDN), and exported by name.
  t.h.drop('=1+2.req', makeSampleRequest('web02.contoso.local').pem);
  await t.h.settle();
  admin = (await signIn(ADMIN)).cookie;
  const r = (await t.get('/api/v1/requests?fqdn=web01.contoso.local')).json().items[0];
  id = r.id;
  serial = r.serialNumber;
});
afterAll(async () => t.close());

describe('redirect after sign-in', () => {
  it('sends a signed-in admin only to a path on this origin', async () => {
    for (const evil of ['/\t/evil.example/', '//evil.example/', '/\\evil.example', '\\\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/\n/evil.example', '/\r\nSet-Cookie: x=1', ' /x', '/ok\u0000', '/caf\u00e9', '']) {
      expect(safeNext(evil), JSON.stringify(evil)).toBe('/');
      const shown = await t.api.inject({ url: `/login?next=${encodeURIComponent(evil)}` });
      expect(shown.statusCode).toBe(200);
      expect(shown.body).toContain('name="next" value="/"');
      expect((await signIn(ADMIN, evil)).location, JSON.stringify(evil)).toBe('/');
    }
    expect(safeNext('/requests?q=web01&state=packaged')).toBe('/requests?q=web01&state=packaged');
    expect((await signIn(ADMIN, `/requests/${id}`)).location).toBe(`/requests/${id}`);
  });

  it('answers no 5xx to any next or query parameter of any GET route (fuzz)', async () => {
    const routes = ['/login', '/', '/requests', '/certificates', `/requests/${id}`, '/api/v1/requests', '/api/v1/certificates', '/api/v1/events', '/api/v1/overview',
      `/api/v1/requests/${id}`, `/api/v1/certificates/${serial}`, '/api/v1/exports/requests.csv', '/api/v1/exports/certificates.json', '/api/v1/ca/certificates', '/api/v1/ca/crl', '/healthz', '/metrics', '/docs', '/docs/json'];
    const keys = ['next', 'notice', 'q', 'state', 'offset', 'limit', 'expiring', 'expiringWithinDays', 'tenant', 'fqdn', 'requestId', 'actor', 'reason', 'format'];
    const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('/\t/evil', '/\n', '\u0000', '%', '-1', '1e309', 'Infinity', '9'.repeat(30), '//x', '/\\x'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.array(fc.tuple(fc.constantFrom(...keys), value), { minLength: 1, maxLength: 4 }), fc.boolean(), async (route, params, withSession) => {
        const qs = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        const res = await t.api.inject({ url: `${route}?${qs}`, headers: withSession ? { cookie: admin } : { authorization: `Bearer ${READER}` } });
        expect(res.statusCode, `${route}?${qs}`).toBeLessThan(500);
        for (const h of Object.values(res.headers)) expect(String(h)).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 400, seed: 16 },
    );
    // And the sign-in itself, with a valid token: `next` reaches the Location header only as a checked path.
    await fc.assert(
      fc.asyncProperty(fc.oneof(value, fc.string({ unit: 'binary', maxLength: 20 }).map((v) => `/${v}`)), async (next) => {
        const res = await t.api.inject({ method: 'POST', url: '/login', payload: new URLSearchParams({ token: ADMIN, next }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        expect(res.statusCode, JSON.stringify(next)).toBe(303);
        expect(String(res.headers.location)).toMatch(/^\/(?![/\\])[\x21-\x7e]*$/);
      }),
      { numRuns: 300, seed: 16 },
    );
  }, 120_000);
});

describe('security headers', () => {
  it('sends a strict CSP, no framing, nosniff, no referrer, and no-store on signed-in pages', async () => {
    for (const url of ['/', '/requests', `/requests/${id}`, '/certificates']) {
      const res = await page(url);
      expect(res.statusCode, url).toBe(200);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control'], url).toBe('no-store');
      // Nothing inline for the CSP to block: no <style>, no style="", no <script>, no on…= handler.
      expect(res.body).not.toMatch(/<style|style="|<script|\son[a-z]+=/i);
    }
    expect((await t.get('/api/v1/requests', READER)).headers['cache-control']).toBe('no-store');
    expect((await t.get('/api/v1/exports/requests.csv', READER)).headers['cache-control']).toBe('no-store');
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec((await page('/')).body)![1]!;
    const sheet = await t.api.inject({ url: css });
    expect(sheet.statusCode).toBe(200);
    expect(sheet.headers['content-type']).toMatch(/^text\/css/);
    expect(sheet.body).toContain('.panel{');
  });

  it('shows only fixed notices: the words come from the record, never from the link', async () => {
    const bait = 'Your session expired: sign in again at https://evil.example/login';
    const res = await page(`/requests/${id}?notice=${encodeURIComponent(bait)}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('evil.example');
    expect(res.body).not.toContain('role="status"');
  });
});

describe('exports and search', () => {
  it('neutralises cells a spreadsheet would run as a formula, keeping RFC 4180 quoting', async () => {
    const csv = (await t.get('/api/v1/exports/requests.csv', READER)).body;
    expect(csv).toContain(`,"'=1+2.req",`);
    expect(csv).not.toMatch(/(^|,)[=+\-@]/m);
    const { csvField } = await import('../../services/app/index.js');
    expect(['=HYPERLINK("x")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx', 'plain', 'a,b', 'a"b'].map(csvField)).toEqual([
      `"'=HYPERLINK(""x"")"`, `"'+1"`, `"'-2+3"`, `"'@SUM(A1)"`, `"'\tx"`, `"'\rx"`, 'plain', '"a,b"', '"a""b"',
    ]);
  });

  it('refuses search text with a control character instead of matching every row', async () => {
    for (const url of ['/api/v1/requests?q=%00abc', '/api/v1/certificates?q=%00abc', '/api/v1/exports/requests.csv?q=ab%01c', '/api/v1/requests?q=web%1F01']) {
      const res = await t.get(url, READER);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code).toBe('AC_USAGE');
    }
    expect((await page('/requests?q=%00abc')).statusCode).toBe(400);
    expect((await t.get('/api/v1/requests?q=web01', READER)).json().total).toBe(1);
  });
});

describe('/docs for a browser', () => {
  it('sends a browser without a session to sign in and back; scripts still get 401', async () => {
    const res = await t.api.inject({ url: '/docs', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/login?next=%2Fdocs');
    const login = await t.api.inject({ url: res.headers.location! });
    expect(login.body).toContain('name="next" value="/docs"');
    const { cookie, location } = await signIn(READER, '/docs');
    expect(location).toBe('/docs');
    const docs = await t.api.inject({ url: '/docs/', headers: { cookie, accept: 'text/html' } });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-ui');
    expect((await t.api.inject({ url: '/docs', headers: { accept: 'application/json' } })).statusCode).toBe(401);
    expect((await t.api.inject({ url: '/docs/json' })).statusCode).toBe(401);
  });
});

describe('revocation as a deliberate act', () => {
  const form = (url: string, body: Record<string, string>) =>
    t.api.inject({ method: 'POST', url, headers: { cookie: admin, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() });

  it('asks for a reason with none preselected and a confirmation naming the FQDN and serial; the API requires a reason', async () => {
    const body = (await page(`/requests/${id}`)).body;
    const select = /<select name="reason"[^>]*>([\s\S]*?)<\/select>/.exec(body)!;
    expect(select[0]).toContain('required');
    expect(select[1]).toMatch(/^<option value="" selected disabled>/);
    expect(select[1].match(/selected/g)).toHaveLength(1);
    expect(body).toMatch(new RegExp(`<input type="checkbox" name="confirm" value="${serial}" id="revoke-confirm" required> revoke web01\\.contoso\\.local's certificate ${serial}`));
    const csrf = /name="csrf" value="([^"]+)"/.exec(body)![1]!;
    const url = `/certificates/${serial}/revoke`;
    expect((await form(url, { csrf, confirm: serial })).statusCode).toBe(400); // no reason: none is assumed
    expect((await form(url, { csrf, reason: 'keyCompromise' })).statusCode).toBe(400); // not confirmed
    expect((await form(url, { csrf, reason: 'keyCompromise', confirm: 'ABCDEF' })).statusCode).toBe(400); // confirmed another one
    expect((await t.post(`/api/v1/certificates/${serial}/revoke`, {})).statusCode).toBe(400);
    expect((await t.get(`/api/v1/certificates/${serial}`)).json().state).toBe('active');
    const ok = await form(url, { csrf, reason: 'keyCompromise', confirm: serial });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/requests/${id}?notice=revoked`);
    const after = (await page(String(ok.headers.location))).body;
    expect(after).toContain(`Certificate ${serial} revoked by dashboard:alice; the new CRL lists it, and issued/web01.contoso.local/ no longer offers its package.`);
  });
});
