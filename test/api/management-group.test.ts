/**
 * The management group end to end: a pipeline on a real share and store issues agents and a management server,
 * every agent package carries its assigned servers, the store, show, list, the API and the dashboard show them,
 * and the balancing script is rendered from them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceAgents } from '../../services/app/index.js';
import { showRecord, listRequests, renewalTiming } from '../../services/app/index.js';
import { agentMsiPropertyString, type Manifest } from '../../services/packaging/index.js';
import { makeSampleRequest } from '../../services/pki/index.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';
import { ADMIN, makeApiHarness, READER, type ApiHarness } from './api-harness.js';

let a: ApiHarness | null = null;
afterEach(async () => {
  await a?.close();
  a = null;
});

const servers = [
  { fqdn: 'ms1.contoso.local' },
  { fqdn: 'ms2.contoso.local' },
  { fqdn: 'gw1.dmz.contoso.local', kind: 'gateway', port: 5724 },
  { fqdn: 'root.contoso.local', reachable: false },
];
const mgConfig = { managementGroup: { name: 'DMZ_MG', servers, installAgent: true }, packaging: { shareUncPath: '\\\\fs01\\agentcert', buildExe: false } };
const agents = Array.from({ length: 6 }, (_, i) => `dmz${i}.dmz.contoso.local`);

function manifestOf(fqdn: string): Manifest {
  return JSON.parse(readFileSync(path.join(a!.h.env.share, 'issued', fqdn, 'manifest.json'), 'utf8')) as Manifest;
}

describe('management group: assignment, packages, balancing', () => {
  it('gives every agent package a balanced primary among the reachable servers, and the server its own package without one', async () => {
    a = await makeApiHarness({ config: mgConfig });
    for (const f of [...agents, 'ms1.contoso.local']) a.h.drop(`${f}.req`, makeSampleRequest(f).pem);
    await a.h.settle();
    // A listed server is a protected name: its request waits for an admin.
    const held = (await listRequests(a.h.app.ctx.store, { fqdn: 'ms1.contoso.local' })).items[0]!;
    expect(held.state).toBe('awaiting_approval');
    expect((await a.post(`/api/v1/requests/${held.id}/approve`, {}, ADMIN)).statusCode).toBe(200);
    await a.h.settle();

    const perPrimary = new Map<string, number>();
    for (const f of agents) {
      const m = manifestOf(f);
      expect(m.role).toBe('agent');
      const mg = m.managementGroup!;
      expect(mg.name).toBe('DMZ_MG');
      expect(['ms1.contoso.local', 'ms2.contoso.local', 'gw1.dmz.contoso.local']).toContain(mg.primary!.fqdn);
      expect(mg.primary!.port).toBe(mg.primary!.fqdn === 'gw1.dmz.contoso.local' ? 5724 : 5723);
      expect(mg.failovers.map((x) => x.fqdn).sort()).toEqual(['gw1.dmz.contoso.local', 'ms1.contoso.local', 'ms2.contoso.local'].filter((x) => x !== mg.primary!.fqdn));
      expect(mg.installAgent).toBe(true);
      expect(mg.agentMsi).toEqual({ path: null, sharePath: '\\\\fs01\\agentcert\\tools\\agent\\MOMAgent.msi' });
      perPrimary.set(mg.primary!.fqdn, (perPrimary.get(mg.primary!.fqdn) ?? 0) + 1);
      // The installer pins the msiexec properties the manifest gives, and still parses.
      const script = readFileSync(path.join(a.h.env.share, 'issued', f, 'install-certificate.ps1'), 'utf8');
      expect(script).toContain(`MsiProperties = '${agentMsiPropertyString(mg)}'`);
      expect((await parsePowerShell(script)).errors).toEqual([]);
    }
    expect([...perPrimary.values()]).toEqual([2, 2, 2]);

    const server = manifestOf('ms1.contoso.local');
    expect(server.role).toBe('management-server');
    expect(server.managementGroup).toMatchObject({ name: 'DMZ_MG', primary: null, failovers: [], installAgent: false });
    expect(await a.h.app.ctx.store.assignments.get('ms1.contoso.local')).toBeNull();

    // show, list, the API, the dashboard.
    const view = await showRecord(a.h.app.ctx.store, agents[0]!, renewalTiming(a.h.config));
    expect(view.assignment?.primary).toBe(manifestOf(agents[0]!).managementGroup!.primary!.fqdn);
    const listed = (await listRequests(a.h.app.ctx.store, { fqdn: agents[1]! })).items[0]!;
    expect(listed.primaryServer).toBe(manifestOf(agents[1]!).managementGroup!.primary!.fqdn);
    const detail = (await a.get(`/api/v1/requests/${agents[2]}`, READER)).json() as { assignment: { primary: string; failovers: string[] } };
    expect(detail.assignment.primary).toBe(manifestOf(agents[2]!).managementGroup!.primary!.fqdn);
    const list = (await a.get('/api/v1/assignments', READER)).json() as { perServer: { server: string; agents: number }[]; items: unknown[] };
    expect(list.items).toHaveLength(6);
    expect(list.perServer.map((p) => [p.server, p.agents])).toEqual([['ms1.contoso.local', 2], ['ms2.contoso.local', 2], ['gw1.dmz.contoso.local', 2], ['root.contoso.local', 0]]);
    const overview = (await a.get('/api/v1/overview', READER)).json() as { agentsPerServer: { agents: number }[] };
    expect(overview.agentsPerServer.map((p) => p.agents)).toEqual([2, 2, 2, 0]);

    // The script needs an admin, and carries every agent inside its literals.
    expect((await a.get('/api/v1/balance.ps1', READER)).statusCode).toBe(403);
    const res = await a.get('/api/v1/balance.ps1', ADMIN);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toContain('balance-agents.ps1');
    expect((await parsePowerShell(res.body)).errors).toEqual([]);
    for (const f of agents) expect(res.body).toContain(`@{ Agent = '${f}'; Primary = '${manifestOf(f).managementGroup!.primary!.fqdn}'`);
  });

  it('a fourth server added takes its share on a rebalance; the agents moved all go to it', async () => {
    a = await makeApiHarness({ config: mgConfig });
    for (const f of agents) a.h.drop(`${f}.req`, makeSampleRequest(f).pem);
    await a.h.settle();
    const before = new Map((await a.h.app.ctx.store.assignments.all()).map((x) => [x.agent, x.primary]));
    const config = { ...a.h.config, managementGroup: { ...a.h.config.managementGroup, servers: [...a.h.config.managementGroup.servers, { fqdn: 'ms3.contoso.local', port: 5723, kind: 'management-server' as const, reachable: true, weight: 1 }] } };
    const placed = await balanceAgents(config, a.h.app.ctx.store, new Date(), { rebalance: false });
    expect(placed.moved).toEqual([]); // nothing moves without --rebalance
    const summary = await balanceAgents(config, a.h.app.ctx.store, new Date(), { rebalance: true });
    expect(summary.moved.length).toBe(1); // 6 agents over 4 servers: the new one's share rounds to 1 or 2; 1 is fewest
    expect(summary.moved.every((m) => m.to === 'ms3.contoso.local' && before.get(m.agent) === m.from)).toBe(true);
    expect(summary.perServer.map((p) => p.agents).sort()).toEqual([0, 1, 1, 2, 2].sort());
    // Through the API with the service's own configuration (three servers): back to 2/2/2, two agents move.
    expect((await a.post('/api/v1/balance', { rebalance: true }, READER)).statusCode).toBe(403);
    const api = (await a.post('/api/v1/balance', { rebalance: true }, ADMIN)).json() as { moved: { to: string }[]; perServer: { agents: number }[] };
    expect(api.perServer.map((p) => p.agents)).toEqual([2, 2, 2, 0]);
    expect(api.moved.length).toBe(1); // the agent that went to ms3 is placed again; the others never moved
    // Without a management group, balancing says what to configure.
    const unset = { ...a.h.config, managementGroup: { ...a.h.config.managementGroup, name: null } };
    await expect(balanceAgents(unset, a.h.app.ctx.store, new Date(), { rebalance: false })).rejects.toThrow(expect.objectContaining({ code: 'AC_NO_MANAGEMENT_GROUP' }));
  });
});
