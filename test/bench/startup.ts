/**
 * Start-up with a large store: a data directory with the built-in CA and a store of 100,000 requests
 * (BENCH_STARTUP_N) written directly through SqliteStore in batched transactions — mostly terminal (packaged,
 * installed, revoked, expired, superseded, rejected, failed; a certificate for each issued one, the usual
 * events), plus a handful in non-terminal states (received requests with real CSRs that the service picks up,
 * requests awaiting approval). Measured: `agentcert serve` from spawn to its "agentcert is running" line, and
 * `agentcert serve --once` from spawn to exit. Baselines: `node -e ''` and the same two measures on an empty
 * store (same CA, same share).
 */
import Database from 'better-sqlite3';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseRequest } from '../../services/pki/index.js';
import { SqliteStore } from '../../services/store/index.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';
import { type BenchOutput, type Figure, cachedRequests, cliEnv, fmt, log, ms, round, runCliSync, startService, writeConfig } from './common.js';

const RECEIVED = 20;
const AWAITING_APPROVAL = 5;
const RUNS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Fill the store: terminal requests with certificates and events in batches of 10,000 rows per transaction. */
function seedStore(env: TempEnv, n: number, sampleCsrFiles: { dir: string; files: string[] }): void {
  const store = new SqliteStore(path.join(env.data, 'agentcert.db'), { now: () => new Date() });
  try {
    // Seeding writes the tables directly on a second connection to the same file (the Store port has no bulk insert).
    const db = new Database(store.location);
    const pem = readFileSync(path.join(sampleCsrFiles.dir, sampleCsrFiles.files[0]!));
    const csrDer = parseRequest(pem).csrDer;
    // A real certificate's bytes (the root) stand in for every leaf: nothing at start-up parses them all.
    const certDer = readFileSync(path.join(env.data, 'ca', 'root.cer'));
    const insReq = db.prepare(
      `INSERT INTO requests (id, fingerprint, fqdn, tenant, role, state, csr_der, original, source_name, ca_request_id, findings, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'agent', ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insCert = db.prepare(
      `INSERT INTO certificates (serial, request_id, fqdn, tenant, thumbprint, sha256, not_before, not_after, subject, issuer, der, state, revoked_at, revocation_reason, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insEvent = db.prepare(`INSERT INTO events (request_id, fqdn, at, from_state, to_state, reason, message, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const tenants = ['default', 'contoso', 'fabrikam'];
    const now = Date.now();
    const path1 = ['received', 'checked', 'submitted', 'issued', 'verified', 'packaged'];
    const batch = 10_000;
    for (let start = 0; start < n; start += batch) {
      db.transaction(() => {
        for (let i = start; i < Math.min(n, start + batch); i++) {
          const fp = (0x5eed0000 + i).toString(16).padStart(64, '0');
          const id = fp.slice(-12);
          const tenant = tenants[i % 3]!;
          const fqdn = `host${i}.${tenant}.example`;
          const created = new Date(now - (n - i) * 30_000);
          const at = (k: number) => new Date(created.getTime() + k * 40).toISOString();
          const state = i % 50 === 11 ? 'rejected' : i % 97 === 5 ? 'failed' : i % 20 === 7 ? 'revoked' : i % 25 === 3 ? 'expired' : i % 40 === 9 ? 'superseded' : i % 3 === 0 ? 'installed' : 'packaged';
          const issued = state !== 'rejected' && state !== 'failed';
          insReq.run(id, fp, fqdn, tenant, state, csrDer, pem, `${fqdn}.req`, null, state === 'rejected' ? '[{"rule":"key.size","severity":"error","message":"RSA 1024 < 2048"}]' : '[]', created.toISOString(), at(8));
          const steps = state === 'rejected' ? ['received', 'rejected'] : state === 'failed' ? ['received', 'checked', 'failed'] : state === 'packaged' ? path1 : [...path1, state];
          // Superseded within the revocation grace (older ones would have been revoked already).
          const eventAt = (k: number) => (steps[k] === 'superseded' ? new Date(now - 2 * 86_400_000).toISOString() : at(k));
          steps.forEach((to, k) => insEvent.run(id, fqdn, eventAt(k), k === 0 ? null : steps[k - 1], to, to.toUpperCase(), `${to} (bench seed)`, k === 0 ? 'share' : 'service', null));
          if (issued) {
            const days = state === 'expired' ? -((i % 300) + 1) : (i * 7919) % 730;
            const certState = state === 'revoked' ? 'revoked' : state === 'expired' ? 'expired' : state === 'superseded' ? 'superseded' : 'active';
            insCert.run(
              (0x10_0000_0000 + i).toString(16).toUpperCase().padStart(16, '0'), id, fqdn, tenant, i.toString(16).toUpperCase().padStart(40, '0'), fp,
              at(3), new Date(now + days * 86_400_000).toISOString(), `CN=${fqdn}`, 'CN=agentcert Root CA, O=agentcert', certDer, certState,
              certState === 'revoked' ? at(9) : null, certState === 'revoked' ? 'keyCompromise' : null, at(3),
            );
          }
        }
      })();
    }
    // The handful in flight: real requests just received (the service checks, issues and packages them), and
    // requests an administrator has not approved yet.
    const live = sampleCsrFiles;
    live.files.forEach((f, k) => {
      const bytes = readFileSync(path.join(live.dir, f));
      const p = parseRequest(bytes);
      const request = { id: p.fingerprint.slice(0, 12), fqdn: p.fqdn! };
      db.prepare(`INSERT INTO requests (id, fingerprint, fqdn, tenant, role, state, csr_der, original, source_name, created_at, updated_at) VALUES (?, ?, ?, 'default', 'agent', 'received', ?, ?, ?, ?, ?)`).run(request.id, p.fingerprint, request.fqdn, p.csrDer, bytes, f, new Date().toISOString(), new Date().toISOString());
      insEvent.run(request.id, request.fqdn, new Date().toISOString(), null, 'received', 'RECEIVED', 'bench seed', 'share', null);
      if (k >= RECEIVED) {
        db.prepare(`UPDATE requests SET state = 'awaiting_approval' WHERE id = ?`).run(request.id);
        insEvent.run(request.id, request.fqdn, new Date().toISOString(), 'received', 'checked', 'CHECKED', 'checked (bench seed)', 'service', null);
        insEvent.run(request.id, request.fqdn, new Date().toISOString(), 'checked', 'awaiting_approval', 'APPROVAL_REQUIRED', 'held (bench seed)', 'service', null);
      }
    });
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
}

function nodeBare(): number[] {
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
    if (i > 0) times.push(ms(t0, process.hrtime.bigint()));
  }
  return times;
}

async function measure(config: string): Promise<{ serve: number[]; once: number[] }> {
  const serve: number[] = [];
  const once: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const svc = startService(['--config', config], cliEnv());
    const at = await svc.waitForOutput(/agentcert is running/, 120_000);
    serve.push(ms(svc.spawnedAt, at));
    await svc.stop('SIGTERM');
  }
  for (let i = 0; i < RUNS; i++) {
    const r = runCliSync(['serve', '--once', '--config', config]);
    if (r.code !== 0) throw new Error(`serve --once failed (${r.code}): ${r.stderr.slice(-3000)}`);
    once.push(r.ms);
  }
  return { serve, once };
}

function newEnv(prefix: string): { env: TempEnv; config: string } {
  const env = makeTempEnv(prefix);
  const config = writeConfig(path.join(env.dir, 'agentcert.json'), { share: { root: env.share }, data: { dir: env.data }, packaging: { buildExe: false } });
  const init = runCliSync(['ca', 'init', '--config', config]);
  if (init.code !== 0) throw new Error(`ca init failed: ${init.stderr}`);
  return { env, config };
}

export async function runStartupBench(): Promise<BenchOutput> {
  const n = Number(process.env.BENCH_STARTUP_N ?? 100_000);
  const bare = nodeBare();
  const empty = newEnv('agentcert-bench-start0-');
  const big = newEnv('agentcert-bench-startN-');
  try {
    log(`startup: empty store, ${RUNS} × serve and ${RUNS} × serve --once`);
    const e = await measure(empty.config);
    const t0 = Date.now();
    seedStore(big.env, n, cachedRequests(RECEIVED + AWAITING_APPROVAL));
    const seedMs = Date.now() - t0;
    // SQLite removes its -wal file when the last connection closes: a file listed here may be gone when read.
    const dbMB = readdirSync(big.env.data).filter((f) => f.startsWith('agentcert.db')).reduce((a, f) => a + (statSync(path.join(big.env.data, f), { throwIfNoEntry: false })?.size ?? 0), 0) / 1048576;
    log(`startup: seeded ${n} requests (+${RECEIVED} received, ${AWAITING_APPROVAL} awaiting approval) in ${seedMs} ms, ${dbMB.toFixed(0)} MB; ${RUNS} × serve and ${RUNS} × serve --once`);
    const b = await measure(big.config);
    const label = n.toLocaleString('en-US');
    const rows = [
      { measure: "node -e ''", store: '', median: round(median(bare), 0), runs: bare.map((x) => round(x, 0)).join(' '), unit: 'ms' },
      { measure: 'serve → "agentcert is running"', store: 'empty', median: round(median(e.serve), 0), runs: e.serve.map((x) => round(x, 0)).join(' '), unit: 'ms' },
      { measure: 'serve → "agentcert is running"', store: label, median: round(median(b.serve), 0), runs: b.serve.map((x) => round(x, 0)).join(' '), unit: 'ms' },
      { measure: 'serve --once → exit', store: 'empty', median: round(median(e.once), 0), runs: e.once.map((x) => round(x, 0)).join(' '), unit: 'ms' },
      { measure: 'serve --once → exit', store: label, median: round(median(b.once), 0), runs: b.once.map((x) => round(x, 0)).join(' '), unit: 'ms' },
      { measure: 'store seeded', store: label, median: seedMs, runs: `${dbMB.toFixed(0)} MB, ${RECEIVED} received + ${AWAITING_APPROVAL} awaiting approval`, unit: 'ms' },
    ];
    const worst = Math.max(...b.serve);
    const figures: Figure[] = [
      {
        bench: 'startup', figure: `start-up with ${label} stored requests (serve → running, worst of ${RUNS})`, value: round(worst, 0), unit: 'ms',
        baseline: `empty store ${fmt(Math.max(...e.serve), 0)} ms; node -e '' ${fmt(median(bare), 0)} ms`, ratio: `${fmt(worst / Math.max(...e.serve))}× empty`, target: '< 3000 ms', met: worst < 3000,
      },
      {
        bench: 'startup', figure: `serve --once with ${label} stored requests (spawn → exit, median)`, value: round(median(b.once), 0), unit: 'ms',
        baseline: `empty store ${fmt(median(e.once), 0)} ms`, ratio: `${fmt(median(b.once) / median(e.once))}× empty`,
      },
    ];
    return { rows, figures };
  } finally {
    empty.env.cleanup();
    big.env.cleanup();
  }
}
