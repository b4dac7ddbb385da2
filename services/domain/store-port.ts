/**
 * The Store port: everything agentcert keeps, behind one asynchronous interface with an explicit transaction
 * boundary, so an embedded database (SQLite, store/sqlite/) and a server database implement it alike and callers
 * never change. Split by aggregate: requests (with their audit events, written in the same transaction as each
 * state change), certificates, typed lifecycle state, and read-only views for lists, dashboards and metrics.
 *
 * A transaction body (`withTransaction(async (tx) => …)`) does store work only: it must not wait on the CA, the
 * share or the network, since the store is held for its duration.
 */
import type { RequestState, StateGroup } from './states.js';
import type { ReasonCode } from './reasons.js';
import type { SubmitRecord } from './ports.js';
import type { AgentAssignment, AgentRole, AuditEvent, CertificateState, Finding, IssuedCertificate, StoredAssignment, StoredRequest } from './types.js';

export interface NewRequest {
  fingerprint: string;
  fqdn: string;
  tenant: string;
  role?: AgentRole;
  csrDer: Buffer | null;
  originalBytes: Buffer;
  sourceName: string;
}

/** One state change as the store records it (lifecycle/context.ts `transition` checks it against the state table first). */
export interface TransitionRecord {
  /** The states the request may be in for the change to apply (compare-and-set). */
  from: readonly RequestState[];
  to: RequestState;
  reason: ReasonCode;
  message: string;
  actor: string;
  data: Record<string, unknown> | null;
  caRequestId?: string | null;
  findings?: Finding[];
  /** Resets the retry counter and schedule unless given. */
  attempts?: number;
  nextAttemptAt?: string | null;
  republish?: boolean;
  /** Stored in the same transaction: a certificate never exists without its `issued` event. */
  certificate?: Omit<IssuedCertificate, 'createdAt' | 'state' | 'revokedAt' | 'revocationReason'>;
}

/** Something that happened to a request without a state change (a retry, a re-drop, a re-publish). */
export interface NoteRecord {
  reason: ReasonCode;
  message: string;
  actor?: string;
  data?: Record<string, unknown> | null;
  attempts?: number;
  nextAttemptAt?: string | null;
  republish?: boolean;
}

export interface RequestFilter {
  state?: RequestState;
  fqdn?: string;
  tenant?: string;
  limit?: number;
  offset?: number;
}

export interface RequestStore {
  /** Insert with its `received` event, or return the existing request of the same fingerprint (the idempotency key). */
  insert(r: NewRequest, message: string): Promise<{ request: StoredRequest; created: boolean }>;
  get(id: string): Promise<StoredRequest | null>;
  byFingerprint(fingerprint: string): Promise<StoredRequest | null>;
  /** Newest first. */
  find(f?: RequestFilter): Promise<StoredRequest[]>;
  /** Requests the pipeline can advance now (the `pipeline` group, or republishable with the flag), oldest first. */
  due(now: Date, limit: number): Promise<StoredRequest[]>;
  /** When the next scheduled attempt is due (the scheduler's sleep). */
  nextScheduledAt(): Promise<string | null>;
  /** Apply a state change with its event, atomically; a request no longer in `from` is a StateConflictError. */
  transition(id: string, t: TransitionRecord): Promise<StoredRequest>;
  note(id: string, e: NoteRecord): Promise<StoredRequest>;
}

export interface CertificateFilter {
  fqdn?: string;
  state?: CertificateState;
  expiringBefore?: string;
  /** Only certificates after this one in the (notAfter, serial) order: the next page after the last one read. */
  after?: { notAfter: string; serialNumber: string };
  limit?: number;
  offset?: number;
}

export interface RevokedEntry {
  serialNumber: string;
  revokedAt: string;
  reason: string | null;
}

export interface CertificateStore {
  forRequest(requestId: string): Promise<IssuedCertificate | null>;
  /** By serial (as Windows shows it) or thumbprint. */
  find(key: string): Promise<IssuedCertificate | null>;
  /** Ordered by notAfter. */
  findMany(f?: CertificateFilter): Promise<IssuedCertificate[]>;
  /** Move a certificate to `to` if it is in one of `from`; false when it was not. */
  setState(serial: string, to: Exclude<CertificateState, 'revoked'>, from: readonly CertificateState[]): Promise<boolean>;
  markRevoked(serial: string, revokedAt: string, reason: string): Promise<void>;
  /** Every revoked certificate (the CRL's entries). */
  revoked(): Promise<RevokedEntry[]>;
}

export interface EventStore {
  forRequest(requestId: string): Promise<AuditEvent[]>;
}

/** The lifecycle's own small state, each value typed (not a free-form key-value table). */
export interface LifecycleStateStore {
  /** The next cRLNumber (RFC 5280 §5.2.3: only grows), taken atomically across processes. */
  nextCrlNumber(): Promise<bigint>;
  lastDigestDay(): Promise<string | null>;
  setLastDigestDay(day: string): Promise<void>;
  /** The tightest expiry window (days) already notified for a certificate. */
  expiryNotifiedWindow(serial: string): Promise<number | null>;
  setExpiryNotifiedWindow(serial: string, days: number): Promise<void>;
  /** SHA-256 of the last install-result file applied for an FQDN (a result is applied once). */
  appliedResultHash(fqdn: string): Promise<string | null>;
  setAppliedResultHash(fqdn: string, hash: string): Promise<void>;
  /**
   * The built-in CA's files (certificates; keys as encrypted PKCS#8 only) kept for the instances sharing the
   * store, or null when none were offered yet.
   */
  caFiles(): Promise<Record<string, Buffer> | null>;
  /** Keep these CA files unless another instance's are kept already; answers the files kept now. */
  offerCaFiles(files: Record<string, Buffer>): Promise<Record<string, Buffer>>;
  /** The shared record of a CA submit for a request fingerprint (several instances; ports.ts SubmitRecord), or null. */
  caSubmit(fingerprint: string): Promise<SubmitRecord | null>;
  setCaSubmit(fingerprint: string, r: SubmitRecord): Promise<void>;
  /** A write that proves the store accepts writes (monitor 7002, doctor). */
  heartbeat(at: string, by: 'monitor' | 'doctor'): Promise<void>;
  /** When event 7141 (renewal overdue) was raised for a certificate, or null (it is raised once). */
  renewalOverdueNotifiedAt(serial: string): Promise<string | null>;
  setRenewalOverdueNotifiedAt(serial: string, at: string): Promise<void>;
  /** How many certificates the last renewal watch found due with no request since (monitor 7006). */
  renewalsWaiting(): Promise<number>;
  setRenewalsWaiting(count: number): Promise<void>;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface RequestPageFilter {
  state?: RequestState;
  tenant?: string;
  /** Only these tenants (a tenant-scoped token); absent: every tenant. */
  tenants?: readonly string[];
  fqdn?: string;
  /** Substring of the FQDN or the request id. */
  q?: string;
  limit: number;
  offset: number;
}

export interface RequestSummary {
  id: string;
  fingerprint: string;
  fqdn: string;
  tenant: string;
  role: string;
  state: RequestState;
  sourceName: string;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  serialNumber: string | null;
  certificateState: string | null;
  notAfter: string | null;
}

export interface CertificatePageFilter {
  state?: CertificateState;
  tenant?: string;
  /** Only these tenants (a tenant-scoped token); absent: every tenant. */
  tenants?: readonly string[];
  fqdn?: string;
  /** Only certificates whose notAfter lies between `now` and this instant (ISO). */
  expiringBefore?: string;
  now?: string;
  /** Substring of the FQDN, serial or thumbprint. */
  q?: string;
  limit: number;
  offset: number;
}

export interface CertificateSummary {
  serialNumber: string;
  requestId: string;
  fqdn: string;
  tenant: string;
  thumbprint: string;
  notBefore: string;
  notAfter: string;
  subject: string;
  issuer: string;
  state: CertificateState;
  revokedAt: string | null;
  revocationReason: string | null;
  createdAt: string;
}

export interface EventPageFilter {
  /** Only events of these tenants' requests; absent: every tenant. */
  tenants?: readonly string[];
  requestId?: string;
  actor?: string;
  reason?: string;
  limit: number;
  offset: number;
}

export interface TenantStateCount {
  tenant: string;
  state: string;
  n: number;
}

/** Read models: lists, counts and the figures monitors and metrics read. Never part of a state change. */
export interface StoreViews {
  pageRequests(f: RequestPageFilter): Promise<Page<RequestSummary>>;
  pageCertificates(f: CertificatePageFilter): Promise<Page<CertificateSummary>>;
  pageEvents(f: EventPageFilter): Promise<Page<AuditEvent>>;
  /** `tenants`, here and below: only those tenants' rows (a tenant-scoped token); absent: every tenant. */
  requestsByState(tenants?: readonly string[]): Promise<Record<string, number>>;
  certificatesByState(tenants?: readonly string[]): Promise<Record<string, number>>;
  /** Requests and certificates by tenant and state (the per-tenant metrics). */
  countsByTenant(tenants?: readonly string[]): Promise<{ requests: TenantStateCount[]; certificates: TenantStateCount[] }>;
  countActiveExpiring(now: Date, before: Date, tenants?: readonly string[]): Promise<number>;
  expiryByMonth(from: Date, to: Date, tenants?: readonly string[]): Promise<{ month: string; count: number }[]>;
  /** The request longest in one of the group's states (by its last change). */
  oldestIn(group: StateGroup): Promise<{ id: string; fqdn: string; state: RequestState; since: string } | null>;
  /** How many requests `requests.due` would return now, without reading them (the stall monitor, the `--once` progress). */
  countDue(now: Date): Promise<number>;
  /** The newest event (the pipeline's last sign of life). */
  lastEvent(): Promise<{ id: number; at: string } | null>;
  /** When the newest request arrived (monitor 7006: requests arriving while renewals are due). */
  lastRequestAt(): Promise<string | null>;
  /** Issuance latencies (created → packaged) of packagings recorded after event `afterId`. */
  packagedSince(afterId: number): Promise<{ eventId: number; seconds: number }[]>;
  /** CA failures (AC_CA_* reasons other than a denial) after event `afterId`. */
  caErrorsSince(afterId: number): Promise<{ eventId: number; reason: string }[]>;
}

/** Each agent's management servers (README "Management group"), one row per agent FQDN. */
export interface AssignmentStore {
  get(fqdn: string): Promise<StoredAssignment | null>;
  /** Several at once (a list page's FQDNs), keyed by FQDN. */
  getMany(fqdns: readonly string[]): Promise<Map<string, StoredAssignment>>;
  /** Ordered by FQDN. */
  all(): Promise<StoredAssignment[]>;
  /** Agents per primary among the agents of these tenants (one pool), for placing a new agent. */
  countsByPrimary(tenants: readonly string[]): Promise<Map<string, number>>;
  /** Agents per primary server, every server that has one; with `tenants`, only those tenants' agents. */
  perServer(tenants?: readonly string[] | null): Promise<{ server: string; agents: number }[]>;
  /** Insert or update one agent's assignment; assignedAt moves only when the primary changes. */
  save(a: AgentAssignment, at: string): Promise<void>;
  /** A whole balancing result at once: every assignment saved, the listed agents' rows removed. */
  saveAll(list: readonly AgentAssignment[], remove: readonly string[], at: string): Promise<void>;
  /** Every FQDN with an active certificate except `servers`, with the tenant of its newest one, by FQDN. */
  agents(servers: readonly string[]): Promise<{ fqdn: string; tenant: string }[]>;
}

export interface StoreTx {
  readonly requests: RequestStore;
  readonly certificates: CertificateStore;
  readonly events: EventStore;
  readonly state: LifecycleStateStore;
  readonly views: StoreViews;
  readonly assignments: AssignmentStore;
}

/**
 * Several instances sharing one store (docs/architecture.md, "Several instances"): a request is worked by the
 * instance holding its lease, which renews it while it works and loses it when it stops renewing (it died or is
 * cut off); the singleton jobs run on the one elected instance. A store that one process owns alone (SQLite, with
 * the data-folder lock) grants every claim and always leads.
 */
export interface WorkCoordination {
  /** This instance's name in leases (host, pid and a random part). */
  readonly owner: string;
  /** Whether other instances may share the store (false: every call below is trivially granted). */
  readonly shared: boolean;
  /** Due requests, oldest first, each now leased to this instance; requests leased to a live other are skipped. */
  claimDue(now: Date, limit: number): Promise<StoredRequest[]>;
  /** Lease one request to this instance (after intake); false while another live instance holds it. */
  claim(id: string): Promise<boolean>;
  /** Extend the leases of these requests; answers the ids whose lease this instance no longer holds. */
  renew(ids: readonly string[]): Promise<string[]>;
  release(id: string): Promise<void>;
  /** True when another live instance holds the request's lease (its intake owns the dropped file). */
  heldElsewhere(id: string): Promise<boolean>;
  /** Whether this instance is (now) the elected one that runs the singleton jobs; cheap to call often. */
  leads(): Promise<boolean>;
}

export interface Store extends StoreTx {
  /** Where the data lives, for messages (a file path, a database name without credentials). */
  readonly location: string;
  readonly work: WorkCoordination;
  /** Run `fn` as one transaction: all its writes commit together or none do. Nested calls join the outer one. */
  withTransaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
