/**
 * What every lifecycle step receives (ARCHITECTURE.md house rule 2: clock, log, store, runner as arguments).
 */
import type { Config } from '../config/index.js';
import type { CaBackend, Clock, EventSink, Logger, Runner } from '../domain/index.js';
import type { ShareLayout } from '../intake/index.js';
import type { SqliteStore, StoredRequest, TransitionInput } from '../store/index.js';

export interface PipelineContext {
  config: Readonly<Config>;
  store: SqliteStore;
  backend: CaBackend;
  clock: Clock;
  log: Logger;
  runner: Runner;
  layout: ShareLayout;
  /** Called after each committed transition (the Event Log writer listens here: services/notify/event-map.ts). */
  onTransition?: (r: StoredRequest, t: TransitionInput) => void;
  /** Outcome events that are no transition (expiry, renewal overdue). */
  events?: EventSink;
}

export function requestLog(ctx: PipelineContext, r: { id: string; fqdn: string }): Logger {
  return ctx.log.child({ requestId: r.id, fqdn: r.fqdn });
}

/** Every state change goes through here: one store transaction and one log line (CONTRACT.md "Logs"). */
export function transition(ctx: PipelineContext, r: StoredRequest, t: TransitionInput): StoredRequest {
  return transitions(ctx, r, [t]);
}

/** Several state changes in one store transaction (all or none), then one log line each. */
export function transitions(ctx: PipelineContext, r: StoredRequest, ts: TransitionInput[]): StoredRequest {
  const rows = ts.length === 1 ? [ctx.store.transition(r.id, ts[0]!)] : ctx.store.atomic(() => ts.map((t) => ctx.store.transition(r.id, t)));
  const log = requestLog(ctx, r);
  ts.forEach((t, i) => logTransition(ctx, { ...r, state: i === 0 ? r.state : ts[i - 1]!.to }, t, log));
  if (ctx.onTransition) for (const t of ts) notifyTransition(ctx, r, t);
  return rows.at(-1)!;
}

/** A listener's failure must never undo or stop the flow: it is logged. */
export function notifyTransition(ctx: PipelineContext, r: StoredRequest, t: TransitionInput): void {
  try {
    ctx.onTransition?.(r, t);
  } catch (err) {
    ctx.log.error({ err, event: 'transition_listener_failed' }, 'a transition listener failed');
  }
}

/** The log line of a committed transition (CONTRACT.md "Logs"). */
export function logTransition(ctx: PipelineContext, r: StoredRequest, t: TransitionInput, log: Logger = requestLog(ctx, r)): void {
  const line = { event: `${r.state}->${t.to}`, reason: t.reason, message: t.message, actor: t.actor ?? 'service' };
  if (t.to === 'failed' || t.to === 'rejected' || t.to === 'denied') log.warn(line, t.message);
  else log.info(line, t.message);
}

/** Exponential backoff with full jitter, capped (ARCHITECTURE.md: retries use backoff with jitter). */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * The longest wait between retries for this request: the configured maximum, but shorter as the FQDN's current
 * certificate nears its notAfter (at most 1/100 of its remaining life), so a renewal that keeps failing at the CA
 * is tried more often the closer the agent is to going offline (issue 6: back off less as expiry approaches).
 */
export function retryCapMs(ctx: PipelineContext, r: StoredRequest): number {
  const { retryBaseMs, retryMaxMs } = ctx.config.pipeline;
  const now = ctx.clock.now().getTime();
  const current = ctx.store.findCertificates({ fqdn: r.fqdn, state: 'active' }).filter((c) => c.requestId !== r.id);
  if (current.length === 0) return retryMaxMs;
  const left = Math.min(...current.map((c) => new Date(c.notAfter).getTime() - now));
  return Math.max(retryBaseMs, Math.min(retryMaxMs, Math.floor(left / 100)));
}

export function scheduleRetry(ctx: PipelineContext, r: StoredRequest, reason: string, message: string, data?: Record<string, unknown>): StoredRequest {
  const attempts = r.attempts + 1;
  const delay = backoffDelayMs(attempts - 1, ctx.config.pipeline.retryBaseMs, retryCapMs(ctx, r));
  const nextAttemptAt = new Date(ctx.clock.now().getTime() + delay).toISOString();
  requestLog(ctx, r).warn({ event: 'retry', reason, attempts, nextAttemptAt }, message);
  return ctx.store.note(r.id, { reason, message: `${message} (attempt ${attempts}; next at ${nextAttemptAt})`, attempts, nextAttemptAt, data: data ?? null });
}
