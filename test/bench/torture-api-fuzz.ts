/**
 * Torture: the HTTP API under fast-check. Every route the service registers (API, health, metrics,
 * dashboard, docs) gets arbitrary path parameters (real ids and serials among them), query strings (the known
 * keys with hostile values, and arbitrary keys) and bodies (JSON values, broken JSON, forms, text, bytes), with an
 * admin token, a reader token, a wrong token, none, or a dashboard session with its CSRF token. No answer may
 * be a 5xx. Uses fastify's inject on the app the service builds, over a real pipeline with a few requests in it.
 */
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApi } from '../../services/api/index.js';
import { makeSampleRequest } from '../../services/pki/index.js';
import { makeHarness } from '../helpers/pipeline-harness.js';
import { summary, type ScenarioOptions, type ScenarioSummary } from './torture-common.js';

const ADMIN = 'torture-admin-token-0123456789';
const READER = 'torture-reader-token-0123456789';

type Auth = 'admin' | 'reader' | 'none' | 'wrong' | 'session';

interface Route { method: string; url: string }

const QUERY_KEYS = ['state', 'tenant', 'fqdn', 'q', 'limit', 'offset', 'expiring', 'expiringWithinDays', 'sort', 'order', 'requestId', 'actor', 'reason', 'format', 'next', 'notice', 'page', 'role'];
const HOSTILE = ['', ' ', '-1', '0', '1e309', 'NaN', 'Infinity', '0x10', '99999999999999999999', '1.5', 'null', 'true', '[]', '{}', '%', '%00', '\u0000', '../../etc/passwd', '<script>', "' OR 1=1 --", '*', '\\', 'é', '\ud800', 'packaged', 'rejected'];

function encodePart(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'));
  }
}

export async function runApiFuzzScenario(o: ScenarioOptions & { runs?: number }): Promise<ScenarioSummary> {
  const t0 = Date.now();
  const say = o.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  const runs = o.runs ?? (o.scale === 'full' ? 5000 : 200);
  const name = 'api-fuzz';
  const h = await makeHarness({
    config: { api: { tokens: [{ name: 'alice', token: ADMIN, role: 'admin' }, { name: 'robot', token: READER, role: 'reader' }] }, policy: { protectedNames: ['held.contoso.local'] } } as never,
  });
  const api: FastifyInstance = buildApi({ ctx: h.app.ctx, watcherReady: () => true, startedAt: new Date(), pipeline: h.app.pipeline });
  const routes: Route[] = [];
  api.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD' && m !== 'OPTIONS') routes.push({ method: m, url: r.url });
  });
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  try {
    await api.ready();
    // Records to aim at: packaged, rejected, held.
    h.drop('web01.contoso.local.req', makeSampleRequest('web01.contoso.local').pem);
    h.drop('web02.contoso.local.req', makeSampleRequest('web02.contoso.local').pem);
    h.drop('junk.contoso.local.req', Buffer.from('not a request'));
    h.drop('held.contoso.local.req', makeSampleRequest('held.contoso.local').pem);
    await h.settle();
    const reqs = await h.app.ctx.store.certificates.findMany({});
    const ids = [...reqs.map((c) => c.requestId), ...reqs.map((c) => c.serialNumber), ...reqs.map((c) => c.thumbprint), 'web01.contoso.local', 'held.contoso.local', 'junk.contoso.local'];
    const held = (await h.app.ctx.store.requests.find({ fqdn: 'held.contoso.local', limit: 1 }))[0] ?? null;
    if (held) ids.push(held.id);
    say(`${name}: ${routes.length} routes, ${runs} runs`);

    const session = async (): Promise<{ cookie: string; csrf: string } | null> => {
      const login = await api.inject({ method: 'POST', url: '/login', payload: `token=${ADMIN}&next=%2F`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, remoteAddress: '10.9.9.9' });
      const cookie = [login.headers['set-cookie']].flat().find((c) => typeof c === 'string' && c.startsWith('agentcert_session='))?.split(';')[0];
      if (!cookie) return null;
      const page = await api.inject({ method: 'GET', url: '/', headers: { cookie }, remoteAddress: '10.9.9.9' });
      return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '' };
    };

    const param = fc.oneof(fc.constantFrom(...ids), fc.string(), fc.constantFrom(...HOSTILE), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 1, maxLength: 64 }));
    const value = fc.oneof(fc.string(), fc.constantFrom(...HOSTILE), fc.integer().map(String), fc.double().map(String));
    const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })), value), { maxLength: 5 });
    const body = fc.oneof(
      fc.record({ kind: fc.constant('json' as const), v: fc.jsonValue() }),
      fc.record({ kind: fc.constant('json-object' as const), v: fc.dictionary(fc.constantFrom('reason', 'comment', 'csrf', 'token', 'next', 'actor', 'x'), fc.oneof(fc.jsonValue(), fc.constantFrom(...HOSTILE))) }),
      fc.record({ kind: fc.constant('broken-json' as const), v: fc.string() }),
      fc.record({ kind: fc.constant('form' as const), v: fc.array(fc.tuple(fc.constantFrom('reason', 'comment', 'csrf', 'token', 'next', 'x'), value), { maxLength: 4 }) }),
      fc.record({ kind: fc.constant('text' as const), v: fc.string() }),
      fc.record({ kind: fc.constant('bytes' as const), v: fc.uint8Array({ maxLength: 512 }) }),
      fc.constant({ kind: 'none' as const, v: null }),
    );
    const arb = fc.record({
      route: fc.constantFrom(...routes),
      auth: fc.constantFrom<Auth>('admin', 'reader', 'none', 'wrong', 'session'),
      params: fc.array(param, { minLength: 4, maxLength: 4 }),
      rawParam: fc.boolean(),
      query,
      body,
      withCsrf: fc.boolean(),
      ip: fc.integer({ min: 1, max: 250 }),
    });

    let tried = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        tried++;
        let i = 0;
        const url = c.route.url.replace(/:[A-Za-z]+/g, () => {
          const p = c.params[i++ % 4]!;
          // Raw: whatever bytes a client sends (fastify must answer 400 to bad percent-encoding, not 500).
          return c.rawParam ? p.replace(/[/?#\s]/g, '') || 'x' : encodePart(p);
        }).replace(/\*$/, c.params[3]!.replace(/[?#\s]/g, ''));
        const qs = c.query.map(([k, v]) => `${encodePart(k)}=${encodePart(v)}`).join('&');
        const headers: Record<string, string> = {};
        const sess = c.auth === 'session' ? await session() : null;
        if (c.auth === 'admin') headers.authorization = `Bearer ${ADMIN}`;
        if (c.auth === 'reader') headers.authorization = `Bearer ${READER}`;
        if (c.auth === 'wrong') headers.authorization = 'Bearer not-a-valid-token-at-all';
        if (sess) headers.cookie = sess.cookie;
        let payload: string | Buffer | undefined;
        switch (c.body.kind) {
          case 'json':
          case 'json-object': {
            const v = c.body.kind === 'json-object' && sess && c.withCsrf ? { ...(c.body.v as object), csrf: sess.csrf } : c.body.v;
            payload = JSON.stringify(v);
            headers['content-type'] = 'application/json';
            break;
          }
          case 'broken-json':
            payload = c.body.v;
            headers['content-type'] = 'application/json';
            break;
          case 'form': {
            const fields = sess && c.withCsrf ? [...c.body.v, ['csrf', sess.csrf] as [string, string]] : c.body.v;
            payload = fields.map(([k, v]) => `${encodePart(k)}=${encodePart(v)}`).join('&');
            headers['content-type'] = 'application/x-www-form-urlencoded';
            break;
          }
          case 'text':
            payload = c.body.v;
            headers['content-type'] = 'text/plain';
            break;
          case 'bytes':
            payload = Buffer.from(c.body.v);
            headers['content-type'] = 'application/octet-stream';
            break;
          case 'none':
            break;
        }
        const req: InjectOptions = { method: c.route.method as InjectOptions['method'], url: qs ? `${url}?${qs}` : url, headers, remoteAddress: `10.0.${c.ip}.${(tried % 250) + 1}`, ...(payload !== undefined && c.route.method !== 'GET' ? { payload } : {}) };
        const res = await api.inject(req);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) {
          // One line per route, auth and body kind (the run goes on: every kind of 5xx is listed, not the first).
          const key = `${req.method} ${c.route.url} (${c.auth}, ${c.body.kind})`;
          if (!failures.some((f) => f.startsWith(key)) && failures.length < 30) failures.push(`${key} → ${res.statusCode}: ${req.url} ${typeof payload === 'string' ? payload.slice(0, 120) : ''}`);
        }
        return true;
      }),
      { numRuns: runs, verbose: 0 },
    );
    const passed = Math.max(0, runs - [...statuses.entries()].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0));
    const notes = [`${routes.length} routes: ${[...new Set(routes.map((r) => `${r.method} ${r.url}`))].length} method+path pairs`, `statuses: ${[...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`];
    return summary(name, t0, { tried: runs, passed: Math.min(passed, runs), lost: 0, duplicated: 0, notes, failures });
  } finally {
    await api.close();
    await h.close();
  }
}
