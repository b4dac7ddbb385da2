/**
 * The CLI as a shell user meets it, as real child processes: output piped into `head` or a reader that has gone,
 * usage errors, subcommand help, and a start-up on an API port that is already taken.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../helpers/paths.js';
import { cliEnv, runCli, startService } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
let config = '';
const dirs = () => ['--config', config];

/** `agentcert ARGS | READER` in bash with pipefail: the exit status is agentcert's unless the reader fails. */
function piped(args: string[], reader: string): { code: number | null; stdout: string; stderr: string } {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${cliPath}" ${quoted} | ${reader}`], { env: cliEnv(), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  env = makeTempEnv('agentcert-hygiene-');
  config = path.join(env.dir, 'agentcert.json');
  writeFileSync(config, JSON.stringify({ share: { root: env.share, stableMs: 0 }, data: { dir: env.data }, ca: { builtin: { keyBits: 2048 } }, packaging: { buildExe: false } }));
  expect(runCli(['serve', '--once', ...dirs()]).code).toBe(0);
  for (const n of ['web01', 'web02', 'web03']) runCli(['sample-request', `${n}.contoso.local`, '--out', path.join(env.share, 'requests', `${n}.contoso.local.req`)]);
  const once = runCli(['serve', '--once', ...dirs()]);
  expect(once.code, once.stderr).toBe(0);
});
afterAll(() => env.cleanup());

describe('output into a pipe', () => {
  it('show | head -1 prints the first line and ends with exit 0, no stack trace', () => {
    const r = piped(['show', 'web01.contoso.local', ...dirs()], 'head -1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Request [0-9a-f]+ {2}web01\.contoso\.local/);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('');
  });

  it('list, show and --json into a reader that has already gone end quietly with exit 0', () => {
    for (const args of [['list'], ['show', 'web02.contoso.local'], ['list', '--json'], ['--help']]) {
      const r = piped([...args, ...dirs()], 'true');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
    }
  });
});

describe('dates and the event history', () => {
  it('show prints dates as people read them and the serial once in ISSUED; --json keeps ISO', () => {
    const human = runCli(['show', 'web03.contoso.local', ...dirs()]).stdout;
    const doc = JSON.parse(runCli(['show', 'web03.contoso.local', '--json', ...dirs()]).stdout) as { certificate: { serialNumber: string; notAfter: string }; events: { at: string; reason: string; message: string }[] };
    const { serialNumber, notAfter } = doc.certificate;
    expect(notAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(doc.events[0]!.at).toMatch(/T.*Z$/);
    const day = `${notAfter.slice(0, 10)} ${notAfter.slice(11, 16)} UTC`;
    expect(human).toMatch(new RegExp(`→ ${day} \\(in 729 days\\) {2}\\(active\\), renewal due \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(in \\d+ days\\)`));
    expect(human).not.toMatch(/\dT\d\d:\d\d/);
    const issued = doc.events.find((e) => e.reason === 'ISSUED')!.message;
    expect(issued.split(serialNumber)).toHaveLength(2); // the serial once
    expect(issued).toContain(`valid until ${day}`);
  });
});

describe('usage', () => {
  it('answers an unknown command or option with AC_USAGE, a remediation and exit 2', () => {
    for (const args of [['frobnicate'], ['list', '--bogus'], ['show']]) {
      const r = runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error AC_USAGE: /m);
      expect(r.stderr).toContain('remediation: Run `agentcert --help`');
      expect(r.stderr).not.toMatch(/^error: /m);
    }
    const bare = runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('error AC_USAGE: a command is needed');
  });

  it('shows the global --config, --share and --data options in a subcommand help', () => {
    for (const args of [['show', '--help'], ['serve', '--help'], ['ca', 'crl', '--help']]) {
      const r = runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Global Options:');
      for (const o of ['--config <file>', '--share <dir>', '--data <dir>']) expect(r.stdout).toContain(o);
    }
    expect(runCli(['serve', '--help']).stdout).toMatch(/--port <n>[\s\S]*--host <address>/);
  });
});

describe('start-up on a taken port', () => {
  it('ends with AC_PORT_IN_USE naming the port and the process holding it, before creating anything', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const fresh = makeTempEnv('agentcert-port-');
    try {
      const r = runCli(['serve', '--port', String(port), '--share', fresh.share, '--data', fresh.data]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error AC_PORT_IN_USE: the API cannot listen on 127.0.0.1:${port}: the port is in use by pid ${process.pid}`);
      expect(r.stderr).toContain('agentcert serve --port N, or AGENTCERT_API_PORT=N');
      expect(existsSync(fresh.share) || existsSync(fresh.data)).toBe(false); // no CA, no token, no share layout
    } finally {
      holder.close();
      fresh.cleanup();
    }
  });

  it('names a data folder that cannot be created with AC_PATH_UNUSABLE and the setting it comes from', () => {
    const file = path.join(env.dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const r = runCli(['serve', '--once', '--share', path.join(env.dir, 'share2'), '--data', path.join(file, 'data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error AC_PATH_UNUSABLE: ${path.join(file, 'data')} cannot be used (ENOTDIR`);
    expect(r.stderr).toContain(`the path comes from data.dir (${path.join(file, 'data')}; --data, AGENTCERT_DATA)`);
    expect(r.stderr).not.toContain('AC_INTERNAL');
  });

  it('listens where serve --host and --port say', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const svc = startService(['--host', '127.0.0.1', '--port', String(port), ...dirs()]);
    try {
      await svc.waitForOutput(new RegExp(`API: http://127\\.0\\.0\\.1:${port} `), 60_000);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      // A local share root and no packaging.shareUncPath: the banner says packages will not report or renew.
      expect(svc.stdout()).toContain('  WARNING            : packages carry no install results path and no renewal task: set packaging.shareUncPath');
    } finally {
      await svc.stop();
    }
    expect(readdirSync(path.join(env.share, 'issued')).sort()).toEqual(['web01.contoso.local', 'web02.contoso.local', 'web03.contoso.local']);
  });
});
