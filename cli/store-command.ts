/** `agentcert store migrate --to postgres://…`: move the data folder's SQLite store to PostgreSQL (README "Several instances"). */
import type { Command } from 'commander';
import type { Config } from '../services/app/index.js';
import { moveStoreToPostgres } from '../services/app/index.js';

export function storeCommand(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const store = program.command('store').description('the store of requests, certificates and the audit trail');
  store
    .command('migrate')
    .description('copy the SQLite store of the data folder into a PostgreSQL database and verify it (counts and checksums); can be run again')
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://user@host:5432/database (password: store.passwordFile or AGENTCERT_STORE_PASSWORD)')
    .option('--json', 'print JSON')
    .action(async (opts: { to: string; json?: boolean }, cmd: Command) => {
      const report = await moveStoreToPostgres(configFrom(cmd), opts.to);
      if (opts.json) return out(JSON.stringify(report, null, 2));
      out(`Copied ${report.from} to ${report.to}; both sides verified:`);
      for (const t of report.tables) out(`  ${t.table.padEnd(13)} ${String(t.rows).padStart(8)} row(s)  sha256 ${t.sha256}`);
      out(`Next: set store.url (or AGENTCERT_STORE_URL) to ${report.to} on every instance.`);
    });
}
