/**
 * /api/v1 requests, certificates, events and the overview; approve, deny and revoke for admins.
 * Each handler calls one application function from services/app (the CLI calls the same ones).
 */
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { approveRequest, certificateDetail, crlSummary, denyRequest, listCertificates, listEvents, listRequests, overview, renewalTiming, revokeCertificate, showRecord, type AppContext } from '../app/index.js';
import { storedServerLoads } from '../app/index.js';
import { actorOf, scopeOf } from './auth.js';
import * as S from './schemas.js';

export interface RecordRouteDeps {
  ctx: AppContext;
  /** Wake the pipeline (an approved request is worked on at once instead of at the next tick). */
  kick: () => void;
}

const reader = { auth: 'reader' as const };
const admin = { auth: 'admin' as const };
const security = [{ bearer: [] as string[] }];

export function registerRecordRoutes(app: FastifyInstance, d: RecordRouteDeps): void {
  registerRequestRoutes(app, d);
  registerCertificateRoutes(app, d);
  registerAuditRoutes(app, d);
}

/** Requests: the list, one record, approve and deny. */
function registerRequestRoutes(app: FastifyInstance, d: RecordRouteDeps): void {
  const { ctx } = d;

  app.get<{ Querystring: Static<typeof S.RequestListQuery> }>(
    '/api/v1/requests',
    { config: reader, schema: { tags: ['requests'], summary: 'Requests, newest first (filter by state, tenant, FQDN; search with q)', security, querystring: S.RequestListQuery, response: { 200: S.RequestPage, ...S.errorResponses } } },
    async (req) => listRequests(ctx.store, req.query, scopeOf(req)),
  );

  app.get<{ Params: Static<typeof S.KeyParam> }>(
    '/api/v1/requests/:id',
    { config: reader, schema: { tags: ['requests'], summary: 'One request (id, fingerprint, FQDN, serial or thumbprint) with its certificate, findings and every event', security, params: S.KeyParam, response: { 200: S.RequestDetail, ...S.errorResponses } } },
    async (req) => showRecord(ctx.store, req.params.id, renewalTiming(ctx.config), scopeOf(req)),
  );

  app.post<{ Params: Static<typeof S.KeyParam>; Body: Static<typeof S.ApproveBody> | undefined }>(
    '/api/v1/requests/:id/approve',
    { config: admin, schema: { tags: ['approvals'], summary: 'Approve a held request; the pipeline issues it without a restart', security, params: S.KeyParam, body: S.ApproveBody, response: { 200: S.RequestStateResult, ...S.errorResponses } } },
    async (req) => {
      const actor = actorOf(req.principal!);
      const r = await approveRequest(ctx, req.params.id, { actor, scope: scopeOf(req), ...(req.body?.comment ? { comment: req.body.comment } : {}) });
      d.kick();
      return { id: r.id, fqdn: r.fqdn, state: r.state, actor };
    },
  );

  app.post<{ Params: Static<typeof S.KeyParam>; Body: Static<typeof S.DenyBody> }>(
    '/api/v1/requests/:id/deny',
    { config: admin, schema: { tags: ['approvals'], summary: 'Deny a held request; the reason is written to rejected/<FQDN>.txt', security, params: S.KeyParam, body: S.DenyBody, response: { 200: S.RequestStateResult, ...S.errorResponses } } },
    async (req) => {
      const actor = actorOf(req.principal!);
      const r = await denyRequest(ctx, req.params.id, { actor, scope: scopeOf(req), reason: req.body.reason });
      return { id: r.id, fqdn: r.fqdn, state: r.state, actor };
    },
  );
}

/** Certificates: the list, one certificate, revoke. */
function registerCertificateRoutes(app: FastifyInstance, d: RecordRouteDeps): void {
  const { ctx } = d;
  app.get<{ Querystring: Static<typeof S.CertificateListQuery> }>(
    '/api/v1/certificates',
    { config: reader, schema: { tags: ['certificates'], summary: 'Certificates by notAfter (filter by state, FQDN, tenant, expiring within N days; search with q)', security, querystring: S.CertificateListQuery, response: { 200: S.CertificatePage, ...S.errorResponses } } },
    async (req) => listCertificates(ctx.store, req.query, ctx.clock.now(), scopeOf(req)),
  );

  app.get<{ Params: Static<typeof S.SerialParam> }>(
    '/api/v1/certificates/:serial',
    { config: reader, schema: { tags: ['certificates'], summary: 'One certificate by serial (either byte order) or thumbprint', security, params: S.SerialParam, response: { 200: S.CertificateDetail, ...S.errorResponses } } },
    async (req) => certificateDetail(ctx.store, req.params.serial, scopeOf(req)),
  );

  app.post<{ Params: Static<typeof S.SerialParam>; Body: Static<typeof S.RevokeBody> }>(
    '/api/v1/certificates/:serial/revoke',
    { config: admin, schema: { tags: ['certificates'], summary: 'Revoke a certificate and publish a new CRL', security, params: S.SerialParam, body: S.RevokeBody, response: { 200: S.RevocationResult, ...S.errorResponses } } },
    async (req) => {
      const actor = actorOf(req.principal!);
      const r = await revokeCertificate(ctx, req.params.serial, { actor, scope: scopeOf(req), reason: req.body.reason, ...(req.body.comment ? { comment: req.body.comment } : {}) });
      return { ...r, actor, crl: r.crl ? crlSummary(r.crl) : null };
    },
  );
}

/** The audit trail and the overview. */
function registerAuditRoutes(app: FastifyInstance, d: RecordRouteDeps): void {
  const { ctx } = d;
  app.get<{ Querystring: Static<typeof S.EventListQuery> }>(
    '/api/v1/events',
    { config: reader, schema: { tags: ['audit'], summary: 'The audit trail across requests, newest first (filter by request, actor, reason)', security, querystring: S.EventListQuery, response: { 200: S.EventPage, ...S.errorResponses } } },
    async (req) => listEvents(ctx.store, req.query, scopeOf(req)),
  );

  app.get(
    '/api/v1/overview',
    { config: reader, schema: { tags: ['audit'], summary: 'Counts by state, expiring certificates and the 12-month expiry timeline', security, response: { 200: S.OverviewSchema, ...S.errorResponses } } },
    async (req) => ({ ...(await overview(ctx.store, ctx.clock.now(), scopeOf(req))), agentsPerServer: await storedServerLoads(ctx.config, ctx.store, scopeOf(req)) }),
  );
}
