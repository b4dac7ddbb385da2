/**
 * What a CA backend folder declares to the registry (registry.ts): its settings (the `ca.<kind>` section of the
 * configuration, as a TypeBox schema with defaults) and how to create the backend from them. The backend is
 * handed only its own settings and the few shared values below, never the whole configuration.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { CaBackend, Clock, Logger, Runner } from '../domain/index.js';

/** The CA settings every backend shares (`ca.leafValidityDays`, …) and the data folder. */
export interface CaCommonSettings {
  dataDir: string;
  leafValidityDays: number;
  crlDistributionPoint: string | null;
}

export interface CaBackendDeps {
  clock: Clock;
  log: Logger;
  runner: Runner;
  /** Create the CA when it does not exist yet (serve does; read-only commands do not). */
  initIfMissing: boolean;
}

/** How the CA keys agentcert holds are protected at rest (doctor, the start-up banner, `ca show`). */
export interface CaKeyReport {
  /** One line, e.g. "issuing key encrypted (PBKDF2-HMAC-SHA256, 600000 iterations); root key offline". */
  summary: string;
  /** A key is unencrypted or encrypted more weakly than agentcert writes today. */
  weak: boolean;
  rootOffline: boolean;
}

/** The key operations of a CA whose keys agentcert holds (`agentcert ca protect`, `ca root export|import`). */
export interface CaKeyOperations {
  report(): CaKeyReport;
  /** Encrypt every held key again at today's parameters; `currentPassphrase` opens them when it changes (null: the configured one). */
  protect(currentPassphrase: string | null): CaKeyReport;
  exportRoot(out: string): { file: string; encrypted: boolean; scheme: string | null };
  importRoot(file: string): { file: string };
}

export interface CaBackendEntry<S extends TSchema = TSchema> {
  /** One line for the README's configuration table and `doctor`. */
  title: string;
  settings: S;
  defaults: Static<S>;
  /** Checks across fields the schema cannot express; each problem names its key. */
  validate?(settings: Static<S>): string[];
  create(settings: Static<S>, common: CaCommonSettings, deps: CaBackendDeps): Promise<CaBackend>;
  /**
   * The CA issues what the request asks for, unchanged (an AD CS CA that issues at submit: nothing can be amended),
   * so the request checks reject what would come out other than planned (rules/request-names.ts). Default false.
   */
  issuesAsRequested?(settings: Static<S>): boolean;
  /** The CA certificates that can be read locally without keys or a network call (offline `verify`), or null. */
  localChain?(settings: Static<S>, common: CaCommonSettings): Buffer[] | null;
  /** Create the CA itself (`agentcert ca init`); backends whose CA lives elsewhere leave it out. */
  initialize?(settings: Static<S>, common: CaCommonSettings, clock: Clock): { created: boolean };
  /** The key operations, for a backend whose keys agentcert holds; null when its CA does not exist yet. */
  keys?(settings: Static<S>, common: CaCommonSettings): CaKeyOperations | null;
}

/** Keeps the settings type of an entry (the registry's entries stay precisely typed). */
export function defineCaBackend<S extends TSchema>(entry: CaBackendEntry<S>): CaBackendEntry<S> {
  return entry;
}
