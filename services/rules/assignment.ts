/**
 * Which management server (or gateway) an agent reports to: a primary and an ordered list of failovers among the
 * reachable servers its tenant may use (README "Management group").
 *
 * A rule, like the renewal rule: pure, no store or clock, so the pipeline (one agent at a time), `agentcert
 * balance` and its property tests all use the same decisions.
 *
 * Balance. Agents whose tenants may use the same servers form a pool. In a pool of N agents every server gets
 * its share N·w/W (w its weight, W the pool's total) rounded down or up, never further off: counts differ by at
 * most one from the exact share. Rendezvous (HRW) hashing alone moves few agents but only balances on average,
 * so the shares are computed first and hashing only decides which agents fill or leave a server.
 *
 * Stability and fewest moves. An agent keeps its primary while that server is in its pool. Placing new agents
 * never moves anyone. A rebalance keeps every agent on its server up to the server's share and moves only the
 * surplus of servers over their share; where a share can be rounded either way, the server that already holds
 * more agents gets the larger one, which makes the number of moved agents the smallest any balanced assignment
 * allows (a server added takes its share from the others; a server removed gives away only its own agents
 * unless the shares force more).
 */
import { createHash } from 'node:crypto';
import type { AgentAssignment } from '../domain/index.js';

export interface AssignableServer {
  fqdn: string;
  weight: number;
  reachable: boolean;
  /** Tenants allowed to use it; absent: every tenant. */
  tenants?: readonly string[];
}

export interface AgentRef {
  fqdn: string;
  tenant: string;
}

/** failovers: every other server of the pool, in the order the agent should fail over to them. */
export type Assignment = AgentAssignment;

export interface AssignmentResult {
  assignments: Assignment[];
  /** Agents whose primary changed (or that had none): agent → [from or null, to]. */
  moved: { agent: string; from: string | null; to: string }[];
  /** Agents no reachable server may take (their tenant has none). */
  unassigned: AgentRef[];
}

/** The reachable servers an agent of this tenant may use, ordered by FQDN. */
export function eligibleServers<S extends AssignableServer>(servers: readonly S[], tenant: string): S[] {
  const t = tenant.toLowerCase();
  return servers
    .filter((s) => s.reachable && (s.tenants === undefined || s.tenants.some((x) => x.toLowerCase() === t)))
    .sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0));
}

export function poolKey(eligible: readonly AssignableServer[]): string {
  return eligible.map((s) => s.fqdn).join(' ');
}

/** Weighted rendezvous score of (agent, server): larger wins. -w / ln(u), u uniform in (0,1) from SHA-256. */
function score(agent: string, server: AssignableServer): number {
  const h = createHash('sha256').update(`${agent}\n${server.fqdn}`).digest();
  const u = (h.readUIntBE(0, 6) + 0.5) / 2 ** 48;
  return -server.weight / Math.log(u);
}

/** Failovers: the pool's other servers by the agent's rendezvous score, so a failed server's agents spread out. */
export function failoverOrder(agent: string, eligible: readonly AssignableServer[], primary: string): string[] {
  return eligible
    .filter((s) => s.fqdn !== primary)
    .map((s) => ({ fqdn: s.fqdn, score: score(agent, s) }))
    .sort((a, b) => b.score - a.score || (a.fqdn < b.fqdn ? -1 : 1))
    .map((s) => s.fqdn);
}

/**
 * Each server's target count for n agents: its share rounded down, plus one for as many servers as the
 * remainder needs, given first to servers already holding more than the rounded-down share (fewest moves), then
 * to the larger fractions, then by FQDN. Integer arithmetic: shares are exact.
 */
export function targetCounts(eligible: readonly AssignableServer[], n: number, held: ReadonlyMap<string, number>): Map<string, number> {
  const total = eligible.reduce((sum, s) => sum + s.weight, 0);
  const out = new Map<string, number>();
  let given = 0;
  const rows = eligible.map((s) => {
    const floor = Math.floor((n * s.weight) / total);
    given += floor;
    out.set(s.fqdn, floor);
    return { s, floor, rest: (n * s.weight) % total };
  });
  const candidates = rows
    .filter((r) => r.rest > 0)
    .sort((a, b) => {
      const aOver = (held.get(a.s.fqdn) ?? 0) > a.floor ? 1 : 0;
      const bOver = (held.get(b.s.fqdn) ?? 0) > b.floor ? 1 : 0;
      return bOver - aOver || b.rest - a.rest || (a.s.fqdn < b.s.fqdn ? -1 : 1);
    });
  for (const r of candidates.slice(0, n - given)) out.set(r.s.fqdn, r.floor + 1);
  return out;
}

/**
 * The server a new agent goes to, given how many agents of its pool each server holds now: the one furthest
 * below its target for one agent more (then the least loaded for its weight, then the agent's rendezvous score).
 */
export function chooseServer(agent: string, eligible: readonly AssignableServer[], held: ReadonlyMap<string, number>): string | null {
  if (eligible.length === 0) return null;
  const n = [...eligible].reduce((sum, s) => sum + (held.get(s.fqdn) ?? 0), 0) + 1;
  const targets = targetCounts(eligible, n, held);
  const ranked = eligible
    .map((s) => {
      const count = held.get(s.fqdn) ?? 0;
      return { fqdn: s.fqdn, deficit: targets.get(s.fqdn)! - count, load: count / s.weight, score: score(agent, s) };
    })
    .sort((a, b) => b.deficit - a.deficit || a.load - b.load || b.score - a.score);
  return ranked[0]!.fqdn;
}

/** One agent, as the pipeline places it: its stored primary if still in its pool, else chooseServer. */
export function placeAgent(
  servers: readonly AssignableServer[],
  agent: AgentRef,
  poolCounts: ReadonlyMap<string, number>,
  current: Assignment | null,
): Assignment | null {
  const eligible = eligibleServers(servers, agent.tenant);
  const keep = current && eligible.some((s) => s.fqdn === current.primary) ? current.primary : null;
  const primary = keep ?? chooseServer(agent.fqdn, eligible, poolCounts);
  if (primary === null) return null;
  return { agent: agent.fqdn, tenant: agent.tenant, primary, failovers: failoverOrder(agent.fqdn, eligible, primary) };
}

/**
 * Every agent at once (`agentcert balance`). Without `rebalance`, agents on a server of their pool stay and only
 * the others (new, or whose server left the pool) are placed, into the servers below their targets. With it,
 * servers over their target also give away their surplus (the agents that score lowest on them).
 */
export function assignAgents(
  servers: readonly AssignableServer[],
  agents: readonly AgentRef[],
  current: ReadonlyMap<string, Assignment>,
  options: { rebalance: boolean },
): AssignmentResult {
  const pools = new Map<string, { eligible: AssignableServer[]; agents: AgentRef[] }>();
  const unassigned: AgentRef[] = [];
  for (const a of [...agents].sort((x, y) => (x.fqdn < y.fqdn ? -1 : x.fqdn > y.fqdn ? 1 : 0))) {
    const eligible = eligibleServers(servers, a.tenant);
    if (eligible.length === 0) {
      unassigned.push(a);
      continue;
    }
    const key = poolKey(eligible);
    let pool = pools.get(key);
    if (!pool) pools.set(key, (pool = { eligible, agents: [] }));
    pool.agents.push(a);
  }
  const assignments: Assignment[] = [];
  const moved: AssignmentResult['moved'] = [];
  for (const pool of pools.values()) {
    const primaries = assignPool(pool.eligible, pool.agents, current, options.rebalance);
    for (const a of pool.agents) {
      const primary = primaries.get(a.fqdn)!;
      const from = current.get(a.fqdn)?.primary ?? null;
      if (from !== primary) moved.push({ agent: a.fqdn, from, to: primary });
      assignments.push({ agent: a.fqdn, tenant: a.tenant, primary, failovers: failoverOrder(a.fqdn, pool.eligible, primary) });
    }
  }
  return { assignments, moved, unassigned };
}

function assignPool(eligible: AssignableServer[], agents: AgentRef[], current: ReadonlyMap<string, Assignment>, rebalance: boolean): Map<string, string> {
  const byServer = new Map<string, string[]>(eligible.map((s) => [s.fqdn, []]));
  const waiting: string[] = [];
  for (const a of agents) {
    const on = byServer.get(current.get(a.fqdn)?.primary ?? '');
    if (on) on.push(a.fqdn);
    else waiting.push(a.fqdn);
  }
  const held = new Map([...byServer].map(([s, list]) => [s, list.length]));
  const targets = targetCounts(eligible, agents.length, held);
  if (rebalance) {
    for (const s of eligible) {
      const list = byServer.get(s.fqdn)!;
      const surplus = list.length - targets.get(s.fqdn)!;
      if (surplus <= 0) continue;
      // The agents that score lowest on this server leave: the same ones whichever order servers are visited.
      const scored = list.map((a) => ({ a, sc: score(a, s) })).sort((x, y) => y.sc - x.sc || (x.a < y.a ? -1 : 1));
      const stay = scored.slice(0, list.length - surplus).map((x) => x.a);
      waiting.push(...scored.slice(list.length - surplus).map((x) => x.a));
      list.splice(0, list.length, ...stay);
    }
  }
  const out = new Map<string, string>();
  for (const [s, list] of byServer) for (const a of list) out.set(a, s);
  waiting.sort();
  for (const a of waiting) {
    // Among the servers still below target, the one this agent scores highest on. There always is one: the
    // targets add up to the pool's agents, so the room below target is at least the number still waiting.
    let best: AssignableServer | null = null;
    let bestScore = -Infinity;
    for (const s of eligible) {
      if (byServer.get(s.fqdn)!.length >= targets.get(s.fqdn)!) continue;
      const sc = score(a, s);
      if (sc > bestScore) [best, bestScore] = [s, sc];
    }
    byServer.get(best!.fqdn)!.push(a);
    out.set(a, best!.fqdn);
  }
  return out;
}

/** Agents per primary server, every listed server included (0 when it has none). */
export function countByServer(assignments: readonly Assignment[], servers: readonly { fqdn: string }[]): Map<string, number> {
  const out = new Map<string, number>(servers.map((s) => [s.fqdn, 0]));
  for (const a of assignments) out.set(a.primary, (out.get(a.primary) ?? 0) + 1);
  return out;
}
