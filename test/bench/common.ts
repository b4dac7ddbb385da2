/**
 * What the service benches share: the machine they ran on, the cached request set, the real CLI as a child
 * process, peak RSS, percentiles, and the figure rows of the summary table (figure, baseline, ratio, target).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeSampleRequest } from '../../services/pki/index.js';
import { cliPath, repoRoot } from '../helpers/paths.js';

/** One line of the summary table: a measured figure next to its same-run baseline and its target. */
export interface Figure {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline?: string;
  ratio?: string;
  target?: string;
  /** true = met, false = not met, undefined = no target */
  met?: boolean;
}

export interface BenchOutput {
  /** Detail rows (printed as the bench's own table, written to bench-results.json). */
  rows: Record<string, string | number>[];
  figures: Figure[];
}

export const BENCH_N = Number(process.env.BENCH_N ?? 10_000);
export const CA_BITS = Number(process.env.BENCH_CA_BITS ?? 3072);
/** How many RSA-2048 keys the cached requests share (each request still has its own subject → own fingerprint). */
export const KEY_POOL = 64;

export function machine(): Record<string, string> {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    cpu = os.cpus()[0]?.model ?? cpu;
  }
  let opensslVersion = 'not installed';
  try {
    opensslVersion = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    /* openssl missing: the baselines say so */
  }
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(os.availableParallelism());
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return { nproc, cpu, memoryMB: String(Math.round(os.totalmem() / 1048576)), node: process.version, openssl: opensslVersion, os: `${os.type()} ${os.release()}`, loadavg: load };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

export function benchFqdn(i: number): string {
  return `bench${String(i).padStart(6, '0')}.dmz.contoso.local`;
}

/**
 * N RSA-2048 requests shaped like certreq's (makeSampleRequest), made once into .bench-cache/requests-<N>/ and
 * reused by later runs. KEY_POOL keys are reused across FQDNs: generating 10,000 RSA-2048 keys takes minutes and
 * the service does not care (every request has its own subject, hence its own fingerprint).
 */
export function cachedRequests(n: number): { dir: string; files: string[] } {
  const dir = path.join(repoRoot, '.bench-cache', `requests-${n}`);
  const names = Array.from({ length: n }, (_, i) => `${benchFqdn(i)}.req`);
  if (existsSync(dir) && readdirSync(dir).filter((f) => f.endsWith('.req')).length === n) return { dir, files: names };
  // A larger set holds the same first n requests (the names and subjects depend only on the index).
  const root = path.join(repoRoot, '.bench-cache');
  const larger = existsSync(root)
    ? readdirSync(root).map((d) => Number(/^requests-(\d+)$/.exec(d)?.[1] ?? 0)).filter((m) => m > n).sort((a, b) => a - b)
    : [];
  if (larger.length > 0) return { dir: path.join(root, `requests-${larger[0]}`), files: names };
  const t0 = Date.now();
  log(`generating ${n} RSA-2048 requests (${KEY_POOL} keys, reused) into ${dir} — once`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const keys: KeyObject[] = Array.from({ length: Math.min(KEY_POOL, n) }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  for (let i = 0; i < n; i++) {
    const { pem } = makeSampleRequest(benchFqdn(i), { privateKey: keys[i % keys.length]! });
    writeFileSync(path.join(tmp, names[i]!), pem);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`generated ${n} requests in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { dir, files: names };
}

/** Environment of the CLI child: API on a free port, info logs (as shipped). */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, AGENTCERT_API_PORT: '0', AGENTCERT_LOG_LEVEL: 'info', ...extra };
}

export function runCliSync(args: string[], env: NodeJS.ProcessEnv = cliEnv(), timeoutMs = 600_000): { code: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cliPath, ...args], { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

export interface Service {
  proc: ChildProcess;
  spawnedAt: bigint;
  stdout(): string;
  stderr(): string;
  /** Resolves with the hrtime at which a stdout chunk matching re arrived. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<bigint>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `agentcert serve …` as a child process: node runs the CLI directly, so proc.pid is the service itself. */
export function startService(args: string[], env: NodeJS.ProcessEnv = cliEnv(), o: { fullLog?: boolean; execArgv?: string[] } = {}): Service {
  const spawnedAt = process.hrtime.bigint();
  const proc = spawn(process.execPath, [...(o.execArgv ?? []), cliPath, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (t: bigint) => void }[] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    const at = process.hrtime.bigint();
    out += d.toString();
    for (const w of [...waiters]) if (w.re.test(out)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(at));
  });
  // stderr carries the JSON log; keep only its tail (a 10,000 burst logs tens of MB) unless asked for all of it.
  proc.stderr!.on('data', (d: Buffer) => {
    err = o.fullLog ? err + d.toString() : (err + d.toString()).slice(-64_000);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    spawnedAt,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(re, timeoutMs = 120_000) {
      if (re.test(out)) return Promise.resolve(process.hrtime.bigint());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}:\n${out}\n${err.slice(-4000)}`)), timeoutMs);
        const onExit = (code: number | null): void => reject(new Error(`service exited (${code}) before printing ${re}:\n${out}\n${err.slice(-4000)}`));
        proc.once('exit', onExit);
        waiters.push({ re, resolve: (t) => (clearTimeout(timer), proc.off('exit', onExit), resolve(t)) });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Peak resident set (VmHWM) of a live process in MB, or NaN when /proc is not there. */
export function peakRssMB(pid: number): number {
  try {
    const m = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

export const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

export function sleep(msec: number): Promise<void> {
  return new Promise((r) => setTimeout(r, msec));
}

/** A config file for a bench environment (defaults except what is given). */
export function writeConfig(file: string, config: Record<string, unknown>): string {
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? x.toFixed(0) : x.toFixed(digits);
}

/**
 * A /proc stat file (`/proc/<pid>/stat`, `/proc/<pid>/task/<tid>/stat`): the command name and user+system CPU in
 * ms (utime and stime, clock ticks of 10 ms), or null when the process or thread is gone.
 */
export function readProcStat(file: string): { name: string; cpuMs: number } | null {
  try {
    const stat = readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpuMs: (Number(fields[11]) + Number(fields[12])) * 10 };
  } catch {
    return null;
  }
}

/** CPU time (user+system) of each thread of a live process in ms, by thread name (the process's own: `main`). */
export function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const t = readProcStat(`/proc/${pid}/task/${tid}/stat`);
    if (!t) continue; // the thread ended
    const key = tid === String(pid) ? 'main' : t.name;
    out.set(key, (out.get(key) ?? 0) + t.cpuMs);
  }
  return out;
}

/** CPU time (user+system) of a live process in ms, or NaN when it is gone. */
export function cpuMs(pid: number): number {
  return readProcStat(`/proc/${pid}/stat`)?.cpuMs ?? NaN;
}

const deferred: (() => void)[] = [];
/**
 * Removing a folder of thousands of files makes creating files slower for the next ~30 s on ext4 without a
 * journal (the inode allocator skips recently deleted inodes, reading each one's deletion time: a package's
 * durable write measured 5.3 ms CPU right after 10,000 deletions against 1.9 ms on a quiet file system). So the
 * benches remove their folders at the end of the run, not between measurements.
 */
export function cleanupLater(f: () => void): void {
  deferred.push(f);
}
export function runDeferredCleanups(): void {
  for (const f of deferred.splice(0)) f();
}
