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

export interface CaBackendEntry<S extends TSchema = TSchema> {
  /** One line for the README's configuration table and `doctor`. */
  title: string;
  settings: S;
  defaults: Static<S>;
  /** Checks across fields the schema cannot express; each problem names its key. */
  validate?(settings: Static<S>): string[];
  create(settings: Static<S>, common: CaCommonSettings, deps: CaBackendDeps): Promise<CaBackend>;
  /** The CA certificates that can be read locally without keys or a network call (offline `verify`), or null. */
  localChain?(settings: Static<S>, common: CaCommonSettings): Buffer[] | null;
  /** Create the CA itself (`agentcert ca init`); backends whose CA lives elsewhere leave it out. */
  initialize?(settings: Static<S>, common: CaCommonSettings, clock: Clock): { created: boolean };
}

/** Keeps the settings type of an entry (the registry's entries stay precisely typed). */
export function defineCaBackend<S extends TSchema>(entry: CaBackendEntry<S>): CaBackendEntry<S> {
  return entry;
}
