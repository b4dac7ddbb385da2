/**
 * The onRequest hook that enforces each route's `config.auth`:
 * - `public`: no check (/healthz, the sign-in page);
 * - `reader` / `admin`: a bearer token of that role; GET/HEAD also accept the dashboard's session cookie
 *   (so its export and CRL links work), state-changing API calls never do;
 * - `page` / `page-admin`: the dashboard's session (POST forms also carry the session's CSRF token, checked in
 *   `checkCsrf` once the body is parsed).
 * A wrong token counts as a failure for the address' throttle; a missing one does not (browsers and probes
 * arrive without one all the time).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AgentcertError, type Logger } from '../domain/index.js';
import { csrfMatches, SESSION_COOKIE, type Principal, type Session, type Sessions, type Throttle, type TokenVerifier } from './auth.js';

export type AuthNeed = 'public' | 'reader' | 'admin' | 'page' | 'page-admin';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    session: Session | null;
  }
  interface FastifyContextConfig {
    auth?: AuthNeed;
  }
}

export interface AuthDeps {
  verifier: TokenVerifier;
  throttle: Throttle;
  sessions: Sessions;
  log: Logger;
}

export function authNeedOf(req: FastifyRequest): AuthNeed | undefined {
  return (req.routeOptions.config as { auth?: AuthNeed } | undefined)?.auth;
}

export function createAuthHook(d: AuthDeps) {
  return async function authHook(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    req.principal = null;
    req.session = null;
    const need = authNeedOf(req);
    if (!need || need === 'public') return;
    const wait = d.throttle.blockedFor(req.ip);
    if (wait > 0) {
      void reply.header('Retry-After', String(Math.ceil(wait / 1000)));
      throw new AgentcertError('AC_TOO_MANY_ATTEMPTS', `too many failed attempts from ${req.ip}; try again in ${Math.ceil(wait / 1000)} s`);
    }
    const session = d.sessions.get(req.cookies[SESSION_COOKIE]);
    if (need === 'page' || need === 'page-admin') {
      if (!session) throw new AgentcertError('AC_UNAUTHORIZED', 'sign in first');
      req.session = session;
      req.principal = { name: session.name, role: session.role, tenants: session.tenants, via: 'session' };
    } else {
      const header = req.headers.authorization;
      if (header !== undefined) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
        const token = m ? d.verifier.verify(m[1]!) : null;
        if (!token) {
          d.throttle.fail(req.ip);
          d.log.warn({ event: 'auth_failed', ip: req.ip, method: req.method, url: req.url.split('?')[0] }, `rejected an API token from ${req.ip}`);
          throw new AgentcertError('AC_UNAUTHORIZED', m ? 'the bearer token is not valid' : 'the Authorization header must be "Bearer <token>"');
        }
        req.principal = { name: token.name, role: token.role, tenants: token.tenants ?? null, via: 'token' };
      } else if (session && (req.method === 'GET' || req.method === 'HEAD')) {
        req.session = session;
        req.principal = { name: session.name, role: session.role, tenants: session.tenants, via: 'session' };
      } else throw new AgentcertError('AC_UNAUTHORIZED', 'no token: send "Authorization: Bearer <token>"');
    }
    if ((need === 'admin' || need === 'page-admin') && req.principal.role !== 'admin') {
      throw new AgentcertError('AC_FORBIDDEN', `${req.principal.name} has the ${req.principal.role} role; this needs admin`);
    }
  };
}

/** preHandler of dashboard POST forms: the hidden `csrf` field must be the session's. */
export async function checkCsrf(req: FastifyRequest): Promise<void> {
  const body = req.body as Record<string, unknown> | undefined;
  if (!req.session || !csrfMatches(req.session, body?.['csrf'])) {
    throw new AgentcertError('AC_FORBIDDEN', 'the form is stale or did not come from this dashboard (CSRF check); reload the page and try again');
  }
}
