/**
 * /healthz (no token: load balancers and monitoring probe it) and /metrics (Prometheus, reader token).
 * /healthz answers 200 while the rolled-up state is healthy or warning, 503 when it is critical.
 */
import type { FastifyInstance } from 'fastify';
import { requestCounts, type AppContext, type Monitors } from '../app/index.js';
import { scopeOf } from './auth.js';
import type { ApiMetrics } from './metrics.js';
import * as S from './schemas.js';

export function registerHealthRoutes(app: FastifyInstance, d: { ctx: AppContext; monitors: Monitors; metrics: ApiMetrics; startedAt: Date }): void {
  app.get(
    '/healthz',
    { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Rolled-up service state and the monitor table (200 healthy/warning, 503 critical)', response: { 200: S.HealthDocument, 503: S.HealthDocument } } },
    async (_req, reply) => {
      const report = await d.monitors.evaluate();
      // When the store cannot be read, the store monitor already says why.
      const requests = await requestCounts(d.ctx.store).catch(() => ({}));
      return reply.code(report.state === 'critical' ? 503 : 200).send({
        status: report.state,
        checkedAt: report.checkedAt,
        startedAt: d.startedAt.toISOString(),
        caBackend: d.ctx.backend.kind,
        monitors: report.monitors,
        requests,
      });
    },
  );

  app.get(
    '/metrics',
    { config: { auth: 'reader' }, schema: { tags: ['health'], summary: 'Prometheus metrics', security: [{ bearer: [] }], produces: ['text/plain'] } },
    async (req, reply) => {
      const scope = scopeOf(req);
      const text = scope ? await d.metrics.renderScoped(scope) : await d.metrics.render(await d.monitors.evaluate());
      return reply.type(d.metrics.registry.contentType).send(text);
    },
  );
}
