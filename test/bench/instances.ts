/**
 * Bench: throughput and p99 latency (drop → packaged) of 1, 2 and 3 instances on one PostgreSQL database against
 * 1 instance on SQLite, in one run on one machine (README "Benchmarks"). Each setup gets a fresh share and store,
 * starts its instances, then N requests are dropped at once; the clock runs from the drop to the last package.
 *
 *   npm run build && node dist/test/bench/instances.js [requests]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../services/domain/index.js';
import { PostgresStore, SqliteStore } from '../../services/store/index.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { cliEnv, startService, type RunningService } from '../helpers/service.js';
import { makeTempEnv } from '../helpers/temp.js';
import { dropFile, makeRequests, sleep, type MadeRequest } from './torture-common.js';

interface Row {
  setup: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

async function runSetup(setup: string, instances: number, server: PostgresServer | null, requests: MadeRequest[]): Promise<Row> {
  const env = makeTempEnv('agentcert-bench-instances-');
  const url = server ? await server.database() : null;
  const procEnv = cliEnv({ AGENTCERT_CA_PASSPHRASE: 'bench-passphrase', AGENTCERT_LOG_LEVEL: 'warn', ...(server ? { AGENTCERT_STORE_PASSWORD: server.password } : {}) });
  mkdirSync(path.join(env.share, 'requests'), { recursive: true });
  const services: RunningService[] = [];
  let store: Store | null = null;
  try {
    for (let i = 0; i < instances; i++) {
      const config = path.join(env.dir, `${i}.json`);
      writeFileSync(config, JSON.stringify({
        share: { root: env.share, stableMs: 100, reconcileIntervalMs: 2000 },
        data: { dir: path.join(env.dir, `data-${i}`) },
        ...(url ? { store: { url, poolSize: 6 } } : {}),
        ca: { builtin: { keyBits: 2048 } },
        packaging: { buildExe: false },
      }));
      services.push(startService(['--config', config], procEnv));
      // One after another: the first creates the CA (and the schema), the others take it from the store.
      await services[i]!.waitForOutput(/agentcert is running/, 120_000);
    }
    store = url ? new PostgresStore({ url, password: server!.password, sslMode: null, caFile: null, poolSize: 2, leaseSeconds: 30 }, { now: () => new Date() }) : new SqliteStore(path.join(env.dir, 'data-0', 'agentcert.db'), { now: () => new Date() });
    const t0 = Date.now();
    for (const r of requests) dropFile(path.join(env.share, 'requests'), `${r.fqdn}.req`, r.pem);
    while (((await store.views.requestsByState())['packaged'] ?? 0) < requests.length) await sleep(100);
    const seconds = (Date.now() - t0) / 1000;
    const lat = (await store.views.packagedSince(0)).map((p) => p.seconds).sort((a, b) => a - b);
    return { setup, requests: requests.length, seconds, perSecond: requests.length / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await store?.close();
    env.cleanup();
  }
}

if (process.argv[1]?.endsWith('instances.js')) {
  const n = Number(process.argv[2] ?? 500);
  const server = await startPostgres();
  try {
    const rows: Row[] = [];
    const setups: [string, number, PostgresServer | null][] = [['1 instance, SQLite', 1, null], ['1 instance, PostgreSQL', 1, server], ['2 instances, PostgreSQL', 2, server], ['3 instances, PostgreSQL', 3, server]];
    for (const [name, k, srv] of setups) {
      rows.push(await runSetup(name, k, srv, makeRequests(n, `b${rows.length}x`)));
      process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
    }
    process.stdout.write(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}\n`);
    process.stdout.write('| Setup | Requests | Seconds | Requests/s | p50 s | p99 s |\n|---|---:|---:|---:|---:|---:|\n');
    for (const r of rows) process.stdout.write(`| ${r.setup} | ${r.requests} | ${r.seconds.toFixed(1)} | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |\n`);
  } finally {
    server.close();
  }
}
