/** `agentcert ca init|show|protect|root export|root import`: the built-in CA and its keys. */
import type { Command } from 'commander';
import type { Config } from '../services/config/index.js';
import { caExists, caKeyStatus, exportRootKey, importRootKey, initBuiltinCa, loadBuiltinChain, protectCaKeys } from '../services/ca/index.js';
import { AgentcertError, systemClock } from '../services/domain/index.js';
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
      for (const c of view) out(`  ${c.role.padEnd(7)} ${c.subject}  ${c.key}  thumbprint ${c.thumbprint}  valid until ${c.notAfter}`);
    });
  ca.command('show')
    .description('show the built-in CA certificates')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const view = chainView(config);
      const keys = caKeyStatus(config.data.dir);
      if (opts.json) return out(JSON.stringify({ chain: view, keys }, null, 2));
      for (const c of view) out(`${c.role.padEnd(7)} ${c.subject}  ${c.key}  serial ${c.serialNumber}  thumbprint ${c.thumbprint}  ${c.notBefore} → ${c.notAfter}`);
      out(`keys    ${keys.summary}`);
    });
  ca.command('protect')
    .description('encrypt the CA keys held in <data>/ca/ with ca.builtin.passphrase (PBKDF2-HMAC-SHA256, 600,000 iterations), or re-encrypt older files')
    .option('--current-passphrase-env <name>', 'environment variable holding the passphrase the keys are encrypted with now, when it changes')
    .action((opts: { currentPassphraseEnv?: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const current = opts.currentPassphraseEnv ? (process.env[opts.currentPassphraseEnv] ?? null) : config.ca.builtin.passphrase;
      const status = protectCaKeys(config.data.dir, config.ca.builtin.passphrase, current);
      out(`CA keys: ${status.summary}`);
    });
  const root = ca.command('root').description('the two-tier CA\'s root key: take it offline, bring it back');
  root
    .command('export')
    .description('write the root key to FILE and remove it from <data>/ca/ (two-tier only); the service keeps signing with the issuing key')
    .requiredOption('--out <file>', 'where to write the root key (a new file; move it off this host)')
    .action((opts: { out: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const r = exportRootKey(config.data.dir, opts.out);
      out(`The root key is in ${r.file} (${r.protection.encrypted ? `encrypted, ${r.protection.scheme}` : 'NOT encrypted'}) and no longer in ${config.data.dir}.`);
      out('Move that file to offline storage now. The service runs with the issuing key only; `agentcert ca root import FILE` brings the root back.');
    });
  root
    .command('import <file>')
    .description('put an exported root key back into <data>/ca/ (checked against root.cer)')
    .action((file: string, _opts: unknown, cmd: Command) => {
      const config = configFrom(cmd);
      const r = importRootKey(config.data.dir, file, config.ca.builtin.passphrase);
      out(`The root key is back in ${r.file}. Export it again (agentcert ca root export --out FILE) when you are done.`);
    });
}
