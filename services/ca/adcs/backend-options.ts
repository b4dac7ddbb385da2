/** What the AD CS backend is given and what it offers (adcs-backend.ts). */
import type { CaAdminOutcome, CaBackend, CaRevoker, Clock, CrlPublisher, Logger, PendingAmender, Runner, SubmitJournal } from '../../domain/index.js';

export interface AdcsBackendOptions {
  /** `HOST\CA Name`, as certreq/certutil -config take it. */
  config: string;
  certreqPath: string;
  certutilPath: string;
  /** Per tool call; a call still running then is killed and counts as a transport failure (retry). */
  timeoutMs: number;
  workDir: string;
  runner: Runner;
  log: Logger;
  clock?: Clock;
  /** How long the exported CA chain is trusted before it is asked for again (default 1 hour). */
  chainTtlMs?: number;
  /**
   * The CA issues at submit (RequestDisposition 1): nothing can be amended, so a request whose names or EKUs would
   * come out other than planned is refused here, before the CA sees it (the request checks reject it earlier).
   */
  issuesAtSubmit?: boolean;
  /** How often a request the CA keeps pending is asked about again (default 5 minutes). */
  pendingPollMs?: number;
  /** Instances sharing a store: the submit record every instance sees (shared-submit.ts). */
  submitJournal?: SubmitJournal;
}

/** Result of an administrative CA call (revoke, CRL publication, amending a pending request). */
export type AdcsAdminOutcome = CaAdminOutcome;

/** The AD CS backend revokes at the CA, asks it to publish its CRL, and can amend a pending request. */
export interface AdcsBackend extends CaBackend, CaRevoker, CrlPublisher, PendingAmender {
  readonly kind: 'adcs';
}
