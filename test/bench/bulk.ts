/**
 * The built-in CA's request paths against the floor measured in the same run (floor.ts), on cached RSA-2048
 * requests and the real CLI (defaults except packaging.buildExe: false, info logs as shipped):
 * - a burst: N requests renamed into requests/ at once while `agentcert serve` runs, until every package is in
 *   issued/ (throughput, CPU a request by thread, drop-to-package percentiles, peak RSS);
 * - `serve --once` over a backlog of N requests copied into requests/ first, measured as an admin would, with
 *   `/usr/bin/time` (wall, user+system CPU, peak RSS), at every size of BENCH_SCALE too;
 * - a steady arrival at half the capacity the burst measured: drop-to-package p99;
 * - the work a request needs above the floor, each part alone (work-alone.ts): what of the service's CPU is the
 *   work itself and what is running it as a service.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, watch } from 'node:fs';
import path from 'node:path';
import { cliPath } from '../helpers/paths.js';
import { makeTempEnv } from '../helpers/temp.js';
import {
  BENCH_N, CA_BITS, KEY_POOL, type BenchOutput, type Figure, cachedRequests, cleanupLater, cliEnv, cpuMs, fmt, hasOpenssl, log, ms, peakRssMB, percentile, round, runCliSync, sleep, startService, threadCpuMs, writeConfig,
} from './common.js';
import { combineFloor, floorText, fsFloor, ofFloor, opensslLoop, opensslSignFloor, timesFloor, type Floor } from './floor.js';
import { measureWorkAlone, type WorkAlone } from './work-alone.js';

/** Backlog sizes for `serve --once` (cost linear in the work): BENCH_SCALE=1000,10000,100000 */
const SCALE = (process.env.BENCH_SCALE ?? '1000,10000').split(',').map(Number).filter((x) => x > 0);

/** A fresh share and data folder with the built-in CA made; removed at the end of the run. */
function prepare(prefix: string, store?: Record<string, unknown>, storeEnv: Record<string, string> = {}): { share: string; config: string; base: string[]; dir: string } {
  const env = makeTempEnv(prefix);
  cleanupLater(env.cleanup);
  const config = writeConfig(path.join(env.dir, 'agentcert.json'), {
    share: { root: env.share },
    data: { dir: env.data },
    ca: { builtin: { keyBits: CA_BITS } },
    packaging: { buildExe: false },
    ...(store ? { store } : {}),
  });
  const base = ['--config', config];
  const init = runCliSync(['ca', 'init', ...base], cliEnv(storeEnv));
  if (init.code !== 0) throw new Error(`ca init failed: ${init.stderr}`);
  return { share: env.share, config, base, dir: env.dir };
}

interface ServeResult {
  n: number;
  seconds: number;
  perSecond: number;
  latencies: number[];
  peakRssMB: number;
  idleRssMB: number;
  cpuMsPerRequest: number;
  /** CPU of other processes the caller counts (the PostgreSQL server), a request. */
  otherCpuMsPerRequest: number;
  startupMs: number;
  /** CPU a request by thread (main; the other threads are all named "node": workers, libuv's pool, V8's helpers). */
  threads: { name: string; msPerRequest: number }[];
}

/**
 * Drops requests into a running `agentcert serve` — all at once (perSecond: null) or one every 1/perSecond s —
 * and times each from its rename into requests/ to the rename of its package into issued/ (inotify).
 */
export async function serveRun(n: number, perSecond: number | null, o: { store?: Record<string, unknown>; env?: Record<string, string>; otherCpuMs?: () => number } = {}): Promise<ServeResult> {
  const cache = cachedRequests(Math.max(n, BENCH_N));
  const files = cache.files.slice(0, n);
  const storeEnv = o.env ?? {};
  const run = prepare('agentcert-bench-serve-', o.store, storeEnv);
  const staging = path.join(run.dir, 'staging');
  mkdirSync(staging);
  for (const f of files) copyFileSync(path.join(cache.dir, f), path.join(staging, f));
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the service (open it in Chrome DevTools).
  // BENCH_NODE_ARGS: more node flags for the service (e.g. --perf-basic-prof for `perf record -p`).
  const prof = [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_CPU_PROF)] : []), ...(process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [])];
  const svc = startService(run.base, cliEnv(storeEnv), { execArgv: prof });
  const running = await svc.waitForOutput(/agentcert is running/);
  const startupMs = ms(svc.spawnedAt, running);
  await sleep(500);
  const pid = svc.proc.pid!;
  const idleRssMB = peakRssMB(pid);
  const issued = path.join(run.share, 'issued');
  const requests = path.join(run.share, 'requests');
  const index = new Map(files.map((f, i) => [f.slice(0, -'.req'.length), i]));
  const appearedAt: (bigint | undefined)[] = new Array(n);
  let seen = 0;
  const record = (name: string | null, at: bigint): void => {
    const i = name ? index.get(name) : undefined;
    if (i === undefined || appearedAt[i] !== undefined || !existsSync(path.join(issued, name!))) return;
    appearedAt[i] = at;
    seen++;
  };
  // A package appears as one rename of its staging folder (.tmp-…) to issued/<FQDN>.
  const watcher = watch(issued, (_event, name) => record(typeof name === 'string' ? name : null, process.hrtime.bigint()));
  const cpu0 = cpuMs(pid);
  const other0 = o.otherCpuMs?.() ?? 0;
  const threads0 = threadCpuMs(pid);
  const dropAt: bigint[] = new Array(n);
  const start = process.hrtime.bigint();
  try {
    for (let i = 0; i < n; i++) {
      if (perSecond !== null) {
        const due = (i * 1000) / perSecond - ms(start, process.hrtime.bigint());
        if (due > 1) await sleep(due);
      }
      renameSync(path.join(staging, files[i]!), path.join(requests, files[i]!));
      dropAt[i] = process.hrtime.bigint();
    }
    log(`serve: dropped ${n} requests${perSecond === null ? ' at once' : ` at ${fmt(perSecond)}/s`}; waiting for the packages`);
    await waitForAll(() => seen, n, () => {
      for (const d of readdirSync(issued)) record(d, process.hrtime.bigint());
    }, svc);
  } finally {
    watcher.close();
  }
  const end = appearedAt.reduce<bigint>((a, b) => (b! > a ? b! : a), 0n);
  const peak = peakRssMB(pid);
  const cpu = cpuMs(pid) - cpu0;
  const otherCpu = (o.otherCpuMs?.() ?? 0) - other0;
  const threads = [...threadCpuMs(pid)].map(([name, t]) => ({ name, msPerRequest: (t - (threads0.get(name) ?? 0)) / n })).filter((x) => x.msPerRequest > 0).sort((a, b) => b.msPerRequest - a.msPerRequest);
  await svc.stop('SIGTERM');
  const seconds = ms(start, end) / 1000;
  const latencies = appearedAt.map((t, i) => ms(dropAt[i]!, t!)).sort((a, b) => a - b);
  return { n, seconds, perSecond: n / seconds, latencies, peakRssMB: peak, idleRssMB, cpuMsPerRequest: cpu / n, otherCpuMsPerRequest: otherCpu / n, startupMs, threads };
}

async function waitForAll(count: () => number, n: number, rescan: () => void, svc: { proc: { exitCode: number | null }; stderr(): string }): Promise<void> {
  let last = 0;
  let progressAt = Date.now();
  let reportAt = Date.now();
  while (count() < n) {
    await sleep(100);
    // A safety net for a missed inotify event (overflow): counted only if watch missed it.
    if (Date.now() - progressAt > 3000) rescan();
    if (count() !== last) (last = count()), (progressAt = Date.now());
    if (Date.now() - reportAt > 10_000) (reportAt = Date.now()), log(`serve: ${count()}/${n} packages`);
    if (Date.now() - progressAt > 180_000) throw new Error(`no package for 180 s at ${count()}/${n}; service log tail:\n${svc.stderr().slice(-4000)}`);
    if (svc.proc.exitCode !== null) throw new Error(`service exited (${svc.proc.exitCode}) at ${count()}/${n}:\n${svc.stderr().slice(-4000)}`);
  }
}

interface OnceResult {
  n: number;
  seconds: number;
  perSecond: number;
  cpuMsPerRequest: number;
  peakRssMB: number;
}

/** `/usr/bin/time agentcert serve --once` over n requests copied into requests/ beforehand. */
export function onceRun(n: number): OnceResult {
  const cache = cachedRequests(n);
  const run = prepare('agentcert-bench-once-');
  const requests = path.join(run.share, 'requests');
  mkdirSync(requests, { recursive: true });
  for (const f of cache.files) copyFileSync(path.join(cache.dir, f), path.join(requests, f));
  const timeFile = path.join(run.dir, 'time.txt');
  log(`serve --once: ${n} requests waiting`);
  const r = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', process.execPath, cliPath, 'serve', '--once', ...run.base], { env: cliEnv(), stdio: ['ignore', 'ignore', 'ignore'], timeout: 3_600_000 });
  if (r.status !== 0) throw new Error(`serve --once exited ${r.status}`);
  const [wall, user, sys, maxKB] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number, number];
  const made = readdirSync(path.join(run.share, 'issued')).filter((d) => !d.startsWith('.')).length;
  if (made !== n) throw new Error(`serve --once made ${made} of ${n} packages`);
  return { n, seconds: wall, perSecond: n / wall, cpuMsPerRequest: ((user + sys) * 1000) / n, peakRssMB: maxKB / 1024 };
}

function measureFloor(): { readings: number[]; fs: { perSecond: number; cpuMsPerPackage: number }; loop: { perSecond: number; count: number } } {
  const fsEnv = makeTempEnv('agentcert-bench-fs-');
  cleanupLater(fsEnv.cleanup);
  log('floor: the file system alone, 300 packages of 8 files written, fsynced and renamed into place');
  const fs = fsFloor(fsEnv.dir);
  if (!hasOpenssl()) {
    log('openssl is not installed: no signing floor or loop baseline');
    return { readings: [NaN], fs, loop: { perSecond: NaN, count: 0 } };
  }
  log(`floor: openssl speed -multi 2 -seconds 3 rsa${CA_BITS}`);
  const readings = [opensslSignFloor(CA_BITS)];
  const cache = cachedRequests(BENCH_N);
  const sample = cache.files.slice(0, Math.min(Number(process.env.BENCH_LOOP_N ?? 200), BENCH_N));
  const loopEnv = makeTempEnv('agentcert-bench-loop-');
  cleanupLater(loopEnv.cleanup);
  log(`baseline: bash loop of ${sample.length} × openssl x509 -req (rsa${CA_BITS} CA)`);
  const loop = opensslLoop(cache.dir, sample, loopEnv.dir, CA_BITS);
  return { readings, fs, loop };
}

export async function runBulkBench(): Promise<BenchOutput> {
  const n = BENCH_N;
  const base = measureFloor();
  log(`burst: ${n} requests into a running serve, built-in CA rsa${CA_BITS}`);
  const b = await serveRun(n, null);
  const sizes = [...new Set([...SCALE, n])].sort((x, y) => x - y);
  const once = new Map(sizes.map((s) => [s, onceRun(s)]));
  const rate = b.perSecond / 2;
  const steadyN = Math.max(200, Math.min(n, Math.round(rate * 30)));
  log(`steady: ${steadyN} requests at ${fmt(rate)}/s (half the burst's throughput)`);
  const st = await serveRun(steadyN, rate);
  if (hasOpenssl()) base.readings.push(opensslSignFloor(CA_BITS));
  const floor = combineFloor(base.readings, base.fs);
  const sample = cachedRequests(BENCH_N);
  const workN = Math.min(Number(process.env.BENCH_WORK_N ?? 1000), BENCH_N);
  log(`the work alone: ${workN} requests, each part in one thread (work-alone.ts)`);
  const work = await measureWorkAlone(sample.dir, sample.files.slice(0, workN), CA_BITS);
  return { rows: rows(n, b, once, st, floor, base.loop, work), figures: figures(n, b, once, st, floor, base.loop, work) };
}

/** "1.9× the work alone" — the work alone being the floor plus the parts measured alone (work-alone.ts). */
const timesWork = (cpuMs: number, f: Floor, w: WorkAlone): string => `${fmt(cpuMs / (f.requestMs + w.aboveFloorMs), 2)}× (floor + the work alone)`;

function rows(n: number, b: ServeResult, once: Map<number, OnceResult>, st: ServeResult, f: Floor, loop: { perSecond: number; count: number }, w: WorkAlone): Record<string, string | number>[] {
  const p = (r: ServeResult, q: number): number => round(percentile(r.latencies, q), 0);
  return [
    { measure: 'requests', value: n, unit: '', note: `RSA-2048, ${KEY_POOL} keys reused, cached in .bench-cache/` },
    { measure: 'floor: signature', value: round(f.signatureMs, 2), unit: 'ms CPU', note: `openssl speed rsa${CA_BITS} -multi 2: ${f.readings.map((x) => fmt(x)).join(' and ')} sign/s (before, after)` },
    { measure: 'floor: durable package', value: round(f.packageWriteMs, 2), unit: 'ms CPU', note: `8 files written+fsynced, folder renamed, parent fsynced; ${fmt(f.packageWritesPerSecond)} pkg/s on one thread` },
    { measure: 'floor: request', value: round(f.requestsPerSecond, 1), unit: 'req/s', note: `${f.cores} cores ÷ ${fmt(f.requestMs, 2)} ms` },
    { measure: 'openssl x509 -req loop', value: round(loop.perSecond, 1), unit: 'req/s', note: `${loop.count} requests, one process each` },
    ...w.parts.map((p) => ({ measure: `work alone: ${p.part}`, value: round(p.ms, 3), unit: 'ms CPU', note: '' })),
    { measure: 'work alone: above the floor', value: round(w.aboveFloorMs, 2), unit: 'ms CPU', note: `${w.requests} requests, one thread; its RSA signature in node ${fmt(w.signatureMs, 2)} ms` },
    { measure: 'burst: throughput', value: round(b.perSecond, 1), unit: 'req/s', note: `${ofFloor(b.perSecond, f)}; ${fmt(b.seconds)} s` },
    { measure: 'burst: service CPU', value: round(b.cpuMsPerRequest, 2), unit: 'ms/req', note: `${timesFloor(b.cpuMsPerRequest, f)}; ${timesWork(b.cpuMsPerRequest, f, w)}` },
    ...b.threads.map((t) => ({ measure: `  in thread ${t.name}`, value: round(t.msPerRequest, 2), unit: 'ms/req', note: '' })),
    { measure: 'burst: latency p50 / p99', value: `${p(b, 50)} / ${p(b, 99)}`, unit: 'ms', note: `drop → issued/<FQDN>/; N ÷ throughput = ${fmt((1000 * n) / b.perSecond, 0)} ms` },
    { measure: 'burst: peak RSS', value: round(b.peakRssMB, 1), unit: 'MB', note: `idle after start ${fmt(b.idleRssMB)} MB; start-up ${fmt(b.startupMs, 0)} ms` },
    ...[...once.values()].flatMap((r) => [
      { measure: `serve --once ${r.n}: throughput`, value: round(r.perSecond, 1), unit: 'req/s', note: `${ofFloor(r.perSecond, f)}; ${fmt(r.seconds)} s spawn → exit (/usr/bin/time)` },
      { measure: `serve --once ${r.n}: CPU`, value: round(r.cpuMsPerRequest, 2), unit: 'ms/req', note: `${timesFloor(r.cpuMsPerRequest, f)}; ${timesWork(r.cpuMsPerRequest, f, w)}; start-up included` },
      { measure: `serve --once ${r.n}: peak RSS`, value: round(r.peakRssMB, 1), unit: 'MB', note: '' },
    ]),
    { measure: `steady ${st.n} at ${fmt(st.perSecond)}/s: p50 / p99`, value: `${p(st, 50)} / ${p(st, 99)}`, unit: 'ms', note: `CPU ${fmt(st.cpuMsPerRequest, 2)} ms/req` },
  ];
}

function figures(n: number, b: ServeResult, once: Map<number, OnceResult>, st: ServeResult, f: Floor, loop: { perSecond: number }, w: WorkAlone): Figure[] {
  const o = once.get(n)!;
  const fl = floorText(f);
  const path2 = [
    { label: `burst of ${n} into serve`, perSecond: b.perSecond, cpu: b.cpuMsPerRequest },
    { label: `serve --once over ${n}`, perSecond: o.perSecond, cpu: o.cpuMsPerRequest },
  ];
  const smallest = once.get(Math.min(...once.keys()))!;
  return [
    ...path2.flatMap(({ label, perSecond, cpu }): Figure[] => [
      { bench: 'bulk', figure: `throughput, ${label}`, value: round(perSecond, 1), unit: 'req/s', baseline: fl, ratio: ofFloor(perSecond, f), target: '≥ 50 % of floor', met: perSecond >= 0.5 * f.requestsPerSecond },
      { bench: 'bulk', figure: `CPU a request, ${label}`, value: round(cpu, 2), unit: 'ms', baseline: `signature ${fmt(f.signatureMs, 2)} ms + durable package ${fmt(f.packageWriteMs, 2)} ms`, ratio: `${timesFloor(cpu, f)}; ${timesWork(cpu, f, w)}`, target: '≤ 1.5×', met: cpu <= 1.5 * f.requestMs },
    ]),
    // Whether the CPU target leaves room for the work itself: floor + every other part of the work, each alone.
    { bench: 'bulk', figure: 'the work alone a request: floor + parsing, checks, certificate, gate, rendering, store, intake', value: round(f.requestMs + w.aboveFloorMs, 2), unit: 'ms', baseline: `floor ${fmt(f.requestMs, 2)} ms; the parts above it ${fmt(w.aboveFloorMs, 2)} ms`, ratio: timesFloor(f.requestMs + w.aboveFloorMs, f), target: '≤ 1.5× (room for the CPU target)', met: f.requestMs + w.aboveFloorMs <= 1.5 * f.requestMs },
    { bench: 'bulk', figure: `throughput vs openssl loop, burst of ${n}`, value: round(b.perSecond, 1), unit: 'req/s', baseline: `bash loop of openssl x509 -req: ${fmt(loop.perSecond)} req/s`, ratio: `${fmt(b.perSecond / loop.perSecond)}× loop`, target: '≥ 15× loop', met: b.perSecond >= 15 * loop.perSecond },
    { bench: 'bulk', figure: `drop-to-package p99, steady ${fmt(st.perSecond)}/s (half the burst's throughput)`, value: round(percentile(st.latencies, 99), 0), unit: 'ms', baseline: `p50 ${fmt(percentile(st.latencies, 50), 0)} ms`, ratio: '', target: '< 1000 ms', met: percentile(st.latencies, 99) < 1000 },
    ...[...once.values()].filter((r) => r !== smallest).map((r): Figure => ({
      bench: 'bulk', figure: `serve --once CPU a request at ${r.n} vs ${smallest.n}`, value: round(r.cpuMsPerRequest, 2), unit: 'ms', baseline: `${fmt(smallest.cpuMsPerRequest, 2)} ms at ${smallest.n}`, ratio: `${fmt(r.cpuMsPerRequest / smallest.cpuMsPerRequest, 2)}×`, target: '≤ 1.2× (flat)', met: r.cpuMsPerRequest <= 1.2 * smallest.cpuMsPerRequest,
    })),
    ...[...once.values()].map((r): Figure => ({ bench: 'bulk', figure: `serve --once peak RSS at ${r.n}`, value: round(r.peakRssMB, 1), unit: 'MB', baseline: `${fmt(smallest.peakRssMB)} MB at ${smallest.n}`, ratio: `${fmt(r.peakRssMB / smallest.peakRssMB, 2)}×`, target: '< 300 MB', met: r.peakRssMB < 300 })),
    { bench: 'bulk', figure: `peak RSS, burst of ${n}`, value: round(b.peakRssMB, 1), unit: 'MB', baseline: `idle after start: ${fmt(b.idleRssMB)} MB`, ratio: `${fmt(b.peakRssMB / b.idleRssMB)}× idle`, target: '< 300 MB', met: b.peakRssMB < 300 },
  ];
}
