/** `revoke` for the CLI, the API and the dashboard: resolve the certificate, check the reason, revoke (lifecycle/revocation.ts). */
import { AgentcertError, isRevocationReason, REVOCATION_REASONS, type RevocationReason } from '../domain/index.js';
import { revokeIssued, type CrlPublication, type PipelineContext } from '../lifecycle/index.js';
import type { AdminActor } from './approvals.js';
import { resolveCertificate } from './records.js';
import { ALL_TENANTS } from './tenant-scope.js';

export interface RevocationView {
  serialNumber: string;
  fqdn: string;
  requestId: string;
  reason: RevocationReason;
  revokedAt: string;
  /** The new CRL agentcert signed, or null when the CA publishes its own. */
  crl: CrlPublication | null;
  caMessage: string;
  /** Where issued/<FQDN>/ went (archive/revoked/…), or null when no package of this certificate was published. */
  packageWithdrawnTo: string | null;
}

export async function revokeCertificate(ctx: PipelineContext, key: string, o: AdminActor & { reason: string; comment?: string }): Promise<RevocationView> {
  if (!isRevocationReason(o.reason)) throw new AgentcertError('AC_USAGE', `unknown revocation reason "${o.reason}"`, [`reasons: ${Object.keys(REVOCATION_REASONS).join(', ')}`]);
  const cert = await resolveCertificate(ctx.store, key, o.scope ?? ALL_TENANTS);
  const r = await revokeIssued(ctx, cert, { reason: o.reason, actor: o.actor, comment: o.comment?.trim() ?? '' });
  return { serialNumber: cert.serialNumber, fqdn: cert.fqdn, requestId: cert.requestId, reason: o.reason, revokedAt: r.revokedAt, crl: r.crl, caMessage: r.caMessage, packageWithdrawnTo: r.packageWithdrawnTo };
}

/** The summary of a published CRL without its bytes (API answers, CLI output). */
export function crlSummary(crl: CrlPublication): Omit<CrlPublication, 'der'> {
  const { der: _der, ...summary } = crl;
  return summary;
}
