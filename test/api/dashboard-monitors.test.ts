/**
 * The dashboard's pages through inject (sign-in, session cookie, CSRF, escaping of hostile values) and the
 * health monitors behind /healthz.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CaBackend } from '../../services/domain/index.js';
import { escapeHtml, html } from '../../services/api/dashboard/html.js';
import { makeSampleRequest } from '../../services/pki/index.js';
import { ADMIN, READER, makeApiHarness, type ApiHarness } from './api-harness.js';

let t: ApiHarness | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

async function signIn(a: ApiHarness, token: string): Promise<string> {
  const res = await a.api.inject({ method: 'POST', url: '/login', payload: `token=${encodeURIComponent(token)}&next=%2F`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(res.statusCode).toBe(303);
  const set = String(res.headers['set-cookie']);
  expect(set).toMatch(/agentcert_session=[^;]+;.*HttpOnly/i);
  expect(set).toMatch(/SameSite=Strict/i);
  return set.split(';')[0]!;
}

const page = (a: ApiHarness, url: string, cookie: string) => a.api.inject({ method: 'GET', url, headers: { cookie } });
const form = (a: ApiHarness, url: string, cookie: string, body: Record<string, string>) =>
  a.api.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() });
const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)![1]!;

describe('html escaping', () => {
  it('escapes every interpolated value with one function', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(html`<td>${'<b>'}</td><td>${['<i>', html`<em>ok</em>`]}</td>`.value).toBe('<td>&lt;b&gt;</td><td>&lt;i&gt;<em>ok</em></td>');
  });
});

describe('dashboard', () => {
  it('redirects to sign-in, refuses a wrong token, and shows the overview after signing in', async () => {
    t = await makeApiHarness();
    const anon = await t.api.inject({ url: '/certificates?q=x' });
    expect(anon.statusCode).toBe(302);
    expect(anon.headers.location).toBe('/login?next=%2Fcertificates%3Fq%3Dx');
    const bad = await t.api.inject({ method: 'POST', url: '/login', payload: 'token=wrong', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toContain('That token is not valid.');
    const cookie = await signIn(t, READER);
    const home = await page(t, '/', cookie);
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('id="expiry-chart"');
    expect(home.body).toContain('id="monitors"');
    expect(home.body).toContain('7005');
    expect((await t.api.inject({ method: 'POST', url: '/login', payload: 'token=x&next=%2F%2Fevil.example', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode).toBe(401);
  });

  it('shows a hostile FQDN and finding as text, never as markup', async () => {
    t = await makeApiHarness({ config: { policy: { protectedNames: ['ms01.contoso.local'] } } });
    const store = t.h.app.ctx.store;
    const evil = '<script>alert(1)</script>.contoso.local';
    const inserted = await store.requests.insert({ fingerprint: 'e'.repeat(64), fqdn: evil, tenant: 'default', csrDer: null, originalBytes: Buffer.from('x'), sourceName: `${evil}.req` }, 'seeded');
    const request = await store.requests.transition(inserted.request.id, {
      from: ['received'],
      to: 'rejected',
      reason: 'REQ_SUBJECT_FQDN',
      message: 'seeded',
      actor: 'service',
      data: null,
      findings: [{ rule: 'REQ_SUBJECT_FQDN', severity: 'error', message: 'CN is <img src=x onerror=alert(2)>', remediation: 'fix "it" & retry' }],
    });
    const cookie = await signIn(t, ADMIN);
    for (const url of [`/requests/${request.id}`, '/requests', `/requests?q=${encodeURIComponent('<script>')}`]) {
      const res = await page(t, url, cookie);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain('<script>alert(1)</script>');
      expect(res.body, url).toContain('&lt;script&gt;alert(1)&lt;/script&gt;.contoso.local');
    }
    const detail = (await page(t, `/requests/${request.id}`, cookie)).body;
    expect(detail).not.toContain('<img src=x');
    expect(detail).toContain('CN is &lt;img src=x onerror=alert(2)&gt;');
    expect(detail).toContain('fix &quot;it&quot; &amp; retry');
  });

  it('approves from a form only with the session CSRF token and an admin role, recording dashboard:<name>', async () => {
    t = await makeApiHarness({ config: { policy: { protectedNames: ['ms01.contoso.local'] } } });
    t.h.drop('ms01.contoso.local.req', makeSampleRequest('ms01.contoso.local').pem);
    await t.h.settle();
    const id = (await t.h.app.ctx.store.requests.find({ fqdn: 'ms01.contoso.local' }))[0]!.id;
    const reader = await signIn(t, READER);
    const readerPage = (await page(t, `/requests/${id}`, reader)).body;
    expect(readerPage).not.toContain('id="approve"');
    expect((await form(t, `/requests/${id}/approve`, reader, { csrf: csrfOf(readerPage) })).statusCode).toBe(403);
    const admin = await signIn(t, ADMIN);
    const adminPage = (await page(t, `/requests/${id}`, admin)).body;
    expect(adminPage).toContain('id="approve"');
    expect((await form(t, `/requests/${id}/approve`, admin, { csrf: 'forged' })).statusCode).toBe(403);
    expect((await form(t, `/requests/${id}/approve`, admin, {})).statusCode).toBe(403);
    const ok = await form(t, `/requests/${id}/approve`, admin, { csrf: csrfOf(adminPage), comment: 'gateway <gw01>' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toMatch(new RegExp(`^/requests/${id}\\?notice=`));
    await t.h.app.pipeline.idle();
    const after = (await page(t, `/requests/${id}`, admin)).body;
    expect(after).toMatch(/id="request-state"><span class="state s-packaged">/);
    expect(after).toContain('dashboard:alice');
    expect(after).toContain('gateway &lt;gw01&gt;');
    // Dates as people read them, the ISO value kept in datetime=; the API keeps ISO.
    const cert = (await t.h.app.ctx.store.certificates.forRequest(id))!;
    const human = `${cert.notAfter.slice(0, 10)} ${cert.notAfter.slice(11, 16)} UTC`;
    expect(after).toMatch(new RegExp(`<time datetime="${cert.notAfter}" title="${cert.notAfter}">${human} \\(in (729|730) days\\)</time>`));
    expect(after).not.toMatch(/<td>\d{4}-\d\d-\d\dT/);
    const api = await t.api.inject({ url: `/api/v1/requests/${id}`, headers: { authorization: `Bearer ${ADMIN}` } });
    expect((api.json() as { certificate: { notAfter: string } }).certificate.notAfter).toBe(cert.notAfter);
    // An API POST never accepts the session cookie instead of a bearer token.
    expect((await t.api.inject({ method: 'POST', url: `/api/v1/requests/${id}/deny`, headers: { cookie: admin }, payload: { reason: 'x' } })).statusCode).toBe(401);
  });
});

describe('monitors on /healthz', () => {
  it('lists the six monitors with stable event IDs and rolls up to healthy', async () => {
    t = await makeApiHarness();
    const res = await t.get('/healthz', null);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('healthy');
    expect(body.monitors.map((m: { eventId: number; state: string }) => [m.eventId, m.state])).toEqual([[7001, 'healthy'], [7002, 'healthy'], [7003, 'healthy'], [7004, 'healthy'], [7005, 'healthy'], [7006, 'healthy']]);
  });

  it('goes critical (503) when the watcher stops, and warns, then goes critical, as a request waits too long', async () => {
    let now = new Date('2026-05-01T08:00:00Z');
    const stalled = (b: CaBackend): CaBackend => ({ ...b, submit: async () => ({ kind: 'retry', caRequestId: null, code: 'AC_CA_UNAVAILABLE', message: 'RPC server unavailable' }) });
    t = await makeApiHarness({ clock: { now: () => now }, wrapBackend: stalled });
    t.watcher.ready = false;
    const down = await t.get('/healthz', null);
    expect(down.statusCode).toBe(503);
    expect(down.json().monitors[0]).toMatchObject({ eventId: 7001, state: 'critical' });
    t.watcher.ready = true;

    t.h.drop('slow.contoso.local.req', makeSampleRequest('slow.contoso.local').pem);
    await t.h.settle(); // checked, then a CA retry scheduled
    expect((await t.get('/metrics', READER)).body).toMatch(/^agentcert_ca_backend_errors_total\{code="AC_CA_UNAVAILABLE"\} 1$/m);
    now = new Date(now.getTime() + 31 * 60_000);
    const warn = (await t.get('/healthz', null)).json();
    expect(warn.status).toBe('critical'); // 7005: due for 31 min and nothing recorded
    expect(warn.monitors.find((m: { eventId: number }) => m.eventId === 7004)).toMatchObject({ state: 'warning', message: expect.stringContaining('slow.contoso.local') });
    expect(warn.monitors.find((m: { eventId: number }) => m.eventId === 7005).state).toBe('critical');
    now = new Date(now.getTime() + 4 * 3_600_000);
    const crit = await t.get('/healthz', null);
    expect(crit.statusCode).toBe(503);
    expect(crit.json().monitors.find((m: { eventId: number }) => m.eventId === 7004).state).toBe('critical');
    expect(t.h.records.some((r) => r['event'] === 'monitor_state' && r['eventId'] === 7004 && r['to'] === 'critical')).toBe(true);
  });
});
