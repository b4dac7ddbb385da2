/**
 * Publishing a delivery package for a verified request (the packaging module renders and writes it atomically).
 */
import { agentPaths, publishPackage, type DeliveryPackage } from '../packaging/index.js';
import { describeCertificate } from '../pki/index.js';
import type { AgentRole } from '../domain/index.js';
import type { StoredRequest } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { removeRejection } from './owner-files.js';
import { renewalDueAt } from './renewal.js';

/** Chain as the package wants it: every CA certificate, issuing CA first; the last one is the root. */
export function chainForPackage(chain: Buffer[]): { der: Buffer; store: 'Root' | 'CA' }[] {
  return chain.map((der, i) => ({ der, store: i === chain.length - 1 ? 'Root' : 'CA' }));
}

export async function publishRequestPackage(ctx: PipelineContext, r: StoredRequest): Promise<DeliveryPackage> {
  const cert = ctx.store.certificateForRequest(r.id);
  if (!cert) throw new Error(`request ${r.id} has no certificate`);
  const chain = await ctx.backend.chain();
  const { share, results } = agentPaths(ctx.config.packaging, ctx.config.share.root);
  const l = ctx.config.lifecycle;
  const pkg = await publishPackage(
    {
      shareRoot: ctx.layout.root,
      fqdn: r.fqdn,
      role: (r.role as AgentRole) ?? 'agent',
      certificateDer: cert.der,
      chain: chainForPackage(chain),
      requestFingerprint: r.fingerprint,
      requestId: r.id,
      issuedAt: cert.createdAt,
      issuer: describeCertificate(chain[0]!).subject,
      resultsPath: results ? `${results}\\${r.fqdn}.json` : null,
      renewalDueAt: renewalDueAt(new Date(cert.notBefore), new Date(cert.notAfter), { percent: l.renewAtPercent, daysBefore: l.renewDaysBefore }).toISOString(),
      shareUncPath: share,
      makensisPath: ctx.config.packaging.makensisPath,
      buildExe: ctx.config.packaging.buildExe,
    },
    { runner: ctx.runner, log: ctx.log.child({ requestId: r.id, fqdn: r.fqdn }) },
  );
  await removeRejection(ctx, r.fqdn);
  return pkg;
}
