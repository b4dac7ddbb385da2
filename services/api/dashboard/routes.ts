/**
 * The dashboard: server-rendered pages under / signed in with an API token (session cookie: HttpOnly,
 * SameSite=Strict), admin forms with a per-session CSRF token. Actions call the same application functions as
 * the API and record the actor as `dashboard:<token name>`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentcertError, REQUEST_STATES } from '../../domain/index.js';
import {
  storedServerLoads,
  approveRequest, CERTIFICATE_STATES, denyRequest, listCertificates, listRequests, overview, renewalTiming, resolveCertificate, revokeCertificate, showRecord,
  type AppContext, type Monitors,
} from '../../app/index.js';
import { actorOf, scopeOf, SESSION_COOKIE, SESSION_HOURS, type Sessions, type Throttle, type TokenVerifier } from '../auth.js';
import { checkCsrf } from '../auth-hook.js';
import { safeNext } from '../safe-redirect.js';
import { href } from './html.js';
import { loginPage } from './pages-misc.js';
import { overviewPage, type PageUser } from './pages-overview.js';
import { certificatesPage, noticeKey, requestDetailPage, requestsPage, type NoticeKey } from './pages-records.js';

export interface DashboardDeps {
  ctx: AppContext;
  monitors: Monitors;
  verifier: TokenVerifier;
  throttle: Throttle;
  sessions: Sessions;
  kick: () => void;
}

const PAGE = 50;
const page = { auth: 'page' as const };
const pageAdmin = { auth: 'page-admin' as const };
type Form = Record<string, unknown>;
type ListQuery = { q?: unknown; state?: unknown; offset?: unknown; expiring?: unknown };

function userOf(req: FastifyRequest): PageUser {
  return { name: req.session!.name, role: req.session!.role, csrf: req.session!.csrf, tenants: req.session!.tenants };
}

const html = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);
/**
 * A query or form field as one string: a repeated key arrives as an array, a JSON body can hold any value
 * (found by the torture API fuzz: both ended in a 500).
 */
const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
/** A page offset or a day count: digits only, and small enough for SQLite and for date arithmetic. */
const num = (v: unknown, max = 1_000_000_000) => {
  const s = one(v);
  return s && /^\d{1,10}$/.test(s) ? Math.min(Number(s), max) : undefined;
};

const hide = { hide: true };

export function registerDashboard(app: FastifyInstance, d: DashboardDeps): void {
  registerSignIn(app, d);
  registerPages(app, d);
  registerActions(app, d);
}

/** Sign-in with a token (a session cookie after it) and sign-out. */
function registerSignIn(app: FastifyInstance, d: DashboardDeps): void {
  const { ctx } = d;

  app.get<{ Querystring: { next?: string } }>('/login', { config: { auth: 'public' }, schema: hide }, async (req, reply) => html(reply, loginPage({ next: safeNext(one(req.query.next)), error: null })));

  app.post<{ Body: Form }>('/login', { config: { auth: 'public' }, schema: hide }, async (req, reply) => {
    const next = safeNext(one(req.body?.next));
    const wait = d.throttle.blockedFor(req.ip);
    if (wait > 0) return html(reply.code(429).header('Retry-After', String(Math.ceil(wait / 1000))), loginPage({ next, error: `Too many failed attempts; try again in ${Math.ceil(wait / 1000)} s.` }));
    const token = d.verifier.verify(String(req.body?.token ?? '').trim());
    if (!token) {
      d.throttle.fail(req.ip);
      ctx.log.warn({ event: 'auth_failed', ip: req.ip, url: '/login' }, `dashboard sign-in failed from ${req.ip}`);
      return html(reply.code(401), loginPage({ next, error: 'That token is not valid.' }));
    }
    const s = d.sessions.create(token);
    ctx.log.info({ event: 'signed_in', user: token.name, role: token.role, ip: req.ip }, `${token.name} signed in to the dashboard`);
    void reply.setCookie(SESSION_COOKIE, s.id, { httpOnly: true, sameSite: 'strict', path: '/', maxAge: SESSION_HOURS * 3600, secure: req.protocol === 'https' });
    return reply.redirect(next, 303);
  });

  app.post('/logout', { config: page, schema: hide, preHandler: checkCsrf }, async (req, reply) => {
    d.sessions.destroy(req.session?.id);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}

/** The overview, the lists and one record's page. */
function registerPages(app: FastifyInstance, d: DashboardDeps): void {
  const { ctx } = d;
  app.get('/', { config: page, schema: hide }, async (req, reply) => {
    const now = ctx.clock.now();
    const scope = scopeOf(req);
    const pending = (await listRequests(ctx.store, { state: 'awaiting_approval', limit: 50 }, scope)).items;
    // Refused certificates (revoked, or waiting for an admin to revoke them) belong with the failures.
    const failures = [...(await listRequests(ctx.store, { state: 'refused', limit: 20 }, scope)).items, ...(await listRequests(ctx.store, { state: 'failed', limit: 20 }, scope)).items];
    return html(reply, overviewPage({ user: userOf(req), overview: await overview(ctx.store, now, scope), health: await d.monitors.evaluate(), pending, failures, servers: await storedServerLoads(ctx.config, ctx.store, scope) }));
  });

  app.get<{ Querystring: ListQuery }>('/requests', { config: page, schema: hide }, async (req, reply) => {
    const q = { ...req.query, q: one(req.query.q), state: one(req.query.state) };
    const state = q.state && (REQUEST_STATES as readonly string[]).includes(q.state) ? q.state : undefined;
    const p = await listRequests(ctx.store, { ...(q.q ? { q: q.q } : {}), ...(state ? { state } : {}), limit: PAGE, offset: num(q.offset) ?? 0 }, scopeOf(req));
    return html(reply, requestsPage({ user: userOf(req), page: p, ...(q.q ? { q: q.q } : {}), ...(state ? { state } : {}), states: REQUEST_STATES }));
  });

  app.get<{ Querystring: ListQuery }>('/certificates', { config: page, schema: hide }, async (req, reply) => {
    const q = { ...req.query, q: one(req.query.q), state: one(req.query.state) };
    const state = q.state && (CERTIFICATE_STATES as readonly string[]).includes(q.state) ? q.state : undefined;
    const expiring = num(q.expiring, 36500);
    const p = await listCertificates(ctx.store, { ...(q.q ? { q: q.q } : {}), ...(state ? { state } : {}), ...(expiring !== undefined ? { expiringWithinDays: expiring } : {}), limit: PAGE, offset: num(q.offset) ?? 0 }, ctx.clock.now(), scopeOf(req));
    return html(reply, certificatesPage({ user: userOf(req), page: p, ...(q.q ? { q: q.q } : {}), ...(state ? { state } : {}), ...(expiring !== undefined ? { expiring: String(expiring) } : {}), states: CERTIFICATE_STATES }));
  });

  app.get<{ Params: { id: string }; Querystring: { notice?: unknown } }>('/requests/:id', { config: page, schema: hide }, async (req, reply) => {
    // A fixed key, never text from the URL: a link cannot make the status panel say what its author wants.
    const notice = noticeKey(one(req.query.notice));
    return html(reply, requestDetailPage({ user: userOf(req), view: await showRecord(ctx.store, req.params.id, renewalTiming(ctx.config), scopeOf(req)), ...(notice ? { notice } : {}) }));
  });
}

/** Approve, deny and revoke from the forms (admin role, CSRF token). */
function registerActions(app: FastifyInstance, d: DashboardDeps): void {
  const { ctx } = d;
  const back = (reply: FastifyReply, id: string, notice: NoticeKey) => reply.redirect(href(`/requests/${encodeURIComponent(id)}`, { notice }), 303);

  app.post<{ Params: { id: string }; Body: Form }>('/requests/:id/approve', { config: pageAdmin, schema: hide, preHandler: checkCsrf }, async (req, reply) => {
    const comment = one(req.body.comment);
    const r = await approveRequest(ctx, req.params.id, { actor: actorOf(req.principal!), scope: scopeOf(req), ...(comment?.trim() ? { comment } : {}) });
    d.kick();
    return back(reply, r.id, 'approved');
  });

  app.post<{ Params: { id: string }; Body: Form }>('/requests/:id/deny', { config: pageAdmin, schema: hide, preHandler: checkCsrf }, async (req, reply) => {
    const r = await denyRequest(ctx, req.params.id, { actor: actorOf(req.principal!), scope: scopeOf(req), reason: one(req.body.reason) ?? '' });
    return back(reply, r.id, 'denied');
  });

  app.post<{ Params: { serial: string }; Body: Form }>('/certificates/:serial/revoke', { config: pageAdmin, schema: hide, preHandler: checkCsrf }, async (req, reply) => {
    const comment = one(req.body.comment);
    const reason = one(req.body.reason);
    if (!reason) throw new AgentcertError('AC_USAGE', 'choose a revocation reason: none is assumed');
    const serial = (await resolveCertificate(ctx.store, req.params.serial, scopeOf(req))).serialNumber;
    if (one(req.body.confirm)?.toUpperCase() !== serial.toUpperCase()) throw new AgentcertError('AC_USAGE', `confirm the revocation of certificate ${serial}: tick the box that names it`);
    const r = await revokeCertificate(ctx, serial, { actor: actorOf(req.principal!), scope: scopeOf(req), reason, ...(comment?.trim() ? { comment } : {}) });
    return back(reply, r.requestId, 'revoked');
  });
}
