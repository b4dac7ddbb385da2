/**
 * The SQLite store alone under a burst: N simulated requests (default 5,000), each five units of work as the
 * pipeline makes them (intake's insert + checked in one withTransaction, then submitted, issued with its
 * certificate, verified, packaged), worked on by T concurrent tasks (default 16). Prints CPU a request
 * (process.cpuUsage), bytes and write calls a request (/proc/self/io: WAL, checkpoints and temporary files),
 * and the commits. Another build can be measured with the same workload: pass its dist/ folder.
 *
 *   node dist/test/bench/store-commits.js [N] [T] [other dist/]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Store, TransitionRecord } from '../../services/domain/index.js';

const [n = '5000', t = '16', dist] = process.argv.slice(2);
const N = Number(n);
const TASKS = Number(t);
const here = path.dirname(fileURLToPath(import.meta.url));
const storeModule = dist ? path.resolve(dist, 'services/store/index.js') : path.resolve(here, '../../services/store/index.js');
type Ctor = new (file: string, clock: { now(): Date }) => Store & { s?: { units?: { onCommit: ((units: number) => void) | null } } };
const { SqliteStore } = (await import(pathToFileURL(storeModule).href)) as { SqliteStore: Ctor };

const step = (from: TransitionRecord['from'], to: TransitionRecord['to'], reason: TransitionRecord['reason'], extra: Partial<TransitionRecord> = {}): TransitionRecord => ({
  from, to, reason, message: `${from.join('|')} -> ${to}`, actor: 'service', data: { bench: true }, ...extra,
});
const csr = randomBytes(1000);
const original = randomBytes(1400);
const der = randomBytes(1300);

async function request(store: Store, i: number): Promise<void> {
  const fqdn = `host${i}.contoso.local`;
  const fingerprint = createHash('sha256').update(`bench-${i}`).digest('hex');
  const r = await store.withTransaction(async (tx) => {
    const { request } = await tx.requests.insert({ fingerprint, fqdn, tenant: 'default', csrDer: csr, originalBytes: original, sourceName: `${fqdn}.req` }, 'received');
    return tx.requests.transition(request.id, step(['received'], 'checked', 'CHECKS_PASSED'));
  });
  await store.requests.transition(r.id, step(['checked'], 'submitted', 'SUBMITTED', { caRequestId: String(i) }));
  const certificate = { serialNumber: `S${i}`, requestId: r.id, fqdn, tenant: 'default', thumbprint: `T${i}`, sha256: `H${i}`, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2028-01-01T00:00:00.000Z', subject: `CN=${fqdn}`, issuer: 'CN=bench', der };
  await store.requests.transition(r.id, step(['submitted'], 'issued', 'ISSUED', { certificate }));
  await store.requests.transition(r.id, step(['issued'], 'verified', 'VERIFIED'));
  await store.requests.transition(r.id, step(['verified'], 'packaged', 'PACKAGED'));
}

function io(): Record<string, number> {
  return Object.fromEntries(readFileSync('/proc/self/io', 'utf8').trim().split('\n').map((l) => [l.split(': ')[0]!, Number(l.split(': ')[1])]));
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcert-store-bench-'));
const store = new SqliteStore(path.join(dir, 'agentcert.db'), { now: () => new Date() });
let commits = 0;
let units = 0;
if (store.s?.units) store.s.units.onCommit = (k) => ((commits += 1), (units += k)); // the group-commit build only
let next = 0;
const io0 = io();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(Array.from({ length: TASKS }, async () => {
  while (next < N) await request(store, next++);
}));
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const io1 = io();
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  store: storeModule, requests: N, tasks: TASKS, wallMs: Math.round(wall),
  cpuMsPerRequest: +((cpu.user + cpu.system) / 1000 / N).toFixed(3), userMs: +(cpu.user / 1000 / N).toFixed(3), systemMs: +(cpu.system / 1000 / N).toFixed(3),
  writtenKBPerRequest: +((io1.wchar! - io0.wchar!) / 1024 / N).toFixed(1), writeCallsPerRequest: +((io1.syscw! - io0.syscw!) / N).toFixed(1),
  ...(commits ? { commits, unitsPerCommit: +(units / commits).toFixed(1) } : {}),
}));
