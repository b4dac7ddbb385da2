/**
 * Every error answer carries the registry's HTTP status and `{ code, message, remediation }` (domain/errors.ts).
 * Dashboard pages get the same content as an HTML page (or a redirect to the sign-in page).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentcertError, ERRORS, isAgentcertError, type ErrorCode, type Logger } from '../domain/index.js';
import { errorPage } from './dashboard/pages-misc.js';

export interface ErrorBodyValue {
  code: ErrorCode;
  message: string;
  remediation: string;
  details?: string[];
}

export function toAgentcertError(err: unknown): AgentcertError {
  if (isAgentcertError(err)) return err;
  const fe = err as FastifyError & { validation?: unknown };
  if (fe?.validation) return new AgentcertError('AC_USAGE', fe.message);
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.statusCode === 404) return new AgentcertError('AC_NOT_FOUND', fe.message);
    if (fe.statusCode === 413) return new AgentcertError('AC_FILE_TOO_LARGE', fe.message);
    return new AgentcertError('AC_USAGE', fe.message);
  }
  return new AgentcertError('AC_INTERNAL', 'an internal error stopped the request', [], { cause: err });
}

export function errorBody(e: AgentcertError): ErrorBodyValue {
  return { code: e.code, message: e.message, remediation: ERRORS[e.code].remediation, ...(e.details.length ? { details: e.details } : {}) };
}

/** JSON for the API, health and metrics; HTML for the dashboard's pages. */
export function wantsJson(req: FastifyRequest): boolean {
  return /^\/(api\/|healthz|metrics|docs)/.test(req.url);
}

/** The Swagger UI page itself (not its JSON/YAML document or static files), asked for by a browser. */
function browserOpensDocs(req: FastifyRequest): boolean {
  const p = req.url.split('?')[0]!;
  return /^\/docs(\/|\/static\/index\.html)?$/.test(p) && /\btext\/html\b/.test(String(req.headers.accept ?? ''));
}

export function installErrorHandling(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err, req, reply) => {
    const e = toAgentcertError(err);
    const status = ERRORS[e.code].status;
    if (status >= 500) log.error({ err: (e.cause as Error) ?? e, url: req.url, method: req.method, code: e.code }, `API ${req.method} ${req.url} failed`);
    // A browser opening the API docs (advertised in the banner) signs in and comes back; scripts still get 401 JSON.
    if (e.code === 'AC_UNAUTHORIZED' && req.method === 'GET' && (!wantsJson(req) || browserOpensDocs(req))) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
    if (wantsJson(req)) return reply.code(status).type('application/json').send(errorBody(e));
    return reply.code(status).type('text/html; charset=utf-8').send(errorPage(errorBody(e)));
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new AgentcertError('AC_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    if (wantsJson(req)) return reply.code(404).send(errorBody(e));
    return reply.code(404).type('text/html; charset=utf-8').send(errorPage(errorBody(e)));
  });
}

/** Replies with an AgentcertError from code inside hooks that cannot throw into the handler. */
export function sendError(req: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  const body = errorBody(new AgentcertError(code, message));
  if (wantsJson(req)) return reply.code(ERRORS[code].status).send(body);
  return reply.code(ERRORS[code].status).type('text/html; charset=utf-8').send(errorPage(body));
}
