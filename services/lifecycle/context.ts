/**
 * What every lifecycle step receives (docs/architecture.md "House rules" 2: clock, log, store, runner as arguments),
 * and the one way a request changes state.
 */
import type { Config } from '../config/index.js';
import {
  assertTransition, type CaBackend, type Clock, type Logger, type RequestState, type Runner, type Store,
  type StoredRequest, type StoreTx, type TransitionListener, type TransitionRecord, type EventSink,
} from '../domain/index.js';
import type { ShareArchive, ShareLayout } from '../intake/index.js';
import type { SharedDirSync } from '../files/index.js';
import type { Stager } from '../packaging/index.js';
import type { ParsedRequests } from './parsed-cache.js';

export interface PipelineContext {
  config: Readonly<Config>;
  store: Store;
  backend: CaBackend;
  clock: Clock;
  log: Logger;
  runner: Runner;
  layout: ShareLayout;
  /** Requests parsed in this process, by fingerprint (parsing verifies a signature: done once a run). */
  parsed: ParsedRequests;
  /** Told of every committed transition (the outside world's adapters: services/notify). */
  listeners: TransitionListener[];
  /** Outcomes that are no transition (certificate expiring, renewal overdue), for the same adapters. */
  events?: EventSink;
  /** The share's long-lived helpers, owned by the application: archive/, the staging thread, issued/'s group fsync. */
  share: ShareIo;
}

export interface ShareIo {
  archive: ShareArchive;
  staging: Stager;
  issuedSync: SharedDirSync;
}

/** A state change as steps give it: the store's record, with one or several `from` states and defaults for actor and data. */
export type TransitionInput = Omit<TransitionRecord, 'from' | 'actor' | 'data'> & {
  from: RequestState | readonly RequestState[];
  actor?: string;
  data?: Record<string, unknown> | null;
};

/** What recording a transition needs of the context. */
export type TransitionDeps = Pick<PipelineContext, 'store' | 'log' | 'listeners'>;

export function requestLog(ctx: Pick<PipelineContext, 'log'>, r: { id: string; fqdn: string }): Logger {
  return ctx.log.child({ requestId: r.id, fqdn: r.fqdn });
}

function toRecord(t: TransitionInput): TransitionRecord {
  return { ...t, from: typeof t.from === 'string' ? [t.from] : t.from, actor: t.actor ?? 'service', data: t.data ?? null };
}

/** Every state change goes through here: checked against the state table, stored with its event, logged, announced. */
export function transition(ctx: TransitionDeps, r: StoredRequest, t: TransitionInput): Promise<StoredRequest> {
  return transitions(ctx, r, [t]);
}

/**
 * A state change inside a transaction the caller holds, checked against the state table; the caller announces it
 * (`announceTransition`) once the transaction has committed.
 */
export function recordTransition(tx: StoreTx, r: StoredRequest, t: TransitionInput): Promise<StoredRequest> {
  assertTransition(r.state, t.to);
  return tx.requests.transition(r.id, toRecord(t));
}

/** Several state changes of one request in one store transaction (all or none), then one log line each. */
export async function transitions(ctx: TransitionDeps, r: StoredRequest, ts: TransitionInput[]): Promise<StoredRequest> {
  const row =
    ts.length === 1
      ? await recordTransition(ctx.store, r, ts[0]!)
      : await ctx.store.withTransaction(async (tx) => {
          let last = r;
          for (const t of ts) last = await recordTransition(tx, last, t);
          return last;
        });
  ts.forEach((t, i) => announceTransition(ctx, { ...r, state: i === 0 ? r.state : ts[i - 1]!.to }, t));
  return row;
}

/**
 * The log line (docs/contract.md "Logs") and the listeners of a committed transition. The request's id and FQDN
 * go into the line itself rather than a child logger made for each transition.
 */
export function announceTransition(ctx: Pick<PipelineContext, 'log' | 'listeners'>, r: StoredRequest, t: TransitionInput): void {
  const actor = t.actor ?? 'service';
  const line = { requestId: r.id, fqdn: r.fqdn, event: `${r.state}->${t.to}`, reason: t.reason, message: t.message, actor };
  if (t.to === 'failed' || t.to === 'rejected' || t.to === 'denied' || t.to === 'refused') ctx.log.warn(line, t.message);
  else ctx.log.info(line, t.message);
  for (const l of ctx.listeners) {
    l.onTransition({ requestId: r.id, fqdn: r.fqdn, tenant: r.tenant, from: r.state, to: t.to, reason: t.reason, message: t.message, actor, data: t.data ?? null, serialNumber: t.certificate?.serialNumber ?? null });
  }
}
