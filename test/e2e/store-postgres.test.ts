/**
 * agentcert on PostgreSQL, as a user runs it (the built CLI as child processes, a real PostgreSQL server): a
 * SQLite store moved over with `store migrate` and verified (twice), and several instances sharing one database
 * and one share — every request issued once, one CA for all, and the work goes on when an instance is killed.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleRequest } from '../../services/pki/index.js';
import { PostgresStore } from '../../services/store/index.js';
import { startPostgres, postgresAvailable, type PostgresServer } from '../helpers/postgres-server.js';
import { cliEnv, runCli, startService, waitFor, type RunningService } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

const available = postgresAvailable();
let server: PostgresServer;
let env: TempEnv;

/** Requests made first (key generation is slow on a busy machine), dropped when the test wants them. */
function drop(share: string, requests: { fqdn: string; pem: string }[]): void {
  mkdirSync(path.join(share, 'requests'), { recursive: true });
  for (const r of requests) writeFileSync(path.join(share, 'requests', `${r.fqdn}.req`), r.pem);
}

const make = (fqdns: string[]) => fqdns.map((fqdn) => ({ fqdn, pem: makeSampleRequest(fqdn).pem }));

const pgEnv = (url: string, extra: Record<string, string> = {}) =>
  cliEnv({ AGENTCERT_STORE_URL: url, AGENTCERT_STORE_PASSWORD: server.password, AGENTCERT_CA_PASSPHRASE: 'shared-ca-passphrase', AGENTCERT_LOG_LEVEL: 'info', ...extra });

describe.runIf(available)('agentcert on PostgreSQL', () => {
  beforeAll(async () => {
    server = await startPostgres();
    env = makeTempEnv('agentcert-pg-e2e-');
  }, 120_000);
  afterAll(() => {
    server?.close();
    env?.cleanup();
  });

  it('store migrate copies a SQLite store, verifies counts and checksums, and can run again', async () => {
    const share = path.join(env.dir, 'm-share');
    const data = path.join(env.dir, 'm-data');
    drop(share, make(['mig01.contoso.local', 'mig02.contoso.local', 'mig03.contoso.local']));
    const once = runCli(['serve', '--once', '--share', share, '--data', data]);
    expect(once.code, once.stderr).toBe(0);
    const url = await server.database();
    const withPassword = cliEnv({ AGENTCERT_STORE_PASSWORD: server.password });
    const first = runCli(['store', 'migrate', '--to', url, '--json', '--share', share, '--data', data], withPassword);
    expect(first.code, first.stderr).toBe(0);
    const tables = (JSON.parse(first.stdout) as { tables: { table: string; rows: number; sha256: string }[] }).tables;
    expect(Object.fromEntries(tables.map((t) => [t.table, t.rows]))).toMatchObject({ requests: 3, certificates: 3 });
    expect(tables.find((t) => t.table === 'events')!.rows).toBeGreaterThanOrEqual(3 * 5);
    const again = runCli(['store', 'migrate', '--to', url, '--json', '--share', share, '--data', data], withPassword);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { tables: unknown }).tables).toEqual(tables);
    // The copied store is the store now: the CLI reads it, and a password never shows in what it prints.
    const list = runCli(['list', '--json', '--share', share, '--data', data], pgEnv(url));
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { state: string }[]).map((r) => r.state)).toEqual(['packaged', 'packaged', 'packaged']);
    expect(first.stdout + again.stdout + list.stdout + list.stderr).not.toContain(server.password);
  }, 120_000);

  it('shares the work between instances: each request issued once by one CA, and a killed instance loses nothing', async () => {
    const url = await server.database();
    const share = path.join(env.dir, 'i-share');
    const e = pgEnv(url);
    const fqdns = Array.from({ length: 16 }, (_, i) => `host${String(i).padStart(2, '0')}.contoso.local`);
    const requests = make(fqdns);
    const instances: RunningService[] = ['a', 'b', 'c'].map((n) => startService(['--share', share, '--data', path.join(env.dir, `i-data-${n}`)], e));
    const store = new PostgresStore({ url, password: server.password, sslMode: null, caFile: null, poolSize: 2, leaseSeconds: 30 }, { now: () => new Date() });
    try {
      await Promise.all(instances.map((i) => i.waitForOutput(/agentcert is running/, 60_000)));
      drop(share, requests.slice(0, 8));
      await new Promise((r) => setTimeout(r, 300));
      // An instance dies mid-work (SIGKILL: no graceful hand-over); the others take over its requests.
      await instances[0]!.stop('SIGKILL');
      drop(share, requests.slice(8));
      const packaged = async () => ((await store.views.requestsByState())['packaged'] ?? 0) === fqdns.length;
      for (const end = Date.now() + 150_000; !(await packaged()); ) {
        if (Date.now() > end) throw new Error(`not all packaged: ${JSON.stringify(await store.views.requestsByState())}\n${instances[1]!.stderr().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const rows = await store.requests.find();
      expect(rows).toHaveLength(fqdns.length);
      const certs = await store.certificates.findMany();
      expect(certs).toHaveLength(fqdns.length);
      expect(new Set(certs.map((c) => c.requestId)).size).toBe(fqdns.length);
      expect(new Set(certs.map((c) => c.issuer)).size).toBe(1); // one CA for every instance
      for (const r of rows) expect((await store.events.forRequest(r.id)).filter((ev) => ev.reason === 'ISSUED')).toHaveLength(1);
      await waitFor(() => readdirSync(path.join(share, 'requests')).filter((f) => f.endsWith('.req')).length === 0, 30_000, 'every dropped file archived');
      expect(readdirSync(path.join(share, 'archive')).length).toBe(fqdns.length);
    } finally {
      await Promise.all(instances.map((i) => i.stop()));
      await store.close();
    }
  }, 300_000);
});
