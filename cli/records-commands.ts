/** `agentcert list` and `agentcert show`: the inventory and one record's history, over services/app. */
import type { Command } from 'commander';
import type { Config } from '../services/app/index.js';
import { AgentcertError, humanDate, humanDateAndRelative, REQUEST_STATES, systemClock, type RequestState } from '../services/domain/index.js';
import { allPages, CERTIFICATE_EXPORT_COLUMNS, listCertificates, listRequests, openAppStore, renewalTiming, REQUEST_EXPORT_COLUMNS, showRecord, toCsv } from '../services/app/index.js';
import { printTable } from './output.js';

export function recordCommands(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const openStore = openAppStore;
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
}
