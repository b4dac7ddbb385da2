/**
 * Old certificates are revoked with reason superseded a grace period after their successor was installed
 * (the grace lets an agent that still presents the old one reconnect while its restart settles).
 */
import type { PipelineContext } from '../context.js';
import { revokeIssued } from '../revocation.js';
import { certificatePages } from './certificate-pages.js';

const DAY = 86_400_000;

export async function revokeSupersededAfterGrace(ctx: PipelineContext): Promise<string[]> {
  const now = ctx.clock.now().getTime();
  const graceDays = ctx.config.lifecycle.supersededRevokeGraceDays;
  const revoked: string[] = [];
  for await (const c of certificatePages(ctx.store.certificates, { state: 'superseded' })) {
    const at = (await ctx.store.events.forRequest(c.requestId)).filter((e) => e.reason === 'SUPERSEDED').at(-1)?.at;
    if (!at || now - new Date(at).getTime() < graceDays * DAY) continue;
    try {
      await revokeIssued(ctx, c, { actor: 'service', reason: 'superseded', comment: `superseded ${at}; grace of ${graceDays} day(s) over` });
      revoked.push(c.serialNumber);
    } catch (err) {
      ctx.log.error({ err, serialNumber: c.serialNumber, event: 'revoke_superseded_failed' }, `could not revoke superseded certificate ${c.serialNumber}; tried again at the next check`);
    }
  }
  return revoked;
}
