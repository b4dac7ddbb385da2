/**
 * The management group side of a package (README "Management group"): is the FQDN a management server or
 * gateway, which servers does an agent report to (placed once, then kept: rules/assignment.ts), and what the
 * manifest tells the installer about them.
 */
import type { Config, ManagementServerConfig } from '../../config/index.js';
import type { AgentRole, StoreTx } from '../../domain/index.js';
import type { ManifestManagementGroup } from '../../packaging/index.js';
import { eligibleServers, placeAgent, poolKey, type Assignment } from '../../rules/index.js';

/** The role a package is for: a listed management server or gateway is one, whatever its request said. */
export function packageRole(config: Config, fqdn: string, requested: AgentRole): AgentRole {
  const server = config.managementGroup.servers.find((s) => s.fqdn === fqdn);
  return server ? server.kind : requested;
}

/** The tenants whose agents share this tenant's pool (the same eligible servers). */
export function poolTenants(config: Config, tenant: string): string[] {
  const key = poolKey(eligibleServers(config.managementGroup.servers, tenant));
  const names = [config.policy.defaultTenant.name, ...config.policy.tenants.map((t) => t.name)];
  const same = names.filter((n) => poolKey(eligibleServers(config.managementGroup.servers, n)) === key);
  return same.some((n) => n.toLowerCase() === tenant.toLowerCase()) ? same : [...same, tenant];
}

/**
 * The agent's stored assignment, kept while its primary is in its pool, or a new one placed among the pool's
 * servers and saved. null: no management group configured, or no reachable server for its tenant.
 */
export async function assignAgent(config: Config, store: StoreTx, agent: { fqdn: string; tenant: string }, at: string): Promise<Assignment | null> {
  const mg = config.managementGroup;
  if (mg.name === null || mg.servers.length === 0) return null;
  const current = await store.assignments.get(agent.fqdn);
  const counts = await store.assignments.countsByPrimary(poolTenants(config, agent.tenant));
  if (current) {
    // The agent itself is not a newcomer to its pool.
    counts.set(current.primary, Math.max(0, (counts.get(current.primary) ?? 1) - 1));
  }
  const placed = placeAgent(mg.servers, agent, counts, current);
  if (!placed) return null;
  const unchanged = current && current.primary === placed.primary && current.failovers.join(' ') === placed.failovers.join(' ') && current.tenant === placed.tenant;
  if (!unchanged) await store.assignments.save(placed, at);
  return placed;
}

function server(config: Config, fqdn: string): { fqdn: string; port: number } {
  const s = config.managementGroup.servers.find((x) => x.fqdn === fqdn) as ManagementServerConfig;
  return { fqdn: s.fqdn, port: s.port };
}

/** `tools/agent/MOMAgent.msi` below `\\fs01\agentcert` → `\\fs01\agentcert\tools\agent\MOMAgent.msi`. */
export function agentMsiSharePath(shareUncPath: string | null, sharePath: string | null): string | null {
  const root = (shareUncPath ?? '').trim().replace(/\//g, '\\').replace(/\\+$/, '');
  if (root === '' || sharePath === null) return null;
  return `${root}\\${sharePath.replace(/\//g, '\\').replace(/^\\+/, '')}`;
}

/** The manifest's management group block for an agent (with its assignment) or a server (no primary, no agent). */
export function manifestManagementGroup(config: Config, role: AgentRole, assignment: Assignment | null): ManifestManagementGroup | null {
  const mg = config.managementGroup;
  if (mg.name === null) return null;
  const isAgent = role === 'agent' && assignment !== null;
  return {
    name: mg.name,
    primary: isAgent ? server(config, assignment.primary) : null,
    failovers: isAgent ? assignment.failovers.map((f) => server(config, f)) : [],
    installAgent: isAgent && mg.installAgent,
    agentMsi: isAgent ? { path: mg.agentMsi.path, sharePath: agentMsiSharePath(config.packaging.shareUncPath, mg.agentMsi.sharePath) } : { path: null, sharePath: null },
  };
}
