/**
 * Torture: the share's disk fills up while packages are published. The share is a small tmpfs
 * (mount -t tmpfs; we run as root here and in CI). The service starts on a full disk with requests waiting,
 * then gets a little space (some packages fit, others fail half-way through staging), then all of it back.
 * Meanwhile issued/ is polled: a package folder that is visible must hold every file its manifest lists, with
 * its SHA-256. When space returns, every request is published (AC_PUBLISH_FAILED is retried with backoff), and
 * a rejection that could not be written is written.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startService } from '../helpers/service.js';
import { checkOutcome, setupService } from './torture-kill.js';
import {
  apiAddress, dropFile, HalfPackageWatch, healthz, makeRequests, readStore, sleep, summary, waitUntil, type ScenarioOptions, type ScenarioSummary,
} from './torture-common.js';

const CHUNK = 64 * 1024;

/** Fill the file system with 64 KB files until ENOSPC; returns their paths (delete some to free space). */
function fillDisk(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  const files: string[] = [];
  for (let i = 0; ; i++) {
    const f = path.join(dir, `fill-${String(i).padStart(5, '0')}`);
    try {
      writeFileSync(f, chunk);
      files.push(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      rmSync(f, { force: true });
      // The last few bytes: smaller files until not even 4 KB fits.
      for (let j = 0; ; j++) {
        const g = path.join(dir, `tail-${j}`);
        try {
          writeFileSync(g, Buffer.alloc(4096));
          files.push(g);
        } catch {
          rmSync(g, { force: true });
          return files;
        }
      }
    }
  }
}

function tryMount(dir: string, size: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `mount -t tmpfs refused: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      /* not mounted */
    }
  }
}

export async function runDiskFullScenario(o: ScenarioOptions & { requests?: number }): Promise<ScenarioSummary> {
  const t0 = Date.now();
  const say = o.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  const n = o.requests ?? (o.scale === 'full' ? 40 : 12);
  const name = 'disk-full';
  const s = setupService('builtin', 'agentcert-torture-diskfull-', { pipeline: { concurrency: 4, retryBaseMs: 200, retryMaxMs: 1000, tickMs: 200 } });
  const refused = tryMount(s.env.share, o.scale === 'full' ? '16m' : '6m');
  if (refused) {
    s.env.cleanup();
    say(`${name}: skipped, ${refused}`);
    return summary(name, t0, { tried: 0, passed: 0, lost: 0, duplicated: 0, notes: [`not run: ${refused} (needs root with CAP_SYS_ADMIN)`], failures: [] });
  }
  const failures: string[] = [];
  const notes: string[] = [];
  const requestsDir = path.join(s.env.share, 'requests');
  const watch = new HalfPackageWatch(path.join(s.env.share, 'issued'), 50);
  let svc = startService(s.args, s.procEnv);
  try {
    say(`${name}: share on a tmpfs, ${n} requests published while the disk is full`);
    await svc.waitForOutput(/agentcert is running/);
    watch.start();
    // Baseline: publishing works on this share.
    const warm = makeRequests(n + 1, 'd');
    const junkName = 'junk.dmz.contoso.local.req';
    dropFile(requestsDir, `${warm[n]!.fqdn}.req`, warm[n]!.pem);
    if (!(await waitUntil(() => readStore(s.env.data)?.rows.some((r) => r.state === 'packaged'), 30_000))) failures.push('the baseline request was not packaged');
    await svc.stop('SIGTERM');

    // Requests waiting, then the disk full, then the service.
    for (const r of warm.slice(0, n)) dropFile(requestsDir, `${r.fqdn}.req`, r.pem);
    dropFile(requestsDir, junkName, Buffer.from('this is not a certificate request\r\n'));
    const filler = fillDisk(path.join(s.env.share, 'filler'));
    notes.push(`filled the share: ${Math.round(filler.reduce((a, f) => a + statSync(f).size, 0) / 1024)} KB in ${filler.length} files, until ENOSPC`);
    svc = startService(s.args, s.procEnv);
    await svc.waitForOutput(/agentcert is running/);
    const base = apiAddress(svc.stdout());
    const failed = await waitUntil(() => (readStore(s.env.data)?.reasons.get('AC_PUBLISH_FAILED') ?? 0) >= n, 60_000);
    if (!failed) failures.push('publishing never failed on the full disk');
    const duringFull = readStore(s.env.data)!;
    notes.push(`disk full: ${duringFull.reasons.get('AC_PUBLISH_FAILED') ?? 0} publish failures, ${duringFull.rows.filter((r) => r.state === 'packaged').length - 1}/${n} packaged`);
    const up1 = base ? await healthz(base) : 0;
    if (up1 === 0) failures.push('/healthz did not answer while the disk was full');

    // A little space: some packages fit, others run out half-way through staging.
    for (const f of filler.splice(0, 4)) rmSync(f);
    await sleep(4000);
    const partial = readStore(s.env.data)!;
    notes.push(`256 KB freed: ${partial.rows.filter((r) => r.state === 'packaged').length - 1}/${n} packaged, ${partial.reasons.get('AC_PUBLISH_FAILED') ?? 0} publish failures so far`);

    // All space back: everything is published.
    rmSync(path.join(s.env.share, 'filler'), { recursive: true, force: true });
    const done = await waitUntil(() => {
      const v = readStore(s.env.data);
      return v && v.rows.filter((r) => r.state === 'packaged').length === n + 1 && existsSync(path.join(s.env.share, 'rejected', 'junk.dmz.contoso.local.txt'));
    }, 60_000);
    if (!done) failures.push(`not everything was published after space returned (${readStore(s.env.data)?.rows.map((r) => `${r.fqdn}:${r.state}`).filter((x) => !x.endsWith(':packaged')).join(', ')})`);
    await sleep(500);
    watch.stop();
    const up2 = base ? await healthz(base) : 0;
    if (up2 === 0) failures.push('/healthz did not answer after the disk-full phase');
    const exit = await svc.stop('SIGTERM');
    if (exit !== 0) failures.push(`the service did not stop cleanly (exit ${exit})`);

    const junk = readStore(s.env.data)!.rows.find((r) => r.fqdn === 'junk.dmz.contoso.local');
    if (junk?.state !== 'rejected') failures.push(`the junk request ended ${junk?.state ?? 'missing'}, not rejected`);
    try {
      JSON.parse(readFileSync(path.join(s.env.share, 'rejected', 'junk.dmz.contoso.local.json'), 'utf8'));
    } catch {
      failures.push('rejected/junk.dmz.contoso.local.json is missing or incomplete');
    }
    const staging = readdirSync(path.join(s.env.share, 'issued')).filter((f) => f.startsWith('.'));
    if (staging.length) failures.push(`staging folders left in issued/: ${staging.join(', ')}`);
    for (const h of watch.halfSeen.slice(0, 10)) failures.push(`half package visible: ${h}`);
    const out = checkOutcome(s, warm.slice(0, n).concat([warm[n]!]));
    // checkOutcome expects every row to be one of ours: the junk request is the one extra.
    const ours = out.failures.filter((f) => !/the store holds \d+ requests for/.test(f) && !/archive\/ holds/.test(f));
    notes.push(`issued/ polled ${watch.polls} times, ${watch.seen} package folders checked, ${watch.halfSeen.length} half packages seen`);
    return summary(name, t0, { tried: n + 1, passed: out.passed, lost: out.lost, duplicated: out.duplicated, notes, failures: [...failures, ...ours] });
  } finally {
    watch.stop();
    await svc.stop('SIGKILL');
    unmount(s.env.share);
    if (!process.env.TORTURE_KEEP) s.env.cleanup();
  }
}
