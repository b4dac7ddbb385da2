/**
 * The HTTP side (fastify): the REST API under /api/v1 with OpenAPI at /docs, /healthz (monitors), /metrics
 * (Prometheus), and the dashboard under /. This folder is the only one that imports fastify (docs/architecture.md
 * "House rules" 1); every handler calls an application function from services/app.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { createMonitors, latestCrl, signsCrl, type AppContext, type Monitors, type MonitorState } from '../app/index.js';
import { createSessions, createThrottle, createTokenVerifier, resolveApiTokens, type ApiToken } from './auth.js';
import { createAuthHook } from './auth-hook.js';
import { registerDashboard } from './dashboard/routes.js';
import { installErrorHandling } from './http-errors.js';
import { createMetrics } from './metrics.js';
import { registerBalanceRoutes } from './routes-balance.js';
import { registerCaRoutes } from './routes-ca.js';
import { registerHealthRoutes } from './routes-health.js';
import { registerRecordRoutes } from './routes-records.js';
import { installSecurityHeaders } from './security-headers.js';
import { ErrorBody } from './schemas.js';

export interface ApiOptions {
  ctx: AppContext;
  /** Whether the share watcher runs (monitor 7001). */
  watcherReady: () => boolean;
  /** When the watcher last reported a file event (epoch ms), for the monitor's message. */
  watcherLastEventAt?: () => number | null;
  startedAt: Date;
  /** The pipeline, woken after an approval; absent when no pipeline runs in this process. */
  pipeline?: { kick(): void };
  /** The accepted tokens; by default the configured ones, or the first-start admin token (auth.ts). */
  tokens?: ApiToken[];
  /** Re-sign the CRL when it passes half its validity (the service does; tests and benches need not). */
  refreshCrl?: boolean;
  /** The service's one set of monitors (it also evaluates them on a timer for the Event Log); made here when absent. */
  monitors?: Monitors;
}

export function watcherProbe(o: Pick<ApiOptions, 'ctx' | 'watcherReady' | 'watcherLastEventAt'>): () => { state: MonitorState; message: string } {
  return () => {
    if (!o.watcherReady()) return { state: 'critical', message: 'the share watcher is not running: new requests are not seen (the reconcile scan stops with it)' };
    const last = o.watcherLastEventAt?.() ?? null;
    return { state: 'healthy', message: last ? `watching ${o.ctx.layout.requests}; last file event ${new Date(last).toISOString()}` : `watching ${o.ctx.layout.requests}` };
  };
}

export function buildApi(o: ApiOptions): FastifyInstance {
  const { ctx } = o;
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  const tokens = o.tokens ?? resolveApiTokens(ctx.config).tokens;
  const verifier = createTokenVerifier(tokens);
  const throttle = createThrottle(ctx.clock);
  const sessions = createSessions(ctx.clock);
  const monitors = o.monitors ?? createMonitors(ctx, watcherProbe(o));
  const metrics = createMetrics(ctx);
  const kick = () => o.pipeline?.kick();

  app.decorateRequest('principal', null);
  app.decorateRequest('session', null);
  installErrorHandling(app, ctx.log);
  void app.register(cookie);
  void app.register(formbody);
  installSecurityHeaders(app);
  void app.register(swagger, {
    openapi: {
      info: { title: 'agentcert API', version: '1', description: 'Certificates for SCOM agents: requests, approvals, certificates, revocation, audit trail. Errors are `{ code, message, remediation }` with the registry\'s HTTP status.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.addSchema(ErrorBody);
  app.addHook('onRequest', createAuthHook({ verifier, throttle, sessions, log: ctx.log }));
  // Routes go in a child plugin so @fastify/swagger (loaded first) sees every one of them.
  void app.register(async (api) => {
    registerHealthRoutes(api, { ctx, monitors, metrics, startedAt: o.startedAt });
    registerRecordRoutes(api, { ctx, kick });
    registerCaRoutes(api, ctx);
    registerBalanceRoutes(api, ctx);
    registerDashboard(api, { ctx, monitors, verifier, throttle, sessions, kick });
  });
  void app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: false } });
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), auth: 'reader' };
  });

  if (o.refreshCrl && signsCrl(ctx.backend)) {
    let timer: NodeJS.Timeout | null = null;
    const refresh = () => void latestCrl(ctx).catch((err: unknown) => ctx.log.error({ err, event: 'crl_refresh_failed' }, 'could not sign the CRL'));
    app.addHook('onReady', async () => {
      refresh();
      timer = setInterval(refresh, 15 * 60_000);
      timer.unref();
    });
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer);
    });
  }
  return app;
}
