/**
 * Approve and deny, shared by the CLI, the API and the dashboard. Each records who did it (`actor`) and why in the
 * request's event history, in the same transaction as the state change.
 *
 * Approval only moves the request to `checked`: the pipeline picks up any `checked` request on its next tick,
 * so an approval given by the CLI while a service runs elsewhere is issued by that service without a restart.
 */
import { AgentcertError, StateConflictError, type RequestState, type StoredRequest } from '../domain/index.js';
import { removePending, writeRejection } from '../intake/index.js';
import { transition, type PipelineContext } from '../lifecycle/index.js';
import { adminDenied } from '../rules/index.js';
import { resolveRequest } from './records.js';
import { ALL_TENANTS, type TenantScope } from './tenant-scope.js';

export interface AdminActor {
  /** Who: `api:<token name>`, `dashboard:<token name>`, `cli:<os user>`. */
  actor: string;
  /** The tenants the actor may act on (a tenant-scoped token); absent: every tenant. */
  scope?: TenantScope;
}

function requireState(r: StoredRequest, state: RequestState, action: string): void {
  if (r.state !== state) throw new AgentcertError('AC_STATE_CONFLICT', `request ${r.id} (${r.fqdn}) is ${r.state}; only a request in ${state} can be ${action}`);
}

async function explainConflict<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StateConflictError) throw new AgentcertError('AC_STATE_CONFLICT', `request ${err.requestId} is ${err.actual} now, not ${err.expected}`);
    throw err;
  }
}

/** awaiting_approval → checked (reason APPROVED), then pending/<FQDN>.txt goes away. */
export async function approveRequest(ctx: PipelineContext, key: string, o: AdminActor & { comment?: string }): Promise<StoredRequest> {
  const r = await resolveRequest(ctx.store, key, o.scope ?? ALL_TENANTS);
  requireState(r, 'awaiting_approval', 'approved');
  const why = o.comment?.trim() ? `: ${o.comment.trim()}` : '';
  const next = await explainConflict(() =>
    transition(ctx, r, { from: 'awaiting_approval', to: 'checked', reason: 'APPROVED', message: `approved by ${o.actor}${why}`, actor: o.actor, data: { comment: o.comment?.trim() ?? null } }),
  );
  // After the state change: a crash here leaves a stale pending file, which packaging removes anyway.
  await removePending(ctx, r);
  return next;
}

/** awaiting_approval → denied (reason ADMIN_DENIED); the owner reads the admin's reason in rejected/<FQDN>.txt. */
export async function denyRequest(ctx: PipelineContext, key: string, o: AdminActor & { reason: string }): Promise<StoredRequest> {
  const reason = o.reason.trim();
  if (!reason) throw new AgentcertError('AC_USAGE', 'a denial needs a reason: the server owner reads it in rejected/<FQDN>.txt');
  const r = await resolveRequest(ctx.store, key, o.scope ?? ALL_TENANTS);
  requireState(r, 'awaiting_approval', 'denied');
  const findings = [...r.findings, adminDenied(reason)];
  // Written before the state change (as the pipeline does), so a denied request never lacks its explanation.
  await writeRejection(ctx, r, findings);
  return explainConflict(() => transition(ctx, r, { from: 'awaiting_approval', to: 'denied', reason: 'ADMIN_DENIED', message: `denied by ${o.actor}: ${reason}`, actor: o.actor, findings, data: { reason } }));
}
