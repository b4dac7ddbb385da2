/**
 * Ports: the interfaces through which steps touch the outside world (docs/architecture.md "House rules" 1).
 */
import type { ReasonCode } from './reasons.js';
import type { RequestState } from './states.js';

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

/** A committed state change, as the outside world is told of it (logs, the Windows Event Log, …). */
export interface CommittedTransition {
  requestId: string;
  fqdn: string;
  tenant: string;
  from: RequestState;
  to: RequestState;
  reason: ReasonCode;
  message: string;
  actor: string;
  data: Record<string, unknown> | null;
  /** The certificate's serial when the transition stored one (issued). */
  serialNumber?: string | null;
}

/** Told of every committed transition, after the commit (never inside a transaction). Must not throw or block. */
export interface TransitionListener {
  onTransition(t: CommittedTransition): void;
}
