/** `agentcert ca init|show`: the built-in CA. */
import type { Command } from 'commander';
import type { Config } from '../services/config/index.js';
import { caExists, initBuiltinCa, loadBuiltinChain } from '../services/ca/index.js';
import { AgentcertError, systemClock, humanDate, humanDateAndRelative } from '../services/domain/index.js';
import { describeCertificate } from '../services/pki/index.js';

function chainView(config: Readonly<Config>) {
  return loadBuiltinChain(config.data.dir).map((der, i, all) => {
    const c = describeCertificate(der);
    return { role: i === all.length - 1 ? 'root' : 'issuing', subject: c.subject, serialNumber: c.serialNumber, thumbprint: c.thumbprint, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), key: `${c.key.algorithm}-${c.key.bits}` };
  });
}

export function caCommand(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const ca = program.command('ca').description('the built-in CA');
  ca.command('init')
    .description('create the built-in CA (done automatically on first start); never overwrites an existing one')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      if (config.ca.backend !== 'builtin') throw new AgentcertError('AC_USAGE', 'ca init is for the built-in CA; ca.backend is "adcs"');
      const existed = caExists(config.data.dir);
      initBuiltinCa(config.data.dir, config.ca.builtin, systemClock);
      const view = chainView(config);
      if (opts.json) return out(JSON.stringify({ created: !existed, chain: view }, null, 2));
      out(existed ? 'The built-in CA exists already (nothing changed):' : 'Created the built-in CA:');
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
