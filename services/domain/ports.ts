/**
 * Ports: the interfaces through which steps touch the outside world (ARCHITECTURE.md house rule 1).
 */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The subset of pino's Logger the code uses, so tests can pass a recording logger. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Result of one child process run (services/process is the only implementation). */
export interface RunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError: string | null;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs: number;
  cwd?: string;
  env?: Record<string, string>;
}

export interface Runner {
  run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
  /**
   * Run with the output journaled to `journalDir` so the outcome survives the service's death (services/process
   * journaled-run.ts). Optional: test runners may leave it out, and callers then fall back to `run`.
   */
  runJournaled?(file: string, args: readonly string[], options: RunOptions & { journalDir: string }): Promise<RunResult>;
  /** The outcome of an earlier journaled run in `journalDir` (waiting for it if it still runs), or null. */
  recoverJournaled?(journalDir: string): Promise<RunResult | null>;
}

/** What a CA backend needs to issue one certificate. */
export interface IssuanceInput {
  /** Request fingerprint (SHA-256 hex of the PKCS#10 DER). */
  fingerprint: string;
  fqdn: string;
  /** The PKCS#10 DER. */
  csrDer: Buffer;
  /** The request's SubjectPublicKeyInfo DER (the key the certificate is for). */
  publicKeyDer: Buffer;
  /** The PKCS#10 as it was requested, re-encoded as PEM (`NEW CERTIFICATE REQUEST`), for certreq. */
  csrPem: string;
  /** True when the request itself asks for both serverAuth and clientAuth EKUs. */
  requestHasScomEkus: boolean;
  /** The DNS names the certificate must carry as its SAN, the FQDN first (services/rules/request-names.ts). */
  dnsNames: string[];
  /** The request's own SAN entries ("DNS:x", "IP:…"), which a CA that copies the request would issue. */
  requestedSubjectAltNames: string[];
}

/**
 * What a CA answered. `retry` is a transport failure (RPC unavailable, timeout, hung process): the request is
 * safe and will be tried again with backoff. `failed` is permanent.
 */
export type CaOutcome =
  | { kind: 'issued'; caRequestId: string; certificateDer: Buffer; message: string }
  | { kind: 'pending'; caRequestId: string; message: string }
  | { kind: 'denied'; caRequestId: string | null; message: string }
  | { kind: 'retry'; caRequestId: string | null; code: string; message: string }
  | { kind: 'failed'; caRequestId: string | null; code: string; message: string; raw?: string };

export interface CaPing {
  ok: boolean;
  message: string;
}

/**
 * One small CA-backend interface (the step-ca `cas/apiv1` shape): the built-in CA is just another backend,
 * and the records are kept outside the backend, in the store.
 */
export interface CaBackend {
  readonly kind: 'builtin' | 'adcs';
  /**
   * Submit a request. Before anything irreversible happens at the CA the backend calls `persistCaRequestId`
   * with an id from which `resume` can continue without submitting again (the AD CS RequestId; the built-in
   * CA's issuance intent). The callback writes the id durably before returning.
   */
  submit(input: IssuanceInput, persistCaRequestId: (id: string) => void): Promise<CaOutcome>;
  /** Continue a request that already has a CA request id: retrieve, resubmit, or re-derive. Never submits again. */
  resume(input: IssuanceInput, caRequestId: string): Promise<CaOutcome>;
  /** The CA certificates of the chain, DER, issuing CA first and the root last. */
  chain(): Promise<Buffer[]>;
  ping(): Promise<CaPing>;
}
