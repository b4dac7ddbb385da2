/**
 * `agentcert balance` and GET /api/v1/balance.ps1 (README "Management group"): place every agent that has no
 * server in its pool (new, or its server left), with `rebalance` also move the surplus of servers over their
 * share (fewest moves, rules/assignment.ts), store the result, and render the SCOM admin's script from it.
 */
import type { Config } from '../config/index.js';
import { AgentcertError, type Store } from '../domain/index.js';
import { readInstaller, renderBalanceScript, withUtf8Bom } from '../packaging/index.js';
import { assignAgents, countByServer, type Assignment } from '../rules/index.js';
import { ALL_TENANTS, inScope, requireAllTenants, type TenantScope } from './tenant-scope.js';

export interface ServerLoad {
  server: string;
  kind: 'management-server' | 'gateway';
  reachable: boolean;
  weight: number;
  agents: number;
}

export interface BalanceSummary {
  managementGroup: string;
  rebalanced: boolean;
  agents: number;
  /** Agents whose primary changed (from null: placed for the first time). */
  moved: { agent: string; from: string | null; to: string }[];
  /** Agents no reachable server of their tenant can take (their stored assignment is removed). */
  unassigned: string[];
  perServer: ServerLoad[];
}

function requireGroup(config: Config): string {
  const name = config.managementGroup.name;
  if (name === null || config.managementGroup.servers.length === 0) {
    throw new AgentcertError('AC_NO_MANAGEMENT_GROUP', 'managementGroup.name and managementGroup.servers are not set');
  }
  return name;
}

/** Agents per configured server (a server no longer listed is left out: its agents move at the next balance). */
export function serverLoads(config: Config, counts: ReadonlyMap<string, number>): ServerLoad[] {
  return config.managementGroup.servers.map((s) => ({ server: s.fqdn, kind: s.kind, reachable: s.reachable, weight: s.weight, agents: counts.get(s.fqdn) ?? 0 }));
}

/** The stored assignment's load per configured server (dashboard, overview); a scoped caller counts its tenants' agents. */
export async function storedServerLoads(config: Config, store: Store, scope: TenantScope = ALL_TENANTS): Promise<ServerLoad[]> {
  return serverLoads(config, new Map((await store.assignments.perServer(scope)).map((p) => [p.server, p.agents])));
}

/** `scope`: balancing moves every tenant's agents, so a tenant-scoped caller may not (tenant-scope.ts). */
export async function balanceAgents(config: Config, store: Store, at: Date, options: { rebalance: boolean }, scope: TenantScope = ALL_TENANTS): Promise<BalanceSummary & { assignments: Assignment[] }> {
  requireAllTenants(scope, 'balancing the management group');
  const name = requireGroup(config);
  const servers = config.managementGroup.servers;
  const agents = await store.assignments.agents(servers.map((s) => s.fqdn));
  const current = new Map((await store.assignments.all()).map((a) => [a.agent, a]));
  const result = assignAgents(servers, agents, current, options);
  const keep = new Set(result.assignments.map((a) => a.agent));
  const remove = [...current.keys()].filter((f) => !keep.has(f));
  await store.assignments.saveAll(result.assignments, remove, at.toISOString());
  return {
    managementGroup: name,
    rebalanced: options.rebalance,
    agents: result.assignments.length,
    moved: result.moved,
    unassigned: result.unassigned.map((u) => u.fqdn),
    perServer: serverLoads(config, countByServer(result.assignments, servers)),
    assignments: result.assignments,
  };
}

/** The stored assignment as it is (a read: nothing placed or moved), rendered into balance-agents.ps1. */
export async function balanceScript(config: Config, store: Store, at: Date, scope: TenantScope = ALL_TENANTS): Promise<string> {
  requireAllTenants(scope, 'the balancing script');
  const name = requireGroup(config);
  const listed = new Set(config.managementGroup.servers.filter((s) => s.reachable).map((s) => s.fqdn));
  // Only assignments whose servers are all still listed and reachable: the others wait for `agentcert balance`.
  const assignments = (await store.assignments.all()).filter((a) => listed.has(a.primary) && a.failovers.every((f) => listed.has(f)));
  return renderBalanceScript(await readInstaller('balance-agents.ps1'), { managementGroup: name, generatedAt: at.toISOString(), assignments });
}

/** The script as a file for Windows PowerShell 5.1: a UTF-8 BOM makes it read non-ASCII names right. */
export function balanceScriptFile(script: string): Buffer {
  return withUtf8Bom(script);
}

/** GET /api/v1/assignments: every stored assignment and the agents per configured server. */
export async function listAssignments(config: Config, store: Store, scope: TenantScope = ALL_TENANTS): Promise<{ managementGroup: string | null; perServer: ServerLoad[]; items: Awaited<ReturnType<Store['assignments']['all']>> }> {
  const items = (await store.assignments.all()).filter((a) => inScope(scope, a.tenant));
  return { managementGroup: config.managementGroup.name, perServer: await storedServerLoads(config, store, scope), items };
}
