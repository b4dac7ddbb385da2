/**
 * Wiring of the AD CS backend from the configuration (the backend itself lives in adcs/).
 */
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { CaBackend } from '../domain/index.js';
import { createAdcsBackend } from './adcs/index.js';
import type { BackendDeps } from './index.js';

export function createAdcsBackendFromConfig(config: Readonly<Config>, deps: BackendDeps): CaBackend {
  const a = config.ca.adcs;
  return createAdcsBackend({
    config: a.config,
    certreqPath: a.certreqPath,
    certutilPath: a.certutilPath,
    timeoutMs: a.timeoutMs,
    issuesAtSubmit: a.issuesAtSubmit,
    workDir: path.join(config.data.dir, 'adcs'),
    runner: deps.runner,
    log: deps.log,
  });
}
