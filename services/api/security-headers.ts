/**
 * Response headers for every answer (@fastify/helmet, https://helmetjs.github.io/), and the dashboard's style
 * sheet as a served file.
 * - Content-Security-Policy: scripts, styles, images and fetches from this origin only — no inline script, no
 *   inline style (the dashboard has no script at all; Swagger UI at /docs loads its own files), no plugins, no
 *   <base>, forms post to this origin only, and `frame-ancestors 'none'` (no framing: clickjacking,
 *   https://www.w3.org/TR/CSP3/#directive-frame-ancestors). `upgrade-insecure-requests` is left out: the service
 *   may answer plain HTTP on a loopback or management address, and upgrading its own files would break the page.
 * - X-Frame-Options: DENY for browsers without CSP 3, X-Content-Type-Options: nosniff, Referrer-Policy:
 *   no-referrer (a request id or search text in a URL never leaves in a Referer).
 * - Cache-Control: no-store on every answer to a signed-in caller (a page, a list, an export), so a shared or
 *   later browser profile never shows an admin's page from its cache (RFC 9111 §5.2.2.5).
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { DASHBOARD_CSS, DASHBOARD_CSS_PATH } from './dashboard/styles.js';

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
  scriptSrcAttr: ["'none'"],
  upgradeInsecureRequests: null,
};

/**
 * Swagger UI (at /docs) adds one <style> element of its own at run time; it is allowed by its hash, not by
 * 'unsafe-inline' (CSP 3 §8.3 hash-source). The dashboard test opens /docs in Chromium and fails on any CSP
 * violation, so a Swagger UI upgrade that changes that style shows up there.
 */
export const SWAGGER_UI_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

export function installSecurityHeaders(app: FastifyInstance): void {
  void app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // The service is often reached by plain HTTP on a management network; HSTS belongs to a TLS front end.
    strictTransportSecurity: false,
  });
  app.addHook('onSend', async (req, reply) => {
    if (req.principal || req.session) void reply.header('Cache-Control', 'no-store');
    if (/^\/docs(\/|$|\?)/.test(req.url)) {
      const csp = reply.getHeader('content-security-policy');
      if (typeof csp === 'string') void reply.header('content-security-policy', csp.replace("style-src 'self'", `style-src 'self' ${SWAGGER_UI_STYLE_HASH}`));
    }
  });
  app.get(DASHBOARD_CSS_PATH, { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=31536000, immutable').send(DASHBOARD_CSS),
  );
}
