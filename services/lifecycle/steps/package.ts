/** The package step: publish a verified request's delivery package to issued/<FQDN>/ (packaging/ writes it atomically). */
import { agentPaths, publishPackage, type DeliveryPackage } from '../../packaging/index.js';
import { describeCertificate } from '../../pki/index.js';
import { AgentcertError, type StoredRequest } from '../../domain/index.js';
import { removePending, removeRejection, writeRejection } from '../../intake/index.js';
import { transition, type PipelineContext } from '../context.js';
import { scheduleRetry } from '../retry.js';
import { renewalDueAt, renewalTiming } from '../schedule/renewal-due.js';
import { assignAgent, manifestManagementGroup, packageRole } from './server-assignment.js';

/** Chain as the package wants it: every CA certificate, issuing CA first; the last one is the root. */
export function chainForPackage(chain: Buffer[]): { der: Buffer; store: 'Root' | 'CA' }[] {
  return chain.map((der, i) => ({ der, store: i === chain.length - 1 ? 'Root' : 'CA' }));
}

async function publishRequestPackage(ctx: PipelineContext, r: StoredRequest): Promise<DeliveryPackage> {
  const cert = await ctx.store.certificates.forRequest(r.id);
  if (!cert) throw new AgentcertError('AC_INTERNAL', `request ${r.id} has no certificate`);
  const chain = await ctx.backend.chain();
  const { share, results } = agentPaths(ctx.config.packaging, ctx.config.share.root);
  const role = packageRole(ctx.config, r.fqdn, r.role);
  // An agent is placed once and keeps its servers (README "Management group"); servers get no assignment.
  // In one transaction: two agents published at once must not both count the same server as the emptiest.
  const at = ctx.clock.now().toISOString();
  const placing = role === 'agent' && ctx.config.managementGroup.name !== null && ctx.config.managementGroup.servers.length > 0;
  const assignment = placing ? await ctx.store.withTransaction((tx) => assignAgent(ctx.config, tx, { fqdn: r.fqdn, tenant: r.tenant }, at)) : null;
  const pkg = await publishPackage(
    {
      shareRoot: ctx.layout.root,
      fqdn: r.fqdn,
      role,
      certificateDer: cert.der,
      chain: chainForPackage(chain),
      requestFingerprint: r.fingerprint,
      requestId: r.id,
      issuedAt: cert.createdAt,
      issuer: describeCertificate(chain[0]!).subject,
      resultsPath: results ? `${results}\\${r.fqdn}.json` : null,
      renewalDueAt: renewalDueAt(new Date(cert.notBefore), new Date(cert.notAfter), renewalTiming(ctx.config)).toISOString(),
      shareUncPath: share,
      managementGroup: manifestManagementGroup(ctx.config, role, assignment),
      makensisPath: ctx.config.packaging.makensisPath,
      buildExe: ctx.config.packaging.buildExe,
    },
    { runner: ctx.runner, log: ctx.log.child({ requestId: r.id, fqdn: r.fqdn }), staging: ctx.share.staging, issuedSync: ctx.share.issuedSync },
  );
  await removeRejection(ctx, r);
  return pkg;
}

export async function packageStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  try {
    const pkg = await publishRequestPackage(ctx, r);
    await removePending(ctx, r);
    if (r.state === 'packaged') return ctx.store.requests.note(r.id, { reason: 'REPUBLISHED', message: `package published again to issued/${r.fqdn}/`, republish: false, nextAttemptAt: null });
    return transition(ctx, r, { from: 'verified', to: 'packaged', reason: 'PACKAGED', message: `package published to issued/${r.fqdn}/ (${pkg.files.length} files)`, data: { files: pkg.files } });
  } catch (err) {
    return scheduleRetry(ctx, r, 'AC_PUBLISH_FAILED', `publishing the package failed: ${(err as Error).message}`);
  }
}

export async function republishRejectionStep(ctx: PipelineContext, r: StoredRequest): Promise<StoredRequest> {
  await writeRejection(ctx, r);
  return ctx.store.requests.note(r.id, { reason: 'REPUBLISHED', message: `rejection written again to rejected/${r.fqdn}.txt`, republish: false, nextAttemptAt: null });
}
