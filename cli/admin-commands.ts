/**
 * Admin commands: approve, deny, revoke, ca crl, doctor. They call the same application functions as the API, on
 * the store directly, so they work whether the service runs or not: a running service picks an approved request
 * up on its next tick (pipeline.tickMs), a stopped one when it starts. The actor recorded is `cli:<os user>`.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import type { Config } from '../services/app/index.js';
import { ERRORS, systemClock } from '../services/domain/index.js';
import { approveRequest, createApp, crlSummary, denyRequest, REVOCATION_REASONS, revokeCertificate, runDoctor, signCrlNow, type App } from '../services/app/index.js';
import { createLogger } from '../services/app/index.js';
import { createExecaRunner } from '../services/app/index.js';
import { AgentcertError } from '../services/domain/index.js';

function cliActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env['USER'] ?? process.env['USERNAME'] ?? 'unknown';
  }
  return `cli:${user}`;
}

/** The application without its watcher or API; never creates a CA and never takes the service's lock. */
async function withApp<T>(config: Readonly<Config>, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(config, { clock: systemClock, log: createLogger(config.log.level === 'info' ? 'warn' : config.log.level), runner: createExecaRunner() }, { initCa: false });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

export function adminCommands(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  decisionCommands(program, configFrom, out);
  operationCommands(program, configFrom, out);
}

/** approve, deny, revoke: an admin's decisions, recorded as cli:<os user>. */
function decisionCommands(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  program
    .command('approve <id>')
    .description('approve a held request (id, fingerprint or FQDN); the service issues it without a restart')
    .option('--comment <text>', 'why (recorded in the event history)')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: { comment?: string; json?: boolean }, cmd: Command) => {
      const actor = cliActor();
      const r = await withApp(configFrom(cmd), (app) => approveRequest(app.ctx, key, { actor, ...(opts.comment ? { comment: opts.comment } : {}) }));
      if (opts.json) return out(JSON.stringify({ id: r.id, fqdn: r.fqdn, state: r.state, actor }, null, 2));
      out(`approved ${r.fqdn} (request ${r.id}) as ${actor}; it is now ${r.state}: the running service issues it on its next tick (or the next start).`);
    });

  program
    .command('deny <id>')
    .description('deny a held request; the reason is written to rejected/<FQDN>.txt for the server owner')
    .requiredOption('--reason <text>', 'why (the server owner reads it)')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: { reason: string; json?: boolean }, cmd: Command) => {
      const actor = cliActor();
      const r = await withApp(configFrom(cmd), (app) => denyRequest(app.ctx, key, { actor, reason: opts.reason }));
      if (opts.json) return out(JSON.stringify({ id: r.id, fqdn: r.fqdn, state: r.state, actor }, null, 2));
      out(`denied ${r.fqdn} (request ${r.id}) as ${actor}; the reason is in rejected/${r.fqdn}.txt.`);
    });

  program
    .command('revoke <serial>')
    .description('revoke a certificate (serial, thumbprint, or an FQDN with one active certificate) and publish a new CRL')
    .requiredOption('--reason <reason>', `RFC 5280 reason: ${Object.keys(REVOCATION_REASONS).join(', ')}`)
    .option('--comment <text>', 'more detail for the event history')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: { reason: string; comment?: string; json?: boolean }, cmd: Command) => {
      const actor = cliActor();
      const r = await withApp(configFrom(cmd), (app) => revokeCertificate(app.ctx, key, { actor, reason: opts.reason, ...(opts.comment ? { comment: opts.comment } : {}) }));
      const crl = r.crl ? crlSummary(r.crl) : null;
      if (opts.json) return out(JSON.stringify({ ...r, actor, crl }, null, 2));
      out(`revoked ${r.serialNumber} (${r.fqdn}, reason ${r.reason}) as ${actor}.`);
      out(crl ? `CRL ${crl.crlNumber} published to ${crl.file} (${crl.entries} revoked, next update ${crl.nextUpdate}).` : `The CA publishes its own CRL: ${r.caMessage}`);
      if (r.packageWithdrawnTo) out(`Its package was withdrawn from issued/${r.fqdn}/ to ${r.packageWithdrawnTo}; issued/${r.fqdn}/REVOKED.txt says so.`);
    });
}

/** ca crl and doctor: the operations an admin runs on the service's state. */
function operationCommands(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const ca = program.commands.find((c) => c.name() === 'ca');
  if (!ca) throw new AgentcertError('AC_INTERNAL', 'the ca command must be registered before the admin commands');
  ca.command('crl')
    .description('sign and publish a new CRL of the built-in CA to <share>/tools/agentcert.crl')
    .option('--out <file>', 'also write the DER CRL here')
    .option('--json', 'print JSON')
    .action(async (opts: { out?: string; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const { der, ...crl } = await withApp(config, (app) => signCrlNow(app.ctx));
      if (opts.out) writeFileSync(opts.out, der);
      if (opts.json) return out(JSON.stringify(crl, null, 2));
      out(`CRL ${crl.crlNumber}: ${crl.entries} revoked certificate(s), this update ${crl.thisUpdate}, next update ${crl.nextUpdate}`);
      out(`published to ${crl.file}${opts.out ? ` and ${opts.out}` : ''}`);
    });

  program
    .command('doctor')
    .description('check config, share, store, CA reachability, CRL, tools, service and tokens; one line per check')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const checks = await runDoctor(config, { clock: systemClock, log: createLogger('error'), runner: createExecaRunner() });
      const failed = checks.find((c) => c.status === 'fail');
      if (opts.json) out(JSON.stringify({ ok: !failed, checks }, null, 2));
      else {
        const width = Math.max(...checks.map((c) => c.name.length));
        for (const c of checks) out(`${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.message}`);
        for (const c of checks.filter((x) => x.code)) out(`      ${c.name}: ${c.code} — ${ERRORS[c.code!].remediation}`);
      }
      if (failed?.code) process.exitCode = ERRORS[failed.code].exitCode;
    });
}
