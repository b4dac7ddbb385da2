/**
 * `agentcert service install|uninstall|start|stop|status`: agentcert as a Windows service through WinSW
 * (services/windows-service). The commands run only on Windows; `--dry-run` prints the service definition and
 * every command on any system.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../services/app/index.js';
import { AgentcertError } from '../services/domain/index.js';
import { createExecaRunner } from '../services/app/index.js';
import {
  bundledWinsw, controlPlan, describePlan, executePlan, fileIo, installPlan, registryValues, serviceDefinition, uninstallPlan, type PlanStep,
} from '../services/windows-service/index.js';

interface ServiceOpts {
  name: string;
  account?: string;
  node?: string;
  winsw?: string;
  dryRun?: boolean;
}

export function serviceCommand(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const service = program.command('service').description('agentcert as a Windows service (WinSW): install, uninstall, start, stop, status');
  const common = (c: Command): Command =>
    c.option('--name <id>', 'the service name', 'agentcert').option('--dry-run', 'print the service definition and the commands; change nothing (any system)');

  common(service.command('install'))
    .description('register the service (config path fixed: the global --config), its Event Log source and HKLM\\SOFTWARE\\agentcert\\Service')
    .option('--account <account>', 'DOMAIN\\name$ (gMSA), DOMAIN\\name or .\\name (password in AGENTCERT_SERVICE_PASSWORD), or LocalSystem')
    .option('--node <path>', 'node.exe the service runs (default: the one running this command)')
    .option('--winsw <file>', 'WinSW executable (default: the one node-windows ships)')
    .action(async (opts: ServiceOpts, cmd: Command) => {
      const config = configFrom(cmd);
      const configPath = configFileOf(cmd);
      const password = process.env['AGENTCERT_SERVICE_PASSWORD'] ?? null;
      const d = serviceDefinition(config, { name: opts.name, ...(opts.account ? { account: opts.account } : {}), password: opts.dryRun && password ? '********' : password, nodePath: opts.node ?? process.execPath, configPath });
      if (d.account.kind === 'user' && d.account.password === null && !opts.dryRun) {
        throw new AgentcertError('AC_USAGE', `--account ${opts.account} is a named account: set AGENTCERT_SERVICE_PASSWORD to its password for the install`, ['a gMSA (DOMAIN\\name$) needs no password']);
      }
      const winsw = opts.winsw ?? bundledWinsw();
      const paths = { winswSource: winsw, powershellPath: config.eventLog.powershellPath, scPath: 'sc.exe' };
      await perform(installPlan(d, paths, registryValues(config, d)), opts, out);
    });

  common(service.command('uninstall'))
    .description('stop and remove the service, its Event Log source and HKLM\\SOFTWARE\\agentcert\\Service (logs and data stay)')
    .action(async (opts: ServiceOpts, cmd: Command) => {
      const config = configFrom(cmd);
      await perform(uninstallPlan({ id: opts.name, dataDir: config.data.dir }, { powershellPath: config.eventLog.powershellPath }), opts, out);
    });

  for (const verb of ['start', 'stop', 'status'] as const) {
    common(service.command(verb))
      .description(verb === 'status' ? 'print the service state (Started, Stopped or NonExistent)' : `${verb} the service`)
      .action(async (opts: ServiceOpts, cmd: Command) => {
        const config = configFrom(cmd);
        await perform(controlPlan({ id: opts.name, dataDir: config.data.dir }, verb), opts, out);
      });
  }
}

/** The service always starts with one config file: the absolute path of the global --config (or AGENTCERT_CONFIG). */
function configFileOf(cmd: Command): string {
  const g = cmd.optsWithGlobals() as { config?: string };
  const file = g.config ?? process.env['AGENTCERT_CONFIG'];
  if (!file) throw new AgentcertError('AC_USAGE', 'service install needs --config <file>: the service always starts with that config file', ['for example: agentcert --config C:\\ProgramData\\agentcert\\agentcert.yaml service install --account CONTOSO\\agentcert$']);
  return path.isAbsolute(file) || path.win32.isAbsolute(file) ? file : path.resolve(file);
}

async function perform(steps: PlanStep[], opts: ServiceOpts, out: (s: string) => void): Promise<void> {
  if (opts.dryRun) {
    out(`Would run (${process.platform === 'win32' ? 'nothing changed' : 'on Windows; nothing changed here'}):`);
    out(describePlan(steps));
    return;
  }
  if (process.platform !== 'win32') {
    throw new AgentcertError('AC_WINDOWS_ONLY', `agentcert service runs only on Windows (this is ${process.platform})`, ['add --dry-run to print the service definition and the commands']);
  }
  await executePlan(steps, fileIo(createExecaRunner(), out));
}
