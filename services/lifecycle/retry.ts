/** Retries: exponential backoff with full jitter, capped, and shorter as the agent's current certificate nears its end. */
import { backoffDelayMs, type ReasonCode, type StoredRequest } from '../domain/index.js';
import { requestLog, type PipelineContext } from './context.js';

/**
 * The longest wait between retries for this request: the configured maximum, but shorter as the FQDN's current
 * certificate nears its notAfter (at most 1/100 of its remaining life), so a renewal that keeps failing at the CA
 * is tried more often the closer the agent is to going offline.
 */
export async function retryCapMs(ctx: PipelineContext, r: StoredRequest): Promise<number> {
  const { retryBaseMs, retryMaxMs } = ctx.config.pipeline;
  const now = ctx.clock.now().getTime();
  const current = (await ctx.store.certificates.findMany({ fqdn: r.fqdn, state: 'active' })).filter((c) => c.requestId !== r.id);
  if (current.length === 0) return retryMaxMs;
  const left = Math.min(...current.map((c) => new Date(c.notAfter).getTime() - now));
  return Math.max(retryBaseMs, Math.min(retryMaxMs, Math.floor(left / 100)));
}

export async function scheduleRetry(ctx: PipelineContext, r: StoredRequest, reason: ReasonCode, message: string, data?: Record<string, unknown>): Promise<StoredRequest> {
  const attempts = r.attempts + 1;
  const delay = backoffDelayMs(attempts - 1, ctx.config.pipeline.retryBaseMs, await retryCapMs(ctx, r));
  const nextAttemptAt = new Date(ctx.clock.now().getTime() + delay).toISOString();
  requestLog(ctx, r).warn({ event: 'retry', reason, attempts, nextAttemptAt }, message);
  return ctx.store.requests.note(r.id, { reason, message: `${message} (attempt ${attempts}; next at ${nextAttemptAt})`, attempts, nextAttemptAt, data: data ?? null });
}
