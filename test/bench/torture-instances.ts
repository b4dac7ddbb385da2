/**
 * Torture for several instances on one PostgreSQL database and one share (README "Several instances on
 * PostgreSQL"), built-in CA or the fake AD CS CA (test/fakes): three `agentcert serve` processes, requests dropped in batches while random instances
 * are SIGKILLed and restarted. At the end: every request packaged once (0 lost), one certificate and one `issued`
 * event per request (0 duplicated; for AD CS also one accepted submit per request at the fake CA), every package
 * verifies against the one CA, and how long the singleton jobs took to move when their holder was killed.
 *
 *   npm run build && node dist/test/bench/torture-instances.js [requests] [kills] [builtin|adcs]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PostgresStore } from '../../services/store/index.js';
import { readLog, writeScenario } from '../fakes/fake-ca-state.js';
import { ADCS_CONFIG } from '../helpers/adcs-config.js';
import { repoRoot } from '../helpers/paths.js';
import { startPostgres } from '../helpers/postgres-server.js';
import { cliEnv, startService, type RunningService } from '../helpers/service.js';
import { makeTempEnv } from '../helpers/temp.js';
import { dropFile, formatTable, makeRequests, sleep, summary, verifyPackage, type ScenarioSummary } from './torture-common.js';

const LEASE_SECONDS = 6;

interface Instance {
  name: string;
  svc: RunningService | null;
  args: string[];
}

/** The instance that printed `elected` last (and when), from the services' logs. */
function lastElected(all: Instance[]): { name: string; at: number } | null {
  let best: { name: string; at: number } | null = null;
  for (const i of all) {
    for (const line of (i.svc?.stderr() ?? '').split('\n')) {
      if (!line.includes('"event":"elected"')) continue;
      const at = (JSON.parse(line) as { time: number }).time;
      if (!best || at > best.at) best = { name: i.name, at };
    }
  }
  return best;
}

export async function tortureInstances(n: number, kills: number, backend: 'builtin' | 'adcs' = 'builtin', say: (l: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<ScenarioSummary> {
  const t0 = Date.now();
  const server = await startPostgres();
  const env = makeTempEnv('agentcert-instances-');
  const failures: string[] = [];
  const notes: string[] = [];
  let store: PostgresStore | null = null;
  const all: Instance[] = [];
  try {
    const url = await server.database();
    mkdirSync(path.join(env.share, 'requests'), { recursive: true });
    const fakeDir = path.join(env.dir, 'fake-ca');
    if (backend === 'adcs') writeScenario(fakeDir, { onSubmit: 'pending', onResubmit: 'issue' });
    const bin = path.join(repoRoot, 'test/fakes/bin');
    const ca = backend === 'adcs'
      ? { backend: 'adcs', adcs: { config: ADCS_CONFIG, certreqPath: path.join(bin, 'certreq'), certutilPath: path.join(bin, 'certutil'), timeoutMs: 5000, pendingPollMs: 1000 } }
      : { builtin: { keyBits: 2048 } };
    const procEnv = cliEnv({ AGENTCERT_STORE_PASSWORD: server.password, AGENTCERT_CA_PASSPHRASE: 'torture-passphrase', AGENTCERT_FAKE_CA_DIR: fakeDir });
    for (const name of ['a', 'b', 'c']) {
      const config = path.join(env.dir, `${name}.json`);
      writeFileSync(config, JSON.stringify({
        share: { root: env.share, stableMs: 100, reconcileIntervalMs: 1000 },
        data: { dir: path.join(env.dir, `data-${name}`) },
        store: { url, leaseSeconds: LEASE_SECONDS, poolSize: 4 },
        ca,
        packaging: { buildExe: false },
        pipeline: { concurrency: 4, retryBaseMs: 200, retryMaxMs: 2000, tickMs: 200 },
        lifecycle: { checkIntervalMs: 5_000 },
      }));
      all.push({ name, svc: null, args: ['--config', config] });
    }
    const requests = makeRequests(n, 'inst');
    store = new PostgresStore({ url, password: server.password, sslMode: null, caFile: null, poolSize: 2, leaseSeconds: LEASE_SECONDS }, { now: () => new Date() });
    for (const i of all) i.svc = startService(i.args, procEnv);
    await Promise.all(all.map((i) => i.svc!.waitForOutput(/agentcert is running/, 120_000)));
    const batch = Math.ceil(n / (kills + 1));
    const moves: number[] = [];
    let dropped = 0;
    for (let k = 0; k <= kills; k++) {
      for (const r of requests.slice(dropped, dropped + batch)) dropFile(path.join(env.share, 'requests'), `${r.fqdn}.req`, r.pem);
      dropped = Math.min(n, dropped + batch);
      if (k === kills) break;
      await sleep(300 + Math.random() * 2500);
      // Every third kill takes the elected instance, to measure how long the singletons take to move.
      const leader = lastElected(all);
      const victim = k % 3 === 0 && leader ? all.find((i) => i.name === leader.name)! : all[Math.floor(Math.random() * all.length)]!;
      const killedAt = Date.now();
      await victim.svc!.stop('SIGKILL');
      say(`  kill ${k + 1}/${kills}: instance ${victim.name}${leader?.name === victim.name ? ' (elected)' : ''}; ${(await store.views.requestsByState())['packaged'] ?? 0}/${n} packaged`);
      if (leader?.name === victim.name) {
        for (const end = Date.now() + 30_000; Date.now() < end; await sleep(100)) {
          const next = lastElected(all.filter((i) => i !== victim));
          if (next && next.at >= killedAt) {
            moves.push((next.at - killedAt) / 1000);
            break;
          }
        }
      }
      victim.svc = startService(victim.args, procEnv);
    }
    for (const end = Date.now() + 15 * 60_000; ((await store.views.requestsByState())['packaged'] ?? 0) < n && Date.now() < end; ) await sleep(500);
    const rows = await store.requests.find({ limit: n * 2 });
    const certs = await store.certificates.findMany({ limit: n * 2 });
    const packaged = rows.filter((r) => r.state === 'packaged');
    const perRequest = new Map<string, number>();
    for (const c of certs) perRequest.set(c.requestId, (perRequest.get(c.requestId) ?? 0) + 1);
    let duplicated = [...perRequest.values()].filter((v) => v > 1).length;
    for (const r of rows) {
      const issued = (await store.events.forRequest(r.id)).filter((e) => e.reason === 'ISSUED').length;
      if (issued > 1) (duplicated++, failures.push(`${r.fqdn}: issued ${issued} times`));
    }
    if (rows.length !== n) failures.push(`${rows.length} requests stored for ${n} dropped`);
    if (backend === 'adcs') {
      const submits = new Map<string, number>();
      for (const e of readLog(fakeDir)) {
        if (e.verb !== 'submit' || e.requestId === null) continue;
        const fp = e.argv.map((a) => /adcs[\\/]([0-9a-f]{64})[\\/]/.exec(a)?.[1]).find(Boolean) ?? '?';
        submits.set(fp, (submits.get(fp) ?? 0) + 1);
      }
      const twice = [...submits.values()].filter((c) => c > 1).length;
      if (twice > 0) (duplicated += twice, failures.push(`${twice} request(s) submitted to the CA more than once`));
      notes.push(`fake CA: ${[...submits.values()].reduce((a, b) => a + b, 0)} accepted submits for ${submits.size} requests`);
    }
    const root = readFileSync(backend === 'adcs' ? path.join(fakeDir, 'ca', 'root.cer') : path.join(env.dir, 'data-a', 'ca', 'root.cer'));
    let verified = 0;
    for (const r of packaged) {
      const why = verifyPackage(env.share, r.fqdn, root);
      if (why) failures.push(`${r.fqdn}: ${why}`);
      else verified++;
    }
    if (new Set(certs.map((c) => c.issuer)).size > 1) failures.push('certificates from more than one CA');
    notes.push(`3 instances, ${kills} SIGKILLs, lease ${LEASE_SECONDS} s; singleton moved after ${moves.map((m) => m.toFixed(1)).join(', ') || '—'} s`);
    return summary(`instances-${backend}-postgres`, t0, { tried: n, passed: verified, lost: n - packaged.length, duplicated, notes, failures });
  } finally {
    await Promise.all(all.map((i) => i.svc?.stop('SIGKILL')));
    await store?.close();
    server.close();
    env.cleanup();
  }
}

if (process.argv[1]?.endsWith('torture-instances.js')) {
  const [n = '300', kills = '20', backend = 'builtin'] = process.argv.slice(2);
  const s = await tortureInstances(Number(n), Number(kills), backend === 'adcs' ? 'adcs' : 'builtin');
  process.stdout.write(`${formatTable([s])}\n${s.notes.join('\n')}\n${s.failures.slice(0, 20).join('\n')}\n`);
  process.exitCode = s.failures.length === 0 && s.lost === 0 && s.duplicated === 0 ? 0 : 1;
}
