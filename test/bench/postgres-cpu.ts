/**
 * The same burst into `agentcert serve` on a PostgreSQL store and on SQLite, in one run: the service's CPU a
 * request, and the service's plus the PostgreSQL server's (its processes are all named `postgres`). Runs when
 * PostgreSQL's binaries are there (test/helpers/postgres-server.ts); BENCH_PG_N requests (default 2,000).
 */
import { readdirSync } from 'node:fs';
import { postgresAvailable, startPostgres } from '../helpers/postgres-server.js';
import { serveRun } from './bulk.js';
import { fmt, log, readProcStat, round, type BenchOutput } from './common.js';

/** CPU (ms) of every live process named postgres. */
function postgresCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const p = readProcStat(`/proc/${pid}/stat`);
    if (p?.name === 'postgres') total += p.cpuMs;
  }
  return total;
}

export async function runPostgresCpuBench(): Promise<BenchOutput> {
  if (!postgresAvailable()) {
    log('postgres: no PostgreSQL binaries (Debian package postgresql): skipped');
    return { rows: [], figures: [] };
  }
  const n = Number(process.env.BENCH_PG_N ?? 2000);
  const server = await startPostgres();
  try {
    log(`postgres: burst of ${n} on SQLite, then on PostgreSQL`);
    const lite = await serveRun(n, null);
    const url = await server.database();
    const pg = await serveRun(n, null, { store: { url, poolSize: 6 }, env: { AGENTCERT_STORE_PASSWORD: server.password, AGENTCERT_CA_PASSPHRASE: 'bench-passphrase' }, otherCpuMs: postgresCpuMs });
    const both = pg.cpuMsPerRequest + pg.otherCpuMsPerRequest;
    return {
      rows: [
        { store: 'SQLite', requests: n, 'req/s': round(lite.perSecond, 1), 'service CPU ms/req': round(lite.cpuMsPerRequest, 2), 'server CPU ms/req': '' },
        { store: 'PostgreSQL', requests: n, 'req/s': round(pg.perSecond, 1), 'service CPU ms/req': round(pg.cpuMsPerRequest, 2), 'server CPU ms/req': round(pg.otherCpuMsPerRequest, 2) },
      ],
      figures: [
        { bench: 'postgres', figure: `service CPU a request on PostgreSQL (burst of ${n})`, value: round(pg.cpuMsPerRequest, 2), unit: 'ms', baseline: `SQLite, same burst: ${fmt(lite.cpuMsPerRequest, 2)} ms`, ratio: `${fmt(pg.cpuMsPerRequest / lite.cpuMsPerRequest, 2)}× SQLite`, target: '≤ 1.3× SQLite', met: pg.cpuMsPerRequest <= 1.3 * lite.cpuMsPerRequest },
        { bench: 'postgres', figure: `service + PostgreSQL server CPU a request (burst of ${n})`, value: round(both, 2), unit: 'ms', baseline: `SQLite, same burst: ${fmt(lite.cpuMsPerRequest, 2)} ms`, ratio: `${fmt(both / lite.cpuMsPerRequest, 2)}× SQLite; ${fmt(pg.perSecond)} vs ${fmt(lite.perSecond)} req/s` },
      ],
    };
  } finally {
    server.close();
  }
}
