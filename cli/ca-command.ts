/** `agentcert ca init|show`: a CA that agentcert keeps itself (the built-in CA). */
import type { Command } from 'commander';
import type { Config } from '../services/config/index.js';
import { caChainView, initializeLocalCa, localChain } from '../services/app/index.js';
import { AgentcertError, humanDate, humanDateAndRelative, systemClock } from '../services/domain/index.js';

function chainView(config: Readonly<Config>) {
  const chain = localChain(config);
  if (!chain) throw new AgentcertError('AC_CA_NOT_INITIALIZED', `no CA certificates in ${config.data.dir} for ca.backend "${config.ca.backend}"`);
  return caChainView(chain).map(({ pem: _pem, ...c }) => c);
}

export function caCommand(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const ca = program.command('ca').description('the built-in CA');
  ca.command('init')
    .description('create the built-in CA (done automatically on first start); never overwrites an existing one')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const made = initializeLocalCa(config, systemClock);
      if (!made) throw new AgentcertError('AC_USAGE', `ca init is for a CA agentcert keeps itself; ca.backend is "${config.ca.backend}", whose CA lives elsewhere`);
      const view = chainView(config);
      if (opts.json) return out(JSON.stringify({ created: made.created, chain: view }, null, 2));
      out(made.created ? 'Created the built-in CA:' : 'The built-in CA exists already (nothing changed):');
      for (const c of view) out(`  ${c.role.padEnd(7)} ${c.subject}  ${c.key}  thumbprint ${c.thumbprint}  valid until ${humanDateAndRelative(c.notAfter)}`);
    });
  ca.command('show')
    .description('show the built-in CA certificates')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const view = chainView(configFrom(cmd));
      if (opts.json) return out(JSON.stringify({ chain: view }, null, 2));
      for (const c of view) out(`${c.role.padEnd(7)} ${c.subject}  ${c.key}  serial ${c.serialNumber}  thumbprint ${c.thumbprint}  ${humanDate(c.notBefore)} → ${humanDateAndRelative(c.notAfter)}`);
    });
}
