/**
 * /api/v1/ca (CA certificates, the CRL) and /api/v1/exports (CSV and JSON of the inventory).
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  allPages, caCertificates, CERTIFICATE_EXPORT_COLUMNS, crlSummary, latestCrl, listCertificates, listRequests, REQUEST_EXPORT_COLUMNS, requireAllTenants, signCrlNow, toCsv, type AppContext,
} from '../app/index.js';
import { scopeOf } from './auth.js';
import * as S from './schemas.js';

const security = [{ bearer: [] as string[] }];
const ExportFormat = Type.Object({ format: Type.Union([Type.Literal('csv'), Type.Literal('json')]) });

function attachment(reply: FastifyReply, name: string, type: string): FastifyReply {
  return reply.header('Content-Disposition', `attachment; filename="${name}"`).type(type);
}

export function registerCaRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/api/v1/ca/certificates',
    { config: { auth: 'reader' }, schema: { tags: ['ca'], summary: 'The CA certificates of the chain, issuing CA first, root last (PEM)', security, response: { 200: S.CaChain, ...S.errorResponses } } },
    async () => caCertificates(ctx.backend),
  );

  app.get(
    '/api/v1/ca/crl',
    {
      config: { auth: 'reader' },
      schema: { tags: ['ca'], summary: 'The built-in CA\'s current CRL (DER, application/pkix-crl); also at <share>/tools/agentcert.crl', security, produces: ['application/pkix-crl'], response: { 200: Type.Unknown({ description: 'DER CRL' }), ...S.errorResponses } },
    },
    async (_req, reply) => {
      const crl = await latestCrl(ctx);
      return attachment(reply, 'agentcert.crl', 'application/pkix-crl').header('X-CRL-Number', crl.crlNumber).header('X-CRL-Next-Update', crl.nextUpdate).send(crl.der);
    },
  );

  app.post(
    '/api/v1/ca/crl',
    { config: { auth: 'admin' }, schema: { tags: ['ca'], summary: 'Sign and publish a new CRL now', security, response: { 200: S.CrlSummary, ...S.errorResponses } } },
    async (req) => {
      requireAllTenants(scopeOf(req), 'signing the CA\'s CRL');
      return crlSummary(await signCrlNow(ctx));
    },
  );

  app.get<{ Params: Static<typeof ExportFormat>; Querystring: Static<typeof S.CertificateListQuery> }>(
    '/api/v1/exports/certificates.:format',
    { config: { auth: 'reader' }, schema: { tags: ['exports'], summary: 'Every certificate matching the filters, as CSV (RFC 4180) or JSON', security, params: ExportFormat, querystring: Type.Omit(S.CertificateListQuery, ['limit', 'offset']), produces: ['text/csv', 'application/json'] } },
    async (req, reply) => {
      const now = ctx.clock.now();
      const rows = await allPages((limit, offset) => listCertificates(ctx.store, { ...req.query, limit, offset }, now, scopeOf(req)));
      if (req.params.format === 'csv') return attachment(reply, 'certificates.csv', 'text/csv; charset=utf-8').send(toCsv(rows, CERTIFICATE_EXPORT_COLUMNS));
      return attachment(reply, 'certificates.json', 'application/json; charset=utf-8').send(JSON.stringify(rows));
    },
  );

  app.get<{ Params: Static<typeof ExportFormat>; Querystring: Static<typeof S.RequestListQuery> }>(
    '/api/v1/exports/requests.:format',
    { config: { auth: 'reader' }, schema: { tags: ['exports'], summary: 'Every request matching the filters, as CSV (RFC 4180) or JSON', security, params: ExportFormat, querystring: Type.Omit(S.RequestListQuery, ['limit', 'offset']), produces: ['text/csv', 'application/json'] } },
    async (req, reply) => {
      const rows = await allPages((limit, offset) => listRequests(ctx.store, { ...req.query, limit, offset }, scopeOf(req)));
      if (req.params.format === 'csv') return attachment(reply, 'requests.csv', 'text/csv; charset=utf-8').send(toCsv(rows, REQUEST_EXPORT_COLUMNS));
      return attachment(reply, 'requests.json', 'application/json; charset=utf-8').send(JSON.stringify(rows));
    },
  );
}
