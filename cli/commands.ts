/**
 * The subcommands. Each resolves the configuration, calls one application function and prints the result.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../services/config/index.js';
import { AgentcertError, humanDate, humanDateAndRelative, REQUEST_STATES, systemClock, type RequestState, type Store } from '../services/domain/index.js';
import {
  allPages, CERTIFICATE_EXPORT_COLUMNS, inspectRequest, listCertificates, listRequests, localChain, openAppStore, renderInspect, renderVerify, renewalTiming, REQUEST_EXPORT_COLUMNS,
  makeSampleRequest, showRecord, storeExists, toCsv, verifyWithRecords,
} from '../services/app/index.js';
import { createLogger } from '../services/log.js';
import { serve } from '../services/main.js';
import { caCommand } from './ca-command.js';
import { adminCommands } from './admin-commands.js';
import { balanceCommand } from './balance-command.js';
import { lifecycleCommands } from './lifecycle-commands.js';
import { storeCommand } from './store-command.js';
import { serviceCommand } from './service-command.js';
import { printTable } from './output.js';


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

  program
    .command('list')
    .description('the inventory: requests, or with --expiring the active certificates that expire within DAYS days')
    .option('--state <state>', `only requests in this state (${REQUEST_STATES.join(', ')})`)
    .option('--expiring <days>', 'only active certificates expiring within DAYS days')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (opts: { state?: string; expiring?: string; json?: boolean; csv?: boolean }, cmd: Command) => {
      if (opts.state && !REQUEST_STATES.includes(opts.state as RequestState)) throw new AgentcertError('AC_USAGE', `unknown state "${opts.state}"`, [`states: ${REQUEST_STATES.join(', ')}`]);
      if (opts.expiring !== undefined && !/^\d+$/.test(opts.expiring)) throw new AgentcertError('AC_USAGE', `--expiring takes a number of days, not "${opts.expiring}"`);
      const store = openStore(configFrom(cmd));
      try {
        // The same paged, index-backed queries as the API, a page at a time (100,000 rows stay cheap).
        const expiring = opts.expiring !== undefined ? Number(opts.expiring) : undefined;
        const now = systemClock.now();
        const rows: object[] =
          expiring !== undefined
            ? await allPages((limit, offset) => listCertificates(store, { state: 'active', expiringWithinDays: expiring, limit, offset }, now))
            : await allPages((limit, offset) => listRequests(store, { ...(opts.state ? { state: opts.state } : {}), limit, offset }));
        const columns = expiring !== undefined ? CERTIFICATE_EXPORT_COLUMNS : REQUEST_EXPORT_COLUMNS;
        if (opts.json) out(JSON.stringify(rows, null, 2));
        else if (opts.csv) out(toCsv(rows, columns));
        else printTable(out, (rows as Record<string, unknown>[]).map((r) => ({ ...r, notAfter: humanDate(r['notAfter'] as string | null) })), expiring !== undefined ? ['serialNumber', 'fqdn', 'tenant', 'state', 'notAfter'] : ['id', 'fqdn', 'tenant', 'state', 'serialNumber', 'notAfter', ...(rows.some((r) => (r as { primaryServer?: string | null }).primaryServer) ? ['primaryServer'] : [])]);
      } finally {
        await store.close();
      }
    });

  program
    .command('show <key>')
    .description('one request/certificate (id, FQDN, serial or thumbprint) with its whole event history')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const store = openStore(config);
      try {
        const v = await showRecord(store, key, renewalTiming(config));
        if (opts.json) return out(JSON.stringify(v, null, 2));
        const r = v.request;
        out(`Request ${r.id}  ${r.fqdn}  tenant ${r.tenant}  state ${r.state}`);
        out(`  file ${r.sourceName}, fingerprint ${r.fingerprint}`);
        if (r.caRequestId) out(`  CA request id ${r.caRequestId}`);
        if (r.nextAttemptAt) out(`  next attempt ${humanDateAndRelative(r.nextAttemptAt)} (attempt ${r.attempts})`);
        if (v.certificate) out(`Certificate serial ${v.certificate.serialNumber}  thumbprint ${v.certificate.thumbprint}  valid ${humanDate(v.certificate.notBefore)} → ${humanDateAndRelative(v.certificate.notAfter)}  (${v.certificate.state}), renewal due ${humanDateAndRelative(v.certificate.renewalDueAt)}`);
        if (v.assignment) out(`Management servers: primary ${v.assignment.primary}, failovers ${v.assignment.failovers.join(', ') || '-'} (since ${v.assignment.assignedAt})`);
        for (const f of r.findings) out(`  [${f.severity}] ${f.rule}: ${f.message}`);
        out('Events:');
        for (const e of v.events) out(`  ${humanDate(e.at)}  ${e.from ?? '-'} → ${e.to}  ${e.reason}  (${e.actor})  ${e.message}`);
      } finally {
        await store.close();
      }
    });

  program
    .command('inspect <file>')
    .description('show everything in one request file and the policy verdict (exit 0 accept/hold, 3 reject, 2 not a request)')
    .option('--fqdn <name>', 'the FQDN the request must be for (default: from the file name, else the request)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { fqdn?: string; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (err) {
        throw new AgentcertError('AC_USAGE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
      }
      // With a store at hand the verdict takes the same facts as the pipeline (other keys, renewal signers).
      const store = storeExists(config) ? openStore(config) : null;
      const doc = await inspectRequest(bytes, { fileName: path.basename(file), ...(opts.fqdn ? { fqdn: opts.fqdn } : {}), config, store, now: systemClock.now() }).finally(() => store?.close());
      out(opts.json ? JSON.stringify(doc, null, 2) : renderInspect(doc));
      if (doc.verdict.outcome === 'reject') process.exitCode = 3;
    });

  program
    .command('verify <file>')
    .description('check an issued certificate (PEM, DER or PKCS#7) against the SCOM rules and build its chain (exit 0 pass, 5 fail)')
    .option('--chain <file...>', 'CA certificates to chain to (PEM, DER or .p7b); default: the built-in CA')
    .option('--fqdn <name>', 'the FQDN the certificate must be for (default: its CN)')
    .option('--crl <file...>', 'CRLs to check the certificate against (DER or PEM); agentcert\'s own records are checked when its store is here')
    .option('--allow-short-name', "accept the FQDN's short name after it in the SAN (a tenant with allowShortNameAlias)")
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { chain?: string[]; fqdn?: string; crl?: string[]; allowShortName?: boolean; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const read = (f: string) => {
        try {
          return { name: f, bytes: readFileSync(f) };
        } catch (err) {
          throw new AgentcertError('AC_USAGE', `cannot read ${f}: ${(err as NodeJS.ErrnoException).code}`);
        }
      };
      const doc = await verifyWithRecords(config, { file: read(file), chainFiles: (opts.chain ?? []).map(read), crls: (opts.crl ?? []).map(read), fqdn: opts.fqdn ?? null, allowShortName: opts.allowShortName === true, at: systemClock.now() });
      out(opts.json ? JSON.stringify(doc, null, 2) : renderVerify(doc));
      if (!doc.passed) process.exitCode = 5;
    });

  program
    .command('sample-request <fqdn>')
    .description('write a request like certreq makes (RSA-2048, Microsoft attributes, SChannel CSP, KeySpec 1) to try the flow without Windows')
    .option('--out <file>', 'where to write it (default: <fqdn>.req in the current folder)')
    .action((fqdn: string, opts: { out?: string }) => {
      const { pem } = makeSampleRequest(fqdn);
      const file = opts.out ?? `${fqdn}.req`;
      writeFileSync(file, pem);
      out(`wrote ${file} (RSA-2048, Microsoft RSA SChannel Cryptographic Provider, KeySpec 1). The private key is not kept: the certificate is for trying the flow only.`);
    });
}
