/**
 * The HTTP side (fastify). From the spine issue on it answers /healthz; the admin API is its own issue.
 * This is the only module that imports fastify (ARCHITECTURE.md house rule 1).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { PipelineContext } from '../lifecycle/index.js';

export interface ApiOptions {
  ctx: PipelineContext;
  /** When the watcher last saw the share (for the health document). */
  watcherReady: () => boolean;
  startedAt: Date;
}

export function buildApi(o: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_req, reply) => {
    let storeOk = true;
    let counts: Record<string, number> = {};
    try {
      counts = o.ctx.store.countByState();
    } catch {
      storeOk = false;
    }
    const ok = storeOk && o.watcherReady();
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'healthy' : 'critical',
      startedAt: o.startedAt.toISOString(),
      caBackend: o.ctx.backend.kind,
      share: o.ctx.layout.root,
      checks: { store: storeOk ? 'healthy' : 'critical', watcher: o.watcherReady() ? 'healthy' : 'critical' },
      requests: counts,
    });
  });
  return app;
}
