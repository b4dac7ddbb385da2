/**
 * The Windows CA path end to end: the real service (`ca.backend: adcs`) drives the fake certreq/certutil
 * executables (test/fakes) through every scenario and ends in the right state with the right event text.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleRequest } from '../../services/pki/index.js';
import { readLog, writeScenario, type FakeScenario } from '../fakes/fake-ca-state.js';
import { adcsConfig } from '../helpers/adcs-config.js';
import { cliEnv, startService, waitFor, type RunningService } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
let svc: RunningService;
let fakeDir: string;

function drop(fqdn: string): void {
  const dir = path.join(env.share, 'requests');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `.${fqdn}.tmp`), makeSampleRequest(fqdn).pem);
  renameSync(path.join(dir, `.${fqdn}.tmp`), path.join(dir, `${fqdn}.req`));
}

function request(fqdn: string): { id: string; state: string; ca_request_id: string | null; events: { to_state: string; reason: string; message: string; data: string | null }[] } | null {
  const db = new Database(path.join(env.data, 'agentcert.db'), { readonly: true, fileMustExist: true });
  try {
    const r = db.prepare('SELECT id, state, ca_request_id FROM requests WHERE fqdn = ?').get(fqdn) as { id: string; state: string; ca_request_id: string | null } | undefined;
    if (!r) return null;
    return { ...r, events: db.prepare('SELECT to_state, reason, message, data FROM events WHERE request_id = ? ORDER BY id').all(r.id) as never };
  } finally {
    db.close();
  }
}

async function until(fqdn: string, state: string, timeoutMs = 30_000) {
  return waitFor(() => {
    const r = existsSync(path.join(env.data, 'agentcert.db')) ? request(fqdn) : null;
    return r && r.state === state ? r : null;
  }, timeoutMs, `${fqdn} to become ${state} (now ${JSON.stringify(request(fqdn)?.state)}); service log:\n${svc.stderr().slice(-3000)}`);
}

function scenario(s: FakeScenario): void {
  writeScenario(fakeDir, s);
}

beforeAll(async () => {
  env = makeTempEnv('agentcert-adcs-e2e-');
  fakeDir = path.join(env.dir, 'fake-ca');
  scenario({});
  svc = startService(['--config', adcsConfig(env)], cliEnv({ AGENTCERT_FAKE_CA_DIR: fakeDir }));
  await svc.waitForOutput(/agentcert is running/, 60_000);
}, 90_000);

afterAll(async () => {
  await svc?.stop();
  env?.cleanup();
});

describe('ca.backend adcs against the fake standalone CA', () => {
  it('submits (pending by default), resubmits, retrieves and packages a certificate with both EKUs', async () => {
    scenario({ onSubmit: 'pending', onResubmit: 'issue' });
    drop('std01.dmz.contoso.local');
    const r = await until('std01.dmz.contoso.local', 'packaged');
    expect(r.ca_request_id).toMatch(/^\d+$/);
    expect(r.events.map((e) => e.to_state)).toEqual(expect.arrayContaining(['submitted', 'issued', 'verified', 'packaged']));
    expect(r.events.find((e) => e.to_state === 'issued')!.message).toContain(`RequestId ${r.ca_request_id}`);
    const log = readLog(fakeDir).filter((e) => e.requestId === r.ca_request_id);
    expect(log.filter((e) => e.verb === 'submit')).toHaveLength(1);
    // The request asked for no EKU: the service added serverAuth + clientAuth before issuing (docs/scom-facts.md §8.1).
    expect(log.some((e) => e.verb === 'setextension')).toBe(true);
  });

  it('keeps a request the CA holds pending in awaiting_ca and finishes it once an officer issues it', async () => {
    scenario({ onSubmit: 'pending', onResubmit: 'pending' });
    drop('pend01.dmz.contoso.local');
    const waiting = await until('pend01.dmz.contoso.local', 'awaiting_ca');
    expect(waiting.events.at(-1)!.reason).toBe('CA_PENDING');
    scenario({ onSubmit: 'pending', onResubmit: 'issue' });
    const done = await until('pend01.dmz.contoso.local', 'packaged');
    expect(done.ca_request_id).toBe(waiting.ca_request_id);
    expect(readLog(fakeDir).filter((e) => e.verb === 'submit' && e.requestId === done.ca_request_id)).toHaveLength(1);
  });

  it('records a denial with the CA text and tells the server owner', async () => {
    scenario({ onSubmit: 'deny' });
    drop('deny01.dmz.contoso.local');
    const r = await until('deny01.dmz.contoso.local', 'denied');
    expect(r.events.at(-1)!.reason).toBe('AC_CA_DENIED');
    expect(r.events.at(-1)!.message).toMatch(/Denied/i);
    expect(readFileSync(path.join(env.share, 'rejected', 'deny01.dmz.contoso.local.txt'), 'utf8')).toContain('CA_DENIED');
  });

  it('parses German certreq output', async () => {
    scenario({ language: 'de', onSubmit: 'pending', onResubmit: 'issue' });
    drop('de01.dmz.contoso.local');
    const r = await until('de01.dmz.contoso.local', 'packaged');
    expect(r.ca_request_id).toMatch(/^\d+$/);
  });

  it('retries while the CA answers RPC unavailable, and issues in the end', async () => {
    scenario({ rpcUnavailableCalls: 2 });
    drop('rpc01.dmz.contoso.local');
    const r = await until('rpc01.dmz.contoso.local', 'packaged');
    expect(r.events.filter((e) => /0x800706ba|RPC/i.test(e.message)).length).toBeGreaterThanOrEqual(1);
  });

  it('kills a hung certreq at its timeout and retries', async () => {
    scenario({ hang: ['submit'] });
    drop('hang01.dmz.contoso.local');
    await waitFor(() => request('hang01.dmz.contoso.local')?.events.some((e) => /timed out|timeout|hung/i.test(e.message)), 30_000, 'a timeout retry event');
    scenario({});
    const r = await until('hang01.dmz.contoso.local', 'packaged');
    expect(readLog(fakeDir).filter((e) => e.verb === 'submit' && e.requestId === r.ca_request_id)).toHaveLength(1);
  });

  it('fails a request whose CA output has no known shape, keeping the raw text', async () => {
    scenario({ malformed: ['submit'] });
    drop('odd01.dmz.contoso.local');
    const r = await until('odd01.dmz.contoso.local', 'failed');
    const last = r.events.at(-1)!;
    expect(last.reason).toBe('AC_CA_OUTPUT_UNKNOWN');
    expect(JSON.parse(last.data!).raw.length).toBeGreaterThan(0);
    scenario({});
  });
});
