/**
 * The Windows-CA path: `agentcert serve` with `ca.backend: adcs` against the fake stand-alone CA
 * (test/fakes: certreq/certutil as executables, default scenario = the CA keeps a new request pending, so each
 * request runs certreq -submit, certutil -setextension, certutil -resubmit, certreq -retrieve).
 *
 * Sequential: one request at a time (drop, wait for issued/<FQDN>/, next), so every tool run in a request's
 * window is that request's. Per request: total = drop → package; the fake's own time = the sum of its
 * certreq/certutil runs, spawn to exit, as the service's runner measured them (the `ca_tool_run` debug events
 * with durationMs); orchestration overhead = total − fake time (intake incl. share.stableMs, checks, journal,
 * store, verify gate, packaging). A burst of the same size follows (throughput with pipeline.concurrency).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeScenario } from '../fakes/fake-ca-state.js';
import { ADCS_CONFIG, adcsConfig } from '../helpers/adcs-config.js';
import { repoRoot } from '../helpers/paths.js';
import { makeTempEnv } from '../helpers/temp.js';
import { type BenchOutput, cachedRequests, cliEnv, fmt, log, ms, percentile, round, sleep, startService } from './common.js';

const WARM = 3;

interface ToolRun {
  time: number;
  durationMs: number;
  label: string;
}

function toolRuns(stderr: string): ToolRun[] {
  const runs: ToolRun[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.includes('"ca_tool_run"')) continue;
    try {
      const e = JSON.parse(line) as { time: number; durationMs: number; msg: string };
      runs.push({ time: e.time, durationMs: e.durationMs, label: e.msg });
    } catch {
      /* a partial line */
    }
  }
  return runs;
}

/** Resolves when issued/<name> appears (inotify on issued/, plus a check right after arming). */
function appeared(issued: string, name: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => (clearTimeout(timer), w.close(), resolve());
    const w = watch(issued, (_e, f) => {
      if (f === name && existsSync(path.join(issued, name))) done();
    });
    const timer = setTimeout(() => (w.close(), reject(new Error(`no package for ${name} after ${timeoutMs} ms`))), timeoutMs);
    if (existsSync(path.join(issued, name))) done();
  });
}

export async function runAdcsBench(): Promise<BenchOutput> {
  const n = Number(process.env.BENCH_ADCS_N ?? 100);
  const cache = cachedRequests(WARM + 2 * n);
  const env = makeTempEnv('agentcert-bench-adcs-');
  const fakeDir = path.join(env.dir, 'fake-ca');
  const fakeEnv = { AGENTCERT_FAKE_CA_DIR: fakeDir };
  try {
    writeScenario(fakeDir, {});
    // The tool timeout as shipped (ca.adcs.timeoutMs, 60 s), not the tests' 2.5 s: a burst of 100 starts 16 fake
    // tool processes at once, which on two slow shared cores can take longer than 2.5 s each, and every timed-out
    // submit is then asked after with certutil -view under the same load.
    const config = adcsConfig(env);
    const settings = JSON.parse(readFileSync(config, 'utf8')) as { ca: { adcs: Record<string, unknown> } };
    settings.ca.adcs.timeoutMs = 60_000;
    writeFileSync(config, JSON.stringify(settings));
    const staging = path.join(env.dir, 'staging');
    mkdirSync(staging);
    for (const f of cache.files) copyFileSync(path.join(cache.dir, f), path.join(staging, f));

    // The fake alone, run directly: what one certutil invocation costs on this machine (bash + node start-up).
    const certutil = path.join(repoRoot, 'test/fakes/bin/certutil');
    const direct: number[] = [];
    for (let i = 0; i < 23; i++) {
      const t0 = process.hrtime.bigint();
      execFileSync(certutil, ['-config', ADCS_CONFIG, '-ping'], { env: { ...process.env, ...fakeEnv }, stdio: 'ignore' });
      if (i >= 3) direct.push(ms(t0, process.hrtime.bigint()));
    }
    direct.sort((a, b) => a - b);

    const svc = startService(['--config', config], cliEnv({ ...fakeEnv, AGENTCERT_LOG_LEVEL: 'debug' }), { fullLog: true });
    await svc.waitForOutput(/agentcert is running/, 60_000);
    const issued = path.join(env.share, 'issued');
    const requests = path.join(env.share, 'requests');
    const windows: { from: number; to: number; totalMs: number }[] = [];
    log(`adcs: ${WARM} warm-up + ${n} sequential requests through the fake CA`);
    try {
      for (let i = 0; i < WARM + n; i++) {
        const file = cache.files[i]!;
        const name = file.slice(0, -'.req'.length);
        const wait = appeared(issued, name, 60_000);
        const from = Date.now();
        const t0 = process.hrtime.bigint();
        renameSync(path.join(staging, file), path.join(requests, file));
        await wait;
        const totalMs = ms(t0, process.hrtime.bigint());
        if (i >= WARM) windows.push({ from, to: Date.now(), totalMs });
      }
      log(`adcs: burst of ${n} requests through the fake CA`);
      const burstFiles = cache.files.slice(WARM + n, WARM + 2 * n);
      const all = Promise.all(burstFiles.map((f) => appeared(issued, f.slice(0, -'.req'.length), 600_000)));
      const b0 = process.hrtime.bigint();
      for (const f of burstFiles) renameSync(path.join(staging, f), path.join(requests, f));
      await all;
      const burstSeconds = ms(b0, process.hrtime.bigint()) / 1000;
      const burstFrom = Date.now() - burstSeconds * 1000;
      await sleep(300); // pino writes asynchronously: let the last lines arrive
      const runs = toolRuns(svc.stderr());
      if (runs.length === 0) throw new Error('no ca_tool_run debug events in the service log; cannot separate the fake time');
      const perRequest = windows.map((w) => {
        const mine = runs.filter((r) => r.time >= w.from && r.time <= w.to + 5);
        const fake = mine.reduce((a, r) => a + r.durationMs, 0);
        return { total: w.totalMs, fake, overhead: w.totalMs - fake, runs: mine.length };
      });
      const burstRuns = runs.filter((r) => r.time >= burstFrom - 5);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
      const total = perRequest.map((p) => p.total);
      const fake = perRequest.map((p) => p.fake);
      const overhead = perRequest.map((p) => p.overhead);
      const labels = [...new Set(runs.filter((r) => r.time >= windows[0]!.from && r.time <= windows.at(-1)!.to).map((r) => r.label))].join(', ');
      const stableMs = 50; // adcsConfig's share.stableMs: the watcher's wait for a file to stop changing
      const rows = [
        { measure: 'requests (sequential)', mean: n, p50: '', p95: '', unit: '', note: `after ${WARM} warm-up requests` },
        { measure: 'tool runs per request', mean: round(mean(perRequest.map((p) => p.runs)), 1), p50: '', p95: '', unit: '', note: labels },
        { measure: 'total per request', mean: round(mean(total), 1), p50: round(percentile(sorted(total), 50), 1), p95: round(percentile(sorted(total), 95), 1), unit: 'ms', note: 'drop → issued/<FQDN>/' },
        { measure: "fake's own time per request", mean: round(mean(fake), 1), p50: round(percentile(sorted(fake), 50), 1), p95: round(percentile(sorted(fake), 95), 1), unit: 'ms', note: 'sum of certreq/certutil runs, spawn → exit' },
        { measure: 'orchestration overhead', mean: round(mean(overhead), 1), p50: round(percentile(sorted(overhead), 50), 1), p95: round(percentile(sorted(overhead), 95), 1), unit: 'ms', note: `total − fake; includes share.stableMs = ${stableMs}` },
        { measure: 'fake certutil -ping, run directly', mean: round(mean(direct), 1), p50: round(percentile(direct, 50), 1), p95: round(percentile(direct, 95), 1), unit: 'ms', note: 'one invocation of the fake alone (bash + node start-up)' },
        { measure: `burst of ${n}`, mean: round(n / burstSeconds, 1), p50: '', p95: '', unit: 'req/s', note: `${round(burstSeconds, 1)} s; fake time ${round(burstRuns.reduce((a, r) => a + r.durationMs, 0) / n, 1)} ms/request summed over parallel runs` },
      ];
      const figures = [
        {
          bench: 'adcs', figure: `AD CS path: orchestration overhead per request (fake CA, ${n} sequential)`, value: round(mean(overhead), 1), unit: 'ms',
          baseline: `fake's own time: ${fmt(mean(fake))} ms/request (${fmt(mean(perRequest.map((p) => p.runs)))} tool runs)`,
          ratio: `${fmt((100 * mean(overhead)) / mean(total))} % of ${fmt(mean(total))} ms total`,
        },
      ];
      return { rows, figures };
    } finally {
      await svc.stop('SIGTERM');
    }
  } finally {
    env.cleanup();
  }
}
