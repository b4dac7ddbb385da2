/**
 * From the configuration and the command line to the service definition, the registry values and the plans
 * (cli/service-command.ts prints or runs them; doctor asks the wrapper for the service's state).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import { AgentcertError, type Runner } from '../domain/index.js';
import { agentcertVersion } from '../version.js';
import { checkPath, checkServiceId, logDir, parseAccount, type ServiceDefinition } from './definition.js';
import type { ServiceRegistryValues } from './host-script.js';
import { controlPlan, wrapperFiles, type PlanIo } from './plan.js';

export interface ServiceCliOptions {
  name: string;
  account?: string;
  password: string | null;
  nodePath: string;
  configPath: string;
}

/** dist/cli/agentcert.js of this installation. */
export function cliScriptPath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/agentcert.js');
}

/** WinSW as node-windows ships it (bin\winsw\winsw.exe); absent where npm skipped it (not Windows). */
export function bundledWinsw(): string {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('node-windows/package.json')), 'bin', 'winsw', 'winsw.exe');
  } catch {
    return path.resolve(path.dirname(cliScriptPath()), '../../node_modules/node-windows/bin/winsw/winsw.exe');
  }
}

export function serviceDefinition(config: Readonly<Config>, o: ServiceCliOptions): ServiceDefinition {
  if (!o.account) throw new AgentcertError('AC_USAGE', 'service install needs --account: a gMSA (DOMAIN\\name$) or a named account (DOMAIN\\name, password in AGENTCERT_SERVICE_PASSWORD)', ['LocalSystem only when named: --account LocalSystem (it has no rights on a remote CA)']);
  return {
    id: checkServiceId(o.name),
    displayName: o.name === 'agentcert' ? 'agentcert' : `agentcert (${o.name})`,
    description: 'Certificates for SCOM agents: share intake, CA, install packages, renewal (agentcert serve).',
    nodePath: checkPath('node.exe', o.nodePath),
    cliPath: cliScriptPath(),
    configPath: checkPath('the config file', o.configPath),
    dataDir: config.data.dir,
    account: parseAccount(o.account, o.password),
    env: { NODE_ENV: 'production', AGENTCERT_CONFIG: o.configPath },
  };
}

export function registryValues(config: Readonly<Config>, d: ServiceDefinition): ServiceRegistryValues {
  return {
    Version: agentcertVersion(),
    ServiceName: d.id,
    CaBackend: config.ca.backend,
    SharePath: config.packaging.shareUncPath ?? config.share.root,
    ConfigPath: d.configPath,
    NodePath: d.nodePath,
    CliPath: d.cliPath,
    DataDir: d.dataDir,
    LogDir: logDir(d.dataDir),
    ApiUrl: config.api.enabled ? `http://${config.api.host}:${config.api.port}` : '',
  };
}

/** The plan's file steps on the real file system. */
export function fileIo(runner: Runner, say: (line: string) => void): PlanIo {
  return {
    runner,
    say,
    copyFile(from, to) {
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(from, to);
    },
    writeFile(file, content) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content, { mode: 0o600 });
    },
    removeFile(file) {
      rmSync(file, { force: true });
    },
  };
}

export type ServiceState = 'running' | 'stopped' | 'not-installed' | 'unknown';

/** The wrapper's `status` (WinSW prints Started, Stopped or NonExistent). */
export async function serviceState(dataDir: string, id: string, runner: Runner): Promise<{ state: ServiceState; detail: string }> {
  const exe = wrapperFiles(dataDir, id).exe;
  if (!existsSync(exe)) return { state: 'not-installed', detail: `${exe} does not exist` };
  const step = controlPlan({ id, dataDir }, 'status')[0]!;
  if (step.kind !== 'run') return { state: 'unknown', detail: '' };
  const r = await runner.run(step.file, step.args, { timeoutMs: 30_000 });
  const text = `${r.stdout}${r.stderr}`.trim();
  if (r.spawnError) return { state: 'unknown', detail: r.spawnError };
  if (/\bStarted\b/.test(text)) return { state: 'running', detail: text };
  if (/\bStopped\b/.test(text)) return { state: 'stopped', detail: text };
  if (/NonExistent/.test(text)) return { state: 'not-installed', detail: text };
  return { state: 'unknown', detail: text || `exit code ${r.exitCode}` };
}
