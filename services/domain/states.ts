/**
 * The request state machine, in one table (docs/architecture.md "State machine"): the states, the transitions
 * allowed between them, and the groups the rest of the code asks about. Every transition is checked against
 * this table (lifecycle/context.ts `transition`), and the store's SQL state lists are generated from the groups,
 * so a new state or transition is added here and nowhere else.
 */
import { AgentcertError } from './errors.js';

export const REQUEST_STATES = [
  'received',
  'checked',
  'awaiting_approval',
  'submitted',
  'awaiting_ca',
  'issued',
  'verified',
  'packaged',
  'installed',
  'install_failed',
  'rejected',
  'denied',
  'failed',
  /** The CA signed a certificate the verify gate refused: revoked at the CA (or an admin must), the owner told why. */
  'refused',
  'superseded',
  'revoked',
  'expired',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** A certificate exists from `issued` on: an admin may revoke it in any state that holds one. */
const HOLDS_CERTIFICATE = ['issued', 'verified', 'packaged', 'installed', 'install_failed', 'superseded', 'expired', 'failed'] as const;

/** Where each state may go next. `revoked` is reachable from every state that holds a certificate. */
export const TRANSITIONS: { readonly [S in RequestState]: readonly RequestState[] } = {
  received: ['checked', 'awaiting_approval', 'rejected'],
  checked: ['submitted', 'awaiting_ca', 'issued', 'denied', 'failed'],
  awaiting_approval: ['checked', 'denied'],
  submitted: ['awaiting_ca', 'issued', 'denied', 'failed'],
  awaiting_ca: ['issued', 'denied', 'failed'],
  // refused: the gate refused what the CA signed (lifecycle/refusal.ts); the certificate is revoked with it.
  issued: ['verified', 'failed', 'refused', 'revoked'],
  verified: ['packaged', 'revoked'],
  packaged: ['installed', 'install_failed', 'superseded', 'expired', 'revoked'],
  installed: ['install_failed', 'superseded', 'expired', 'revoked'],
  install_failed: ['installed', 'superseded', 'expired', 'revoked'],
  rejected: [],
  denied: [],
  failed: ['revoked'],
  refused: [],
  superseded: ['expired', 'revoked'],
  revoked: [],
  expired: ['revoked'],
};

/** The groups of states the code asks about, each defined once. */
export const STATE_GROUPS = {
  /** The pipeline works on these whenever they are due (nothing waits for a person). */
  pipeline: ['received', 'checked', 'submitted', 'awaiting_ca', 'issued', 'verified'],
  /** A certificate is being issued for the request right now (a second key for the FQDN waits: ID_KEY_CHANGE). */
  inFlight: ['checked', 'submitted', 'awaiting_ca', 'issued', 'verified'],
  /** The request waits for an admin's decision. */
  awaitingPerson: ['awaiting_approval'],
  /** States from which a CA outcome (issued, pending, denied, failed) is applied. */
  atCa: ['checked', 'submitted', 'awaiting_ca'],
  /** A package was delivered and its certificate is (or may be) in use on the agent. */
  delivered: ['packaged', 'installed', 'install_failed'],
  /** Published results the owner may ask for again by re-dropping the request (the `republish` flag). */
  republishable: ['packaged', 'rejected'],
  /** Install results apply to requests in these states. */
  acceptsInstallResult: ['packaged', 'installed', 'install_failed'],
  /** An admin may revoke the certificate of a request in these states. */
  holdsCertificate: HOLDS_CERTIFICATE,
  /** The pipeline has nothing more to do (until a result or an admin acts). */
  terminal: ['packaged', 'installed', 'install_failed', 'rejected', 'denied', 'failed', 'refused', 'superseded', 'revoked', 'expired'],
} as const satisfies Record<string, readonly RequestState[]>;
export type StateGroup = keyof typeof STATE_GROUPS;

export function inGroup(state: RequestState, group: StateGroup): boolean {
  return (STATE_GROUPS[group] as readonly RequestState[]).includes(state);
}

export function isRequestState(s: string): s is RequestState {
  return (REQUEST_STATES as readonly string[]).includes(s);
}

export function canTransition(from: RequestState | null, to: RequestState): boolean {
  if (from === null) return to === 'received';
  return from === to ? false : TRANSITIONS[from].includes(to);
}

/** A transition the table does not allow is a defect in the code, never a user error. */
export function assertTransition(from: RequestState | null, to: RequestState): void {
  if (!canTransition(from, to)) {
    throw new AgentcertError('AC_INTERNAL', `the state table does not allow ${from ?? '(new)'} → ${to}`);
  }
}

/** A SQL `IN (…)` list of a group's states, for the store (the states are fixed identifiers, never input). */
export function sqlStateList(group: StateGroup): string {
  return STATE_GROUPS[group].map((s) => `'${s}'`).join(',');
}
