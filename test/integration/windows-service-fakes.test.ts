/**
 * The service plans run through the real process adapter against fakes on PATH: WinSW (test/fakes/winsw.ts,
 * copied where the wrapper goes, as the real one is), sc.exe and powershell.exe (test/fakes/bin). What Windows
 * would receive is what the fakes record. The CLI on Linux refuses to change anything but prints with --dry-run;
 * doctor says the Windows service check does not apply.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createExecaRunner } from '../../services/process/index.js';
import {
  controlPlan, executePlan, fileIo, installPlan, parseAccount, serviceState, uninstallPlan, wrapperFiles, type ServiceDefinition, type ServiceRegistryValues,
} from '../../services/windows-service/index.js';
import { repoRoot } from '../helpers/paths.js';
import { cliEnv, runCli } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

const fakeBin = path.join(repoRoot, 'test/fakes/bin');
const fakeWinswJs = path.join(repoRoot, 'dist/test/fakes/winsw.js');
let fakeWinsw: string;
const savedPath = process.env['PATH'];
let env: TempEnv;
let logs: { winsw: string; sc: string; ps: string };

beforeEach(() => {
  env = makeTempEnv('agentcert-service-');
  logs = { winsw: path.join(env.dir, 'winsw.jsonl'), sc: path.join(env.dir, 'sc.jsonl'), ps: path.join(env.dir, 'ps.jsonl') };
  // Shipped as node-windows ships WinSW: winsw.exe with its winsw.exe.config beside it.
  fakeWinsw = path.join(env.dir, 'winsw.exe');
  writeFileSync(fakeWinsw, `#!/usr/bin/env bash\nexec "${process.execPath}" "${fakeWinswJs}" "$0" "$@"\n`);
  chmodSync(fakeWinsw, 0o755);
  writeFileSync(`${fakeWinsw}.config`, '<configuration><startup><supportedRuntime version="v4.0" /></startup></configuration>\n');
  process.env['PATH'] = `${fakeBin}${path.delimiter}${savedPath}`;
  Object.assign(process.env, { AGENTCERT_FAKE_WINSW_LOG: logs.winsw, AGENTCERT_FAKE_SC_LOG: logs.sc, AGENTCERT_FAKE_POWERSHELL_LOG: logs.ps });
});
afterEach(() => {
  process.env['PATH'] = savedPath;
  for (const k of ['AGENTCERT_FAKE_WINSW_LOG', 'AGENTCERT_FAKE_SC_LOG', 'AGENTCERT_FAKE_POWERSHELL_LOG', 'AGENTCERT_FAKE_POWERSHELL_EXIT']) delete process.env[k];
  env.cleanup();
});

const lines = <T>(file: string): T[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T) : []);

function definition(): ServiceDefinition {
  // data.dir is a real folder here; the wrapper's paths are built with Windows separators, which on Linux are
  // part of one file name — the fake finds its XML beside it all the same.
  return {
    id: 'agentcert', displayName: 'agentcert', description: 'agentcert', nodePath: 'C:\\Program Files\\nodejs\\node.exe', cliPath: 'C:\\agentcert\\dist\\cli\\agentcert.js',
    configPath: 'C:\\ProgramData\\agentcert\\agentcert.yaml', dataDir: env.data, account: parseAccount('CONTOSO\\svc-agentcert', 's3cr&t'), env: { NODE_ENV: 'production' },
  };
}
const registry = { Version: '0.1.0', ServiceName: 'agentcert', CaBackend: 'adcs', SharePath: '\\\\fs01\\agentcert', ConfigPath: 'C:\\a.yaml', NodePath: 'C:\\node.exe', CliPath: 'C:\\cli.js', DataDir: 'C:\\d', LogDir: 'C:\\d\\logs', ApiUrl: '' } satisfies ServiceRegistryValues;
const paths = () => ({ winswSource: fakeWinsw, powershellPath: 'powershell.exe', scPath: 'sc.exe' });

describe('service plans against a fake WinSW, sc.exe and powershell.exe', () => {
  it('installs, starts, reports, stops and uninstalls with exactly these command lines', async () => {
    const said: string[] = [];
    const io = fileIo(createExecaRunner(), (l) => said.push(l));
    const d = definition();
    await executePlan(installPlan(d, paths(), registry), io);
    const winsw = lines<{ argv: string[]; xml: string }>(logs.winsw);
    expect(winsw.map((c) => c.argv)).toEqual([['install']]);
    // At install WinSW saw the password; the file left behind no longer has it.
    const parser = new XMLParser({ parseTagValue: false });
    expect(parser.parse(winsw[0]!.xml).service.serviceaccount).toEqual({ domain: 'CONTOSO', user: 'svc-agentcert', password: 's3cr&t', allowservicelogon: 'true' });
    expect(readFileSync(wrapperFiles(env.data, 'agentcert').xml, 'utf8')).not.toContain('s3cr');
    expect(lines<string[]>(logs.sc)).toEqual([['config', 'agentcert', 'start=', 'delayed-auto']]);
    const ps = lines<{ kind: string; argv?: string[]; script?: string }>(logs.ps);
    expect(ps.find((r) => r.kind === 'start')!.argv!.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    expect(ps.find((r) => r.kind === 'encoded')!.script).toContain("'SharePath' = '\\\\fs01\\agentcert'");

    const runner = createExecaRunner();
    expect((await serviceState(env.data, 'agentcert', runner)).state).toBe('stopped');
    await executePlan(controlPlan(d, 'start'), io);
    expect((await serviceState(env.data, 'agentcert', runner)).state).toBe('running');
    await executePlan(uninstallPlan(d, paths()), io); // stops first, then removes
    expect((await serviceState(env.data, 'agentcert', runner)).state).toBe('not-installed');
    expect(lines<{ argv: string[] }>(logs.winsw).map((c) => c.argv[0])).toEqual(['install', 'status', 'start', 'status', 'stop', 'uninstall']);
    expect(lines<{ kind: string; script?: string }>(logs.ps).filter((r) => r.kind === 'encoded').at(-1)!.script).toContain('Remove-EventLog -Source $Source');
    expect(said.some((l) => l.startsWith('ok: register the service "agentcert"'))).toBe(true);
  });

  it('stops at the first failing command with AC_SERVICE_FAILED and its output', async () => {
    const io = fileIo(createExecaRunner(), () => undefined);
    await executePlan(installPlan(definition(), paths(), registry), io);
    await expect(executePlan(installPlan(definition(), paths(), registry), io)).rejects.toMatchObject({ code: 'AC_SERVICE_FAILED', details: [expect.stringContaining("Service with id 'agentcert' already exists")] });
    expect(lines<string[]>(logs.sc)).toHaveLength(1); // the second install stopped before sc.exe
    process.env['AGENTCERT_FAKE_POWERSHELL_EXIT'] = '1';
    await executePlan(controlPlan(definition(), 'start'), io);
    await expect(executePlan(uninstallPlan(definition(), paths()), io)).rejects.toMatchObject({ code: 'AC_SERVICE_FAILED', message: expect.stringContaining('remove the Event Log source') });
  });
});

describe('the CLI on Linux', () => {
  const cfg = () => ['--data', env.data, '--share', env.share, '--config', path.join(repoRoot, 'test/fixtures/service/agentcert.yaml')];
  it('refuses to install without Windows and prints the plan with --dry-run', () => {
    const r = runCli([...cfg(), 'service', 'install', '--account', 'CONTOSO\\agentcert$'], cliEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error AC_WINDOWS_ONLY: agentcert service runs only on Windows');
    const dry = runCli([...cfg(), 'service', 'install', '--account', 'CONTOSO\\agentcert$', '--dry-run'], cliEnv());
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('<user>agentcert$</user>');
    expect(dry.stdout).toContain('sc.exe config agentcert start= delayed-auto');
    expect(dry.stdout).toContain("New-EventLog -LogName 'Application' -Source $Source");
    expect(runCli([...cfg(), 'service', 'install', '--dry-run'], cliEnv()).stderr).toContain('service install needs --account');
    expect(runCli([...cfg(), 'service', 'status'], cliEnv()).code).toBe(2);
  });

  it('doctor says the Windows service check does not apply here', () => {
    const r = runCli(['--data', env.data, '--share', env.share, 'doctor'], cliEnv());
    expect(r.stdout).toMatch(/^OK\s+windows service\s+not applicable on linux/m);
  });
});

describe('doctor on Windows (the check as it runs there, against the fake wrapper)', () => {
  it('reports running, stopped and not installed from the wrapper\'s status', async () => {
    const { windowsServiceCheck } = await import('../../services/app/health/doctor.js');
    const { loadConfig } = await import('../../services/config/index.js');
    const config = loadConfig({ flags: { data: env.data, share: env.share } });
    const runner = createExecaRunner();
    expect(await windowsServiceCheck(config, runner, { platform: 'win32' })).toMatchObject({ status: 'warn', message: expect.stringContaining('not installed as a service') });
    const io = fileIo(runner, () => undefined);
    await executePlan(installPlan(definition(), paths(), registry), io);
    expect(await windowsServiceCheck(config, runner, { platform: 'win32' })).toMatchObject({ status: 'warn', message: expect.stringContaining('installed but stopped') });
    await executePlan(controlPlan(definition(), 'start'), io);
    expect(await windowsServiceCheck(config, runner, { platform: 'win32' })).toMatchObject({ status: 'ok', message: 'agentcert is running (WinSW: Started)' });
  });
});
