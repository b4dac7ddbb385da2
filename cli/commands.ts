/**
 * The subcommands. Each resolves the configuration, calls one application function and prints the result.
 */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../services/app/index.js';
import { AgentcertError, type Store } from '../services/domain/index.js';
import { openAppStore } from '../services/app/index.js';
import { createLogger } from '../services/app/index.js';
import { serve } from '../services/main.js';
import { caCommand } from './ca-command.js';
import { adminCommands } from './admin-commands.js';
import { balanceCommand } from './balance-command.js';
import { lifecycleCommands } from './lifecycle-commands.js';
import { storeCommand } from './store-command.js';
import { serviceCommand } from './service-command.js';
import { recordCommands } from './records-commands.js';
import { fileCommands } from './file-commands.js';


export function configFrom(cmd: Command, more: { port?: string; host?: string } = {}): Readonly<Config> {
  const g = cmd.optsWithGlobals() as { config?: string; share?: string; data?: string };
  const flags = { ...(g.share ? { share: g.share } : {}), ...(g.data ? { data: g.data } : {}), ...(more.port !== undefined ? { port: more.port } : {}), ...(more.host ? { host: more.host } : {}) };
  return loadConfig({ file: g.config ?? null, env: process.env, flags });
}

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

export function openStore(config: Readonly<Config>): Store {
  return openAppStore(config);
}

export function registerCommands(program: Command): void {
  program
    .command('serve')
    .description('run the service: watcher, pipeline, API')
    .option('--once', 'process everything waiting in the share and the store, then exit')
    .option('--dry-run', 'with --once: print what would be issued, held and rejected; issue, write and move nothing')
    .option('--port <n>', 'API port (overrides api.port; also AGENTCERT_API_PORT)')
    .option('--host <address>', 'API address to listen on (overrides api.host; also AGENTCERT_API_HOST)')
    .action(async (opts: { once?: boolean; dryRun?: boolean; port?: string; host?: string }, cmd: Command) => {
      if (opts.dryRun && !opts.once) throw new AgentcertError('AC_USAGE', '--dry-run goes with --once (serve --once --dry-run)');
      const config = configFrom(cmd, opts);
      const log = createLogger(config.log.level);
      const code = await serve(config, { once: opts.once === true, dryRun: opts.dryRun === true, log, say: out });
      process.exitCode = code;
    });

  caCommand(program, configFrom, out);
  adminCommands(program, configFrom, out);
  lifecycleCommands(program, configFrom, out);
  storeCommand(program, configFrom, out);
  balanceCommand(program, configFrom, out);
  serviceCommand(program, configFrom, out);

  recordCommands(program, configFrom, out);
  fileCommands(program, configFrom, out);
}
