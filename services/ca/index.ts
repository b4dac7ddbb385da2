/**
 * The CA backends behind one interface (domain/ports.ts CaBackend), chosen by `ca.backend`.
 */
import type { Config } from '../config/index.js';
import type { CaBackend, Clock, Logger, Runner } from '../domain/index.js';
import { createBuiltinBackend, initBuiltinCa, loadBuiltinCa } from './builtin/index.js';

export * from './builtin/index.js';

export interface BackendDeps {
  clock: Clock;
  log: Logger;
  runner: Runner;
  /** Create the built-in CA when it does not exist yet (serve does; read-only commands do not). */
  initIfMissing: boolean;
}

/**
 * Whether the configured CA issues what the request asks for, unchanged: an AD CS CA that issues at submit
 * (`ca.adcs.issuesAtSubmit`). The built-in CA and a pending AD CS CA issue the names the policy planned.
 */
export function caIssuesAsRequested(config: Readonly<Config>): boolean {
  return config.ca.backend === 'adcs' && config.ca.adcs.issuesAtSubmit;
}

export async function createBackend(config: Readonly<Config>, deps: BackendDeps): Promise<CaBackend> {
  if (config.ca.backend === 'adcs') {
    const { createAdcsBackendFromConfig } = await import('./adcs-from-config.js');
    return createAdcsBackendFromConfig(config, deps);
  }
  if (deps.initIfMissing) {
    const { created } = initBuiltinCa(config.data.dir, config.ca.builtin, deps.clock);
    if (created) deps.log.info({ event: 'ca_created', twoTier: config.ca.builtin.twoTier, keyBits: config.ca.builtin.keyBits }, 'built-in CA created');
  }
  const ca = loadBuiltinCa(config.data.dir, config.ca.builtin.passphrase);
  return createBuiltinBackend({ ca, leafValidityDays: config.ca.leafValidityDays, crlDistributionPoint: config.ca.crlDistributionPoint, clock: deps.clock });
}
