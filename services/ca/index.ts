/**
 * The CA backends behind one interface (domain/ca-port.ts), chosen by `ca.backend` from the registry.
 */
import type { CaBackend, Clock } from '../domain/index.js';
import type { CaBackendDeps, CaBackendEntry, CaCommonSettings, CaKeyOperations } from './backend-entry.js';
import { CA_BACKENDS, type CaKind, type CaSettings } from './registry.js';

export * from './builtin/index.js';
export * from './registry.js';
export type { CaBackendDeps, CaBackendEntry, CaCommonSettings, CaKeyOperations, CaKeyReport } from './backend-entry.js';

/** The `ca` section of the configuration as this folder reads it. */
export type CaSection = { backend: CaKind; leafValidityDays: number; crlDistributionPoint: string | null } & CaSettings;

function entryOf(ca: CaSection): CaBackendEntry {
  return CA_BACKENDS[ca.backend];
}

function common(ca: CaSection, dataDir: string): CaCommonSettings {
  return { dataDir, leafValidityDays: ca.leafValidityDays, crlDistributionPoint: ca.crlDistributionPoint };
}

export async function createBackend(ca: CaSection, dataDir: string, deps: CaBackendDeps): Promise<CaBackend> {
  return entryOf(ca).create(ca[ca.backend], common(ca, dataDir), deps);
}

/** The configured CA's certificates where they can be read without keys or network (offline verify), or null. */
export function localCaChain(ca: CaSection, dataDir: string): Buffer[] | null {
  return entryOf(ca).localChain?.(ca[ca.backend], common(ca, dataDir)) ?? null;
}

/** Create the configured CA (`agentcert ca init`); null when the backend's CA lives elsewhere. */
export function initializeCa(ca: CaSection, dataDir: string, clock: Clock): { created: boolean } | null {
  return entryOf(ca).initialize?.(ca[ca.backend], common(ca, dataDir), clock) ?? null;
}

/** The key operations of the configured CA when agentcert holds its keys and the CA exists, else null. */
export function caKeys(ca: CaSection, dataDir: string): CaKeyOperations | null {
  return entryOf(ca).keys?.(ca[ca.backend], common(ca, dataDir)) ?? null;
}

/** Problems of the configured backend's settings that the schema cannot express. */
export function caSettingsProblems(ca: CaSection): string[] {
  return entryOf(ca).validate?.(ca[ca.backend]) ?? [];
}

/**
 * Whether the configured CA issues what the request asks for, unchanged (`ca.adcs.issuesAtSubmit`); the built-in
 * CA and a pending AD CS CA issue the names the policy planned.
 */
export function caIssuesAsRequested(ca: CaSection): boolean {
  return entryOf(ca).issuesAsRequested?.(ca[ca.backend]) ?? false;
}
