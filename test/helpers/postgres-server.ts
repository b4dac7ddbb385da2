/**
 * A throwaway PostgreSQL server for tests: Debian's binaries (package `postgresql`), a cluster made by initdb in a
 * temp directory, started by pg_ctl on a free TCP port of 127.0.0.1 (and a socket in the same directory), stopped
 * and removed afterwards. initdb refuses to run as root, so as root the cluster is made and run as the `postgres`
 * user the Debian package creates. Each `database()` is a new empty database, so test files do not share state.
 *
 * Without PostgreSQL binaries the suites that need one are skipped with one line naming the package — and fail
 * under CI=true, where .ci/run installs it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  port: number;
  /** A new, empty database on the server, as a postgres:// URL (user `agentcert`, password in passwordFile). */
  database(): Promise<string>;
  /** A file holding the password of the `agentcert` role. */
  passwordFile: string;
  password: string;
  /** Stop the server (as a crash or a maintenance window would) and start it again on the same port. */
  stop(): void;
  start(): void;
  close(): void;
}

/** The folder with initdb, pg_ctl and postgres: PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH. */
export function findPostgresBin(): string | null {
  const fromEnv = process.env['PG_BIN'];
  if (fromEnv && existsSync(path.join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
  }
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  return null;
}

/** The one line printed when the binaries are missing (and the reason a CI run fails). */
export const POSTGRES_MISSING = 'PostgreSQL tests skipped: no initdb/pg_ctl found (install the Debian package `postgresql`, or set PG_BIN)';

/** Whether the PostgreSQL suites run here; under CI=true missing binaries are an error, not a skip. */
export function postgresAvailable(): boolean {
  if (findPostgresBin()) return true;
  if (process.env['CI'] === 'true') throw new Error(`${POSTGRES_MISSING} — CI must run them`);
  console.warn(POSTGRES_MISSING);
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function asServerUser(bin: string, args: string[], user: string | null): void {
  const cmd = user ? ['runuser', '-u', user, '--', bin, ...args] : [bin, ...args];
  execFileSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(POSTGRES_MISSING);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcert-pg-'));
  const user = process.getuid?.() === 0 ? 'postgres' : null;
  const data = path.join(dir, 'data');
  const password = 'pw-' + Math.random().toString(36).slice(2);
  const passwordFile = path.join(dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  // Only the server's user must enter the folder; it holds nothing secret but the test password.
  chmodSync(dir, 0o755);
  if (user) execFileSync('chown', [user, dir]);
  asServerUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], user);
  const port = await freePort();
  const opts = `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = (): void => asServerUser(path.join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start'], user);
  const stop = (): void => asServerUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], user);
  start();
  // The superuser over the socket (trusted); agentcert over TCP with its password, as in a deployment.
  const admin = { host: dir, port, user: 'postgres', database: 'postgres' };
  const c = new pg.Client(admin);
  await c.connect();
  // A role with a password and without superuser rights, as a deployment would use.
  await c.query(`CREATE ROLE agentcert LOGIN PASSWORD '${password}'`);
  await c.end();
  let n = 0;
  return {
    port,
    password,
    passwordFile,
    async database() {
      const name = `agentcert_${process.pid}_${++n}`;
      const a = new pg.Client(admin);
      await a.connect();
      await a.query(`CREATE DATABASE ${name} OWNER agentcert`);
      await a.end();
      return `postgres://agentcert@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    close() {
      try {
        stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
