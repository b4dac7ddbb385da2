/**
 * The CRL agentcert publishes for a backend that signs CRLs from agentcert's records (the built-in CA): every
 * revoked certificate with its reason, a cRLNumber that only grows (the store's typed state, so the CLI and a
 * running service never reuse one), and a nextUpdate `ca.crlValidityHours` ahead. Published to
 * <share>/tools/agentcert.crl (DER) and served by GET /api/v1/ca/crl.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentcertError, isCrlSigner, isRevocationReason, type CaBackend, type CrlSigner } from '../domain/index.js';
import { writeFileAtomic } from '../files/index.js';
import { parseCrl } from '../pki/index.js';
import type { PipelineContext } from './context.js';

export const CRL_FILE_NAME = 'agentcert.crl';

export interface CrlPublication {
  crlNumber: string;
  thisUpdate: string;
  nextUpdate: string;
  entries: number;
  file: string;
  der: Buffer;
}

export function crlPath(ctx: PipelineContext): string {
  return path.join(ctx.layout.tools, CRL_FILE_NAME);
}

function crlSigner(ctx: PipelineContext): CaBackend & CrlSigner {
  if (!isCrlSigner(ctx.backend)) {
    throw new AgentcertError('AC_CA_NO_CRL', `the ${ctx.backend.kind} CA publishes its own CRL (at its CRL distribution point); agentcert signs CRLs only for a CA whose records it keeps`);
  }
  return ctx.backend;
}

/** Sign and publish a new CRL now. */
export async function publishCrl(ctx: PipelineContext): Promise<CrlPublication> {
  const signer = crlSigner(ctx);
  const thisUpdate = ctx.clock.now();
  const nextUpdate = new Date(thisUpdate.getTime() + ctx.config.ca.crlValidityHours * 3_600_000);
  const entries = (await ctx.store.certificates.revoked()).map((c) => ({
    serialHex: c.serialNumber,
    revokedAt: new Date(c.revokedAt),
    reason: c.reason && isRevocationReason(c.reason) ? c.reason : ('unspecified' as const),
  }));
  const crlNumber = await ctx.store.state.nextCrlNumber();
  const der = await signer.signCrl({ entries, thisUpdate, nextUpdate, crlNumber });
  const file = crlPath(ctx);
  await writeFileAtomic(file, der);
  ctx.log.info({ event: 'crl_published', crlNumber: crlNumber.toString(), entries: entries.length, nextUpdate: nextUpdate.toISOString() }, `CRL ${crlNumber} published to ${file}`);
  return { crlNumber: crlNumber.toString(), thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(), entries: entries.length, file, der };
}

/**
 * The published CRL, signed again when it is missing, unreadable, or past half its validity (so relying parties
 * that cache it until nextUpdate always find a fresh one first).
 */
export async function currentCrl(ctx: PipelineContext): Promise<CrlPublication> {
  crlSigner(ctx);
  const file = crlPath(ctx);
  const der = await readFile(file).catch(() => null);
  if (der) {
    try {
      const p = parseCrl(der);
      const now = ctx.clock.now().getTime();
      const half = p.thisUpdate.getTime() + (ctx.config.ca.crlValidityHours * 3_600_000) / 2;
      const revoked = (await ctx.store.certificates.revoked()).length;
      if (p.nextUpdate && now < half && now >= p.thisUpdate.getTime() - 60_000 && p.entries.length === revoked) {
        return { crlNumber: String(p.crlNumber ?? ''), thisUpdate: p.thisUpdate.toISOString(), nextUpdate: p.nextUpdate.toISOString(), entries: p.entries.length, file, der };
      }
    } catch {
      // unreadable: sign a new one below
    }
  }
  return publishCrl(ctx);
}
