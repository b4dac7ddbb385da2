/**
 * Crash safety across external calls: the service is SIGKILLed at random instants while it drives the
 * fake AD CS CA — also while certreq -submit runs — and restarted; every request ends packaged and the fake CA's
 * own log shows exactly one submit per request.
 */
import { renameSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSampleRequest } from '../../services/pki/index.js';
import { readLog, writeScenario } from '../fakes/fake-ca-state.js';
import { cliEnv, runCli, startService } from '../helpers/service.js';
import { makeTempEnv } from '../helpers/temp.js';
import { adcsConfig } from '../helpers/adcs-config.js';

const N = 30;
const KILLS = 10;
const env = makeTempEnv('agentcert-adcs-kill-');
afterAll(() => env.cleanup());

describe('SIGKILL while driving the AD CS CA', () => {
  it(`submits each of ${N} requests exactly once`, async () => {
    const fakeDir = path.join(env.dir, 'fake-ca');
    writeScenario(fakeDir, { onSubmit: 'pending', onResubmit: 'issue' });
    const config = adcsConfig(env, { pipeline: { concurrency: 4, retryBaseMs: 100, retryMaxMs: 500, tickMs: 100 } });
    const e = cliEnv({ AGENTCERT_FAKE_CA_DIR: fakeDir });
    const requests = path.join(env.share, 'requests');
    mkdirSync(requests, { recursive: true });
    for (let i = 0; i < N; i++) {
      const fqdn = `k${String(i).padStart(2, '0')}.dmz.contoso.local`;
      writeFileSync(path.join(requests, `.${fqdn}.tmp`), makeSampleRequest(fqdn).pem);
      renameSync(path.join(requests, `.${fqdn}.tmp`), path.join(requests, `${fqdn}.req`));
    }
    for (let k = 0; k < KILLS; k++) {
      const svc = startService(['--config', config], e);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1500));
      await svc.stop('SIGKILL');
    }
    const final = runCli(['serve', '--once', '--config', config], e);
    expect(final.code, final.stderr.slice(-3000)).toBe(0);

    const db = new Database(path.join(env.data, 'agentcert.db'), { readonly: true });
    const rows = db.prepare('SELECT fingerprint, state, ca_request_id FROM requests').all() as { fingerprint: string; state: string; ca_request_id: string }[];
    db.close();
    expect(rows).toHaveLength(N);
    expect(rows.filter((r) => r.state !== 'packaged')).toEqual([]);
    const submits = readLog(fakeDir).filter((x) => x.verb === 'submit' && x.requestId !== null);
    // The request file certreq was given lives under <data>/adcs/<fingerprint>/: one accepted submit per fingerprint.
    const perFingerprint = new Map<string, number>();
    for (const s of submits) {
      const fp = s.argv.map((a) => /adcs[\\/]([0-9a-f]{64})[\\/]/.exec(a)?.[1]).find(Boolean)!;
      perFingerprint.set(fp, (perFingerprint.get(fp) ?? 0) + 1);
    }
    expect([...perFingerprint.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(perFingerprint.size).toBe(N);
    expect(new Set(rows.map((r) => r.ca_request_id))).toEqual(new Set(submits.map((s) => s.requestId)));
  }, 300_000);
});
