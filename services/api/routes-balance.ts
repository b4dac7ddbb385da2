/**
 * /api/v1 assignments and balancing (README "Management group"): the stored assignment with agents per server
 * (reader), a balancing run (admin) and the SCOM admin's script rendered from the stored assignment (admin).
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { balanceAgents, balanceScript, listAssignments } from '../app/index.js';
import type { AppContext } from '../app/index.js';
import { scopeOf } from './auth.js';
import * as S from './schemas.js';

const security = [{ bearer: [] as string[] }];

export function registerBalanceRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/api/v1/assignments',
    { config: { auth: 'reader' }, schema: { tags: ['management group'], summary: 'Every agent\'s primary and failover management servers, and agents per server', security, response: { 200: S.AssignmentList, ...S.errorResponses } } },
    async (req) => listAssignments(ctx.config, ctx.store, scopeOf(req)),
  );

  app.post<{ Body: Static<typeof S.BalanceBody> | undefined }>(
    '/api/v1/balance',
    { config: { auth: 'admin' }, schema: { tags: ['management group'], summary: 'Place agents without a server; with rebalance, move the fewest agents that bring every server to its share', security, body: S.BalanceBody, response: { 200: S.BalanceSummarySchema, ...S.errorResponses } } },
    async (req) => {
      const { assignments: _all, ...summary } = await balanceAgents(ctx.config, ctx.store, ctx.clock.now(), { rebalance: req.body?.rebalance === true }, scopeOf(req));
      return summary;
    },
  );

  app.get(
    '/api/v1/balance.ps1',
    { config: { auth: 'admin' }, schema: { tags: ['management group'], summary: 'balance-agents.ps1 with the stored assignment, for a SCOM admin to review and run', security, produces: ['text/plain'], response: { 200: Type.String(), ...S.errorResponses } } },
    async (req, reply) => {
      const script = await balanceScript(ctx.config, ctx.store, ctx.clock.now(), scopeOf(req));
      return reply.header('Content-Type', 'text/plain; charset=utf-8').header('Content-Disposition', 'attachment; filename="balance-agents.ps1"').send(script);
    },
  );
}
