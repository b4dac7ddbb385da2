import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignAgents, countByServer, eligibleServers, placeAgent, targetCounts,
  type AgentRef, type AssignableServer, type Assignment,
} from '../../services/rules/index.js';

const server = (i: number, weight = 1, extra: Partial<AssignableServer> = {}): AssignableServer => ({ fqdn: `ms${i}.contoso.local`, weight, reachable: true, ...extra });
const agentsN = (n: number, tenant = 'default'): AgentRef[] => Array.from({ length: n }, (_, i) => ({ fqdn: `agent${String(i).padStart(5, '0')}.dmz.local`, tenant }));
const byAgent = (list: readonly Assignment[]): Map<string, Assignment> => new Map(list.map((a) => [a.agent, a]));

/** Every server's count is its exact share N·w/W rounded down or up. */
function expectBalanced(list: readonly Assignment[], servers: readonly AssignableServer[]): void {
  const pool = servers.filter((s) => s.reachable);
  const total = pool.reduce((t, s) => t + s.weight, 0);
  const counts = countByServer(list, pool);
  for (const s of pool) {
    const share = (list.length * s.weight) / total;
    const c = counts.get(s.fqdn)!;
    expect(c, `${s.fqdn}: ${c} for a share of ${share}`).toBeGreaterThanOrEqual(Math.floor(share));
    expect(c, `${s.fqdn}: ${c} for a share of ${share}`).toBeLessThanOrEqual(Math.ceil(share));
  }
}

/** The fewest primaries any balanced assignment must change, found by trying every rounding (small pools). */
function fewestMoves(servers: readonly AssignableServer[], n: number, held: ReadonlyMap<string, number>): number {
  const total = servers.reduce((t, s) => t + s.weight, 0);
  let best = Infinity;
  const walk = (i: number, left: number, moves: number): void => {
    if (i === servers.length) {
      if (left === 0) best = Math.min(best, moves);
      return;
    }
    const s = servers[i]!;
    const exact = n * s.weight;
    const options = exact % total === 0 ? [exact / total] : [Math.floor(exact / total), Math.floor(exact / total) + 1];
    for (const t of options) walk(i + 1, left - t, moves + Math.max(0, (held.get(s.fqdn) ?? 0) - t));
  };
  walk(0, n, 0);
  return best;
}

const serversArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }).map((ws) => ws.map((w, i) => server(i, w)));
/** A current assignment of any shape (balanced or not) over some of the servers. */
const currentArb = (servers: AssignableServer[], agents: AgentRef[]): fc.Arbitrary<Map<string, Assignment>> =>
  fc.array(fc.integer({ min: -1, max: servers.length - 1 }), { minLength: agents.length, maxLength: agents.length }).map((picks) => {
    const m = new Map<string, Assignment>();
    picks.forEach((p, i) => { if (p >= 0) m.set(agents[i]!.fqdn, { agent: agents[i]!.fqdn, tenant: 'default', primary: servers[p]!.fqdn, failovers: [] }); });
    return m;
  });

describe('assignment of agents to management servers', () => {
  it('balances: every server gets its weighted share rounded down or up, from any starting point', () => {
    fc.assert(
      fc.property(serversArb, fc.integer({ min: 0, max: 300 }), fc.context(), (servers, n, ctx) => {
        const agents = agentsN(n);
        const current = fc.sample(currentArb(servers, agents), { numRuns: 1, seed: n })[0]!;
        ctx.log(JSON.stringify(servers.map((s) => s.weight)));
        const { assignments, unassigned } = assignAgents(servers, agents, current, { rebalance: true });
        expect(unassigned).toEqual([]);
        expect(assignments).toHaveLength(n);
        expectBalanced(assignments, servers);
      }),
      { numRuns: 200 },
    );
  });

  it('honours weights: a weight-3 server carries three times a weight-1 server', () => {
    const servers = [server(1, 3), server(2, 1), server(3, 1)];
    const { assignments } = assignAgents(servers, agentsN(1000), new Map(), { rebalance: true });
    expect([...countByServer(assignments, servers).values()]).toEqual([600, 200, 200]);
  });

  it('moves the fewest agents a balanced result allows, and rebalancing a balanced assignment moves none', () => {
    fc.assert(
      fc.property(serversArb, fc.integer({ min: 0, max: 200 }), fc.integer(), (servers, n, seed) => {
        const agents = agentsN(n);
        const current = fc.sample(currentArb(servers, agents), { numRuns: 1, seed })[0]!;
        const held = new Map<string, number>();
        for (const a of current.values()) held.set(a.primary, (held.get(a.primary) ?? 0) + 1);
        const { assignments, moved } = assignAgents(servers, agents, current, { rebalance: true });
        const kept = moved.filter((m) => m.from !== null).length;
        expect(kept).toBe(fewestMoves(servers, n, held));
        const again = assignAgents(servers, agents, byAgent(assignments), { rebalance: true });
        expect(again.moved).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('is stable: without a rebalance every agent keeps its primary while it is in its pool; only new agents are placed', () => {
    fc.assert(
      fc.property(serversArb, fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 50 }), fc.integer(), (servers, n, added, seed) => {
        const agents = agentsN(n + added);
        const old = agents.slice(0, n);
        const current = fc.sample(currentArb(servers, old), { numRuns: 1, seed })[0]!;
        const { moved } = assignAgents(servers, agents, current, { rebalance: false });
        for (const m of moved) expect(current.has(m.agent), m.agent).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('a server added takes its share from the others and nothing else moves; a server removed gives away only its agents', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 400 }), (k, n) => {
        const servers = Array.from({ length: k }, (_, i) => server(i));
        const agents = agentsN(n);
        const before = assignAgents(servers, agents, new Map(), { rebalance: true }).assignments;
        // Added: every moved agent goes to the new server, exactly its share.
        const grown = [...servers, server(k)];
        const added = assignAgents(grown, agents, byAgent(before), { rebalance: true });
        expectBalanced(added.assignments, grown);
        expect(added.moved.every((m) => m.to === server(k).fqdn)).toBe(true);
        expect(added.moved.length).toBe(countByServer(added.assignments, grown).get(server(k).fqdn));
        // Removed (when one remains): only the removed server's agents move.
        if (k === 1) return;
        const gone = servers[0]!.fqdn;
        const shrunk = servers.slice(1);
        const removed = assignAgents(shrunk, agents, byAgent(before), { rebalance: true });
        expectBalanced(removed.assignments, shrunk);
        expect(removed.moved.every((m) => m.from === gone)).toBe(true);
        expect(removed.moved.length).toBe(before.filter((a) => a.primary === gone).length);
      }),
      { numRuns: 150 },
    );
  });

  it('never uses an unreachable server or one the tenant may not use, as primary or failover', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ weight: fc.integer({ min: 1, max: 4 }), reachable: fc.boolean(), tenant: fc.constantFrom(undefined, 'red', 'blue') }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 120 }),
        (specs, n) => {
          const servers = specs.map((s, i) => server(i, s.weight, { reachable: s.reachable, ...(s.tenant ? { tenants: [s.tenant] } : {}) }));
          const agents = [...agentsN(n, 'red'), ...agentsN(n, 'blue').map((a) => ({ ...a, fqdn: `b-${a.fqdn}` })), ...agentsN(n, 'default').map((a) => ({ ...a, fqdn: `d-${a.fqdn}` }))];
          const { assignments, unassigned } = assignAgents(servers, agents, new Map(), { rebalance: true });
          for (const a of assignments) {
            const allowed = new Set(eligibleServers(servers, a.tenant).map((s) => s.fqdn));
            expect(allowed.has(a.primary)).toBe(true);
            expect(a.failovers.every((f) => allowed.has(f))).toBe(true);
            expect(new Set([a.primary, ...a.failovers]).size).toBe(allowed.size); // all others, no repeats
          }
          for (const u of unassigned) expect(eligibleServers(servers, u.tenant)).toEqual([]);
          expect(assignments.length + unassigned.length).toBe(agents.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('places agents one at a time as the pipeline does and stays balanced after every one (weights too), without moving anyone', () => {
    fc.assert(
      fc.property(serversArb, fc.integer({ min: 1, max: 200 }), (servers, n) => {
        const counts = new Map<string, number>();
        const placed: Assignment[] = [];
        for (const a of agentsN(n)) {
          const p = placeAgent(servers, a, counts, null)!;
          counts.set(p.primary, (counts.get(p.primary) ?? 0) + 1);
          placed.push(p);
          expectBalanced(placed, servers);
        }
        // A stored primary still in the pool is kept, whatever the counts say.
        const first = placed[0]!;
        expect(placeAgent(servers, { fqdn: first.agent, tenant: 'default' }, counts, first)!.primary).toBe(first.primary);
      }),
      { numRuns: 100 },
    );
  });

  it('rounds the remainder up for the servers that already hold more, so they need not give agents away', () => {
    const servers = [server(1), server(2), server(3)];
    expect([...targetCounts(servers, 10, new Map([[server(3).fqdn, 4]])).values()]).toEqual([3, 3, 4]);
    expect([...targetCounts(servers, 10, new Map()).values()]).toEqual([4, 3, 3]);
  });
});
