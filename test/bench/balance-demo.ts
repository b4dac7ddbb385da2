/**
 * Prints what balancing does for 1,000 agents over three management servers (and an unreachable root one), and
 * after a fourth server is added: agents placed one at a time as the pipeline places them, then `agentcert
 * balance` without and with --rebalance (the same rule functions, rules/assignment.ts). Also prints the msiexec
 * command line an agent's package runs. `npm run build && node dist/test/bench/balance-demo.js [N]`.
 */
import { renderSummary } from '../../cli/balance-command.js';
import { serverLoads, type BalanceSummary } from '../../services/app/balance.js';
import { loadConfig, type Config } from '../../services/config/index.js';
import { manifestManagementGroup } from '../../services/lifecycle/steps/server-assignment.js';
import { msiexecCommandLine } from '../../services/packaging/index.js';
import { assignAgents, countByServer, placeAgent, type Assignment } from '../../services/rules/index.js';

const n = Number(process.argv[2] ?? 1000);
const base = loadConfig({ env: {}, file: null, flags: {} });
const server = (fqdn: string, o: Partial<Config['managementGroup']['servers'][number]> = {}) => ({ fqdn, port: 5723, kind: 'management-server' as const, reachable: true, weight: 1, ...o });
const three = [server('rms.contoso.local', { reachable: false }), server('ms1.contoso.local'), server('ms2.contoso.local'), server('gw1.dmz.contoso.local', { kind: 'gateway' })];
const withServers = (servers: Config['managementGroup']['servers']): Config => ({
  ...base,
  packaging: { ...base.packaging, shareUncPath: '\\\\fs01\\agentcert' },
  managementGroup: { ...base.managementGroup, name: 'DMZ_MG', servers, installAgent: true },
});

const agents = Array.from({ length: n }, (_, i) => ({ fqdn: `dmz${String(i).padStart(4, '0')}.dmz.contoso.local`, tenant: 'default' }));
const say = (s: string) => void process.stdout.write(`${s}\n`);

// 1. The pipeline places each agent as its package is published.
let config = withServers(three);
const counts = new Map<string, number>();
const stored = new Map<string, Assignment>();
for (const a of agents) {
  const p = placeAgent(config.managementGroup.servers, a, counts, null)!;
  counts.set(p.primary, (counts.get(p.primary) ?? 0) + 1);
  stored.set(a.fqdn, p);
}
const summary = (rebalanced: boolean, list: Assignment[], moved: BalanceSummary['moved']): BalanceSummary => ({
  managementGroup: 'DMZ_MG', rebalanced, agents: list.length, moved, unassigned: [],
  perServer: serverLoads(config, countByServer(list, config.managementGroup.servers)),
});
say(`== ${n} agents placed one at a time by the pipeline (3 reachable servers, the root management server unreachable)`);
renderSummary(summary(false, [...stored.values()], agents.map((a) => ({ agent: a.fqdn, from: null, to: stored.get(a.fqdn)!.primary }))), say);

const first = stored.get(agents[0]!.fqdn)!;
const mg = manifestManagementGroup(config, 'agent', first)!;
say(`\n== the msiexec command line in ${agents[0]!.fqdn}'s package (primary ${first.primary}, failovers ${first.failovers.join(', ')})`);
say(`msiexec.exe ${msiexecCommandLine(mg, mg.agentMsi.sharePath!, `C:\\ProgramData\\agentcert\\${agents[0]!.fqdn}\\MOMAgent-install-20261202-013000.log`)}`);

// 2. A fourth server: `agentcert balance` keeps everyone; `--rebalance` moves the fewest agents to it.
config = withServers([...three, server('ms3.contoso.local')]);
const plain = assignAgents(config.managementGroup.servers, agents, stored, { rebalance: false });
say('\n== ms3.contoso.local added; agentcert balance (no --rebalance)');
renderSummary(summary(false, plain.assignments, plain.moved), say);
const re = assignAgents(config.managementGroup.servers, agents, new Map(plain.assignments.map((a) => [a.agent, a])), { rebalance: true });
say('\n== agentcert balance --rebalance');
renderSummary(summary(true, re.assignments, re.moved), say);
const from = new Map<string, number>();
for (const m of re.moved) from.set(`${m.from} -> ${m.to}`, (from.get(`${m.from} -> ${m.to}`) ?? 0) + 1);
for (const [k, v] of from) say(`  moved ${k}: ${v}`);
const failoversChanged = re.assignments.filter((a) => stored.get(a.agent)!.primary === a.primary && stored.get(a.agent)!.failovers.join() !== a.failovers.join()).length;
say(`  agents keeping their primary whose failover list changed (ms3 added to it): ${failoversChanged}`);
