/** `agentcert ca init|show|protect|root export|root import`: a CA that agentcert keeps itself (the built-in CA) and its keys. */
import type { Command } from 'commander';
import type { Config } from '../services/app/index.js';
import { caChainView, initializeLocalCa, localCaKeys, localChain, requireLocalCaKeys } from '../services/app/index.js';
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
      const config = configFrom(cmd);
      const view = chainView(config);
      const keys = localCaKeys(config)?.report() ?? null;
      if (opts.json) return out(JSON.stringify({ chain: view, keys }, null, 2));
      for (const c of view) out(`${c.role.padEnd(7)} ${c.subject}  ${c.key}  serial ${c.serialNumber}  thumbprint ${c.thumbprint}  ${humanDate(c.notBefore)} → ${humanDateAndRelative(c.notAfter)}`);
      if (keys) out(`keys    ${keys.summary}`);
    });
  ca.command('protect')
    .description('encrypt the CA keys held in <data>/ca/ with ca.builtin.passphrase (PBKDF2-HMAC-SHA256, 600,000 iterations), or re-encrypt older files')
    .option('--current-passphrase-env <name>', 'environment variable holding the passphrase the keys are encrypted with now, when it changes')
    .action((opts: { currentPassphraseEnv?: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const keys = requireLocalCaKeys(config);
      const status = opts.currentPassphraseEnv ? keys.protect(process.env[opts.currentPassphraseEnv] ?? null) : keys.protect(null);
      out(`CA keys: ${status.summary}`);
    });
  const root = ca.command('root').description('the two-tier CA\'s root key: take it offline, bring it back');
  root
    .command('export')
    .description('write the root key to FILE and remove it from <data>/ca/ (two-tier only); the service keeps signing with the issuing key')
    .requiredOption('--out <file>', 'where to write the root key (a new file; move it off this host)')
    .action((opts: { out: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const r = requireLocalCaKeys(config).exportRoot(opts.out);
      out(`The root key is in ${r.file} (${r.encrypted ? `encrypted, ${r.scheme}` : 'NOT encrypted'}) and no longer in ${config.data.dir}.`);
      out('Move that file to offline storage now. The service runs with the issuing key only; `agentcert ca root import FILE` brings the root back.');
    });
  root
    .command('import <file>')
    .description('put an exported root key back into <data>/ca/ (checked against root.cer)')
    .action((file: string, _opts: unknown, cmd: Command) => {
      const config = configFrom(cmd);
      const r = requireLocalCaKeys(config).importRoot(file);
      out(`The root key is back in ${r.file}. Export it again (agentcert ca root export --out FILE) when you are done.`);
    });
}
