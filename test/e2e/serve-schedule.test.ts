/**
 * The schedule at start-up: `serve` says it is running without waiting for the watches, and the watches still run
 * right after start — a certificate already overdue for renewal is reported by the restarted service without
 * waiting for the next check interval.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSampleRequest } from '../../services/pki/index.js';
import { cliEnv, startService, waitFor, type RunningService } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv | null = null;
let svc: RunningService | null = null;
afterEach(async () => {
  await svc?.stop();
  svc = null;
  env?.cleanup();
  env = null;
});

describe('serve: the schedule at start-up', () => {
  it('reports a certificate overdue for renewal right after a restart, once the service is running', async () => {
    env = makeTempEnv('agentcert-schedule-');
    const config = path.join(env.dir, 'agentcert.json');
    // Renewal due 100,000 days before notAfter and overdue at once: every certificate is overdue when issued. The
    // check interval is an hour: only the run at start-up can report it within this test.
    writeFileSync(config, JSON.stringify({
      share: { root: env.share, stableMs: 0 }, data: { dir: env.data }, packaging: { buildExe: false },
      ca: { builtin: { keyBits: 2048 } },
      lifecycle: { renewDaysBefore: 100_000, renewalOverdueDays: 0, checkIntervalMs: 3_600_000 },
    }));
    const fqdn = 'web01.dmz.contoso.local';
    svc = startService(['--config', config], cliEnv());
    await svc.waitForOutput(/agentcert is running/, 60_000);
    const requests = path.join(env.share, 'requests');
    mkdirSync(requests, { recursive: true });
    writeFileSync(path.join(requests, `.${fqdn}.tmp`), makeSampleRequest(fqdn).pem);
    renameSync(path.join(requests, `.${fqdn}.tmp`), path.join(requests, `${fqdn}.req`));
    await waitFor(() => existsSync(path.join(env!.share, 'issued', fqdn, 'manifest.json')), 30_000, `the package of ${fqdn}`);
    // The first run's watch ran before the certificate existed.
    expect(svc.stderr()).not.toMatch(/"event":"renewal_overdue"/);
    await svc.stop();

    svc = startService(['--config', config], cliEnv());
    await svc.waitForOutput(/agentcert is running/, 60_000);
    const lineOf = (event: string) => (): Record<string, unknown> | undefined => {
      const line = svc!.stderr().split('\n').find((l) => l.includes(`"event":"${event}"`));
      return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
    };
    const overdue = await waitFor(lineOf('renewal_overdue'), 30_000, 'the renewal_overdue warning after the restart');
    expect(overdue).toMatchObject({ event: 'renewal_overdue', fqdn });
    // Info lines are written in blocks (README "Configuration", log.level): the order is the lines' times, not their place in the output.
    const started = await waitFor(lineOf('started'), 10_000, 'the started line');
    expect(started.time as number).toBeLessThanOrEqual(overdue.time as number);
  }, 120_000);
});
