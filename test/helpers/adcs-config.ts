/** Config for running the service against the fake AD CS CA (test/fakes). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';
import type { TempEnv } from './temp.js';

const bin = path.join(repoRoot, 'test/fakes/bin');
export const ADCS_CONFIG = 'ca01.example.local\\Example Standalone Root CA';

export function adcsConfig(env: TempEnv, extra: Record<string, unknown> = {}): string {
  const file = path.join(env.dir, 'agentcert.json');
  writeFileSync(file, JSON.stringify({
    share: { root: env.share, stableMs: 50, reconcileIntervalMs: 1000 },
    data: { dir: env.data },
    ca: { backend: 'adcs', adcs: { config: ADCS_CONFIG, certreqPath: path.join(bin, 'certreq'), certutilPath: path.join(bin, 'certutil'), timeoutMs: 2500, pendingPollMs: 1000 } },
    packaging: { buildExe: false },
    pipeline: { retryBaseMs: 200, retryMaxMs: 1000, tickMs: 200 },
    ...extra,
  }));
  return file;
}

