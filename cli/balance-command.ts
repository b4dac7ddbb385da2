/**
 * `agentcert balance [--rebalance] [--out FILE] [--json]`: place the agents that have no server, with
 * --rebalance move the fewest agents that bring every server to its share, and write the SCOM admin's script
 * (README "Management group").
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../services/app/index.js';
import { AgentcertError, systemClock } from '../services/domain/index.js';
import { balanceAgents, balanceScript, balanceScriptFile, openAppStore, type BalanceSummary } from '../services/app/index.js';
import { printTable } from './output.js';

export function renderSummary(s: BalanceSummary, say: (line: string) => void): void {
  const placed = s.moved.filter((m) => m.from === null).length;
  say(`Management group ${s.managementGroup}: ${s.agents} agents; ${s.rebalanced ? 'rebalanced' : 'placed'}: ${placed} newly placed, ${s.moved.length - placed} moved${s.unassigned.length ? `, ${s.unassigned.length} without a reachable server` : ''}`);
  printTable(say, s.perServer.map((p) => ({ ...p, reachable: p.reachable ? 'yes' : 'no' })), ['server', 'kind', 'reachable', 'weight', 'agents']);
}

export function balanceCommand(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  program
    .command('balance')
    .description('assign every agent a primary and failover management servers and write the PowerShell script that applies them in SCOM')
    .option('--rebalance', 'also move the fewest agents that bring every server to its weighted share')
    .option('--out <file>', 'write the script to FILE (default: stdout, the summary then goes to stderr)')
    .option('--json', 'print the summary as JSON (the script goes to --out)')
    .action(async (opts: { rebalance?: boolean; out?: string; json?: boolean }, cmd: Command) => {
      if (opts.json && !opts.out) throw new AgentcertError('AC_USAGE', '--json prints the summary: give --out FILE for the script');
      const config = configFrom(cmd);
      const store = openAppStore(config);
      try {
        const now = systemClock.now();
        const { assignments: _all, ...summary } = await balanceAgents(config, store, now, { rebalance: opts.rebalance === true });
        const script = await balanceScript(config, store, now);
        const say = opts.out ? out : (line: string) => void process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
        if (opts.out) writeFileSync(opts.out, balanceScriptFile(script));
        else process.stdout.write(script);
        if (opts.json) out(JSON.stringify({ ...summary, script: opts.out }, null, 2));
        else {
          renderSummary(summary, say);
          if (opts.out) say(`wrote ${opts.out}: run it in the Operations Manager Shell (-WhatIf first)`);
        }
      } finally {
        await store.close();
      }
    });
}
