/**
 * `agentcert balance`, `list` and `show` with a management group, as child processes on a real share and store.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleRequest } from '../../services/pki/index.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';
import { runCli } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
let config: string;
const agents = Array.from({ length: 9 }, (_, i) => `web${i}.dmz.contoso.local`);
const servers = [{ fqdn: 'ms1.contoso.local' }, { fqdn: 'ms2.contoso.local' }, { fqdn: 'ms3.contoso.local' }, { fqdn: 'rms.contoso.local', reachable: false }];

function writeConfig(list: unknown[]): void {
  writeFileSync(config, JSON.stringify({
    share: { root: env.share, stableMs: 0 }, data: { dir: env.data }, ca: { builtin: { keyBits: 2048 } }, packaging: { buildExe: false },
    managementGroup: { name: 'DMZ_MG', servers: list },
  }));
}

beforeAll(() => {
  env = makeTempEnv('agentcert-balance-');
  config = path.join(env.dir, 'agentcert.json');
  writeConfig(servers);
  mkdirSync(path.join(env.share, 'requests'), { recursive: true });
  for (const f of agents) writeFileSync(path.join(env.share, 'requests', `${f}.req`), makeSampleRequest(f).pem);
  const r = runCli(['serve', '--once', '--config', config]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => env.cleanup());

describe('agentcert balance', () => {
  it('list and show name each agent\'s primary management server', () => {
    const list = runCli(['list', '--json', '--config', config]);
    const rows = JSON.parse(list.stdout) as { fqdn: string; primaryServer: string | null }[];
    expect(rows).toHaveLength(9);
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.primaryServer!, (counts.get(r.primaryServer!) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 'ms1.contoso.local': 3, 'ms2.contoso.local': 3, 'ms3.contoso.local': 3 });
    expect(runCli(['list', '--config', config]).stdout).toMatch(/primaryServer/);
    const show = runCli(['show', agents[0]!, '--config', config]);
    expect(show.stdout).toMatch(/^Management servers: primary ms[123]\.contoso\.local, failovers ms[123]\.contoso\.local, ms[123]\.contoso\.local \(since /m);
  });

  it('writes the script with --out and prints agents per server; the script parses and holds every agent', async () => {
    const out = path.join(env.dir, 'balance-agents.ps1');
    const r = runCli(['balance', '--out', out, '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Management group DMZ_MG: 9 agents; placed: 0 newly placed, 0 moved');
    expect(r.stdout).toMatch(/ms1\.contoso\.local\s+management-server\s+yes\s+1\s+3/);
    expect(r.stdout).toMatch(/rms\.contoso\.local\s+management-server\s+no\s+1\s+0/);
    const script = readFileSync(out, 'utf8');
    expect(script.charCodeAt(0)).toBe(0xfeff); // UTF-8 BOM for Windows PowerShell 5.1
    expect((await parsePowerShell(script.slice(1))).errors).toEqual([]);
    for (const f of agents) expect(script).toContain(`@{ Agent = '${f}'; Primary = 'ms`);
    expect(script).not.toContain("'rms.contoso.local'");
  });

  it('after a fourth server is added, --rebalance moves the fewest agents, all to the new server; --json gives the summary', () => {
    writeConfig([...servers, { fqdn: 'ms4.contoso.local' }]);
    const plain = JSON.parse(runCli(['balance', '--json', '--out', path.join(env.dir, 'b1.ps1'), '--config', config]).stdout) as { moved: unknown[] };
    expect(plain.moved).toEqual([]); // without --rebalance nobody moves
    const r = runCli(['balance', '--rebalance', '--json', '--out', path.join(env.dir, 'b2.ps1'), '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { moved: { agent: string; from: string; to: string }[]; perServer: { server: string; agents: number }[] };
    // 9 over 4: shares 2.25, so 3/2/2/2; ms4 takes 2, one from each of two servers.
    expect(s.moved).toHaveLength(2);
    expect(s.moved.every((m) => m.to === 'ms4.contoso.local')).toBe(true);
    expect(new Set(s.moved.map((m) => m.from)).size).toBe(2);
    expect(s.perServer.map((p) => p.agents).sort()).toEqual([0, 2, 2, 2, 3]);
    expect(readFileSync(path.join(env.dir, 'b2.ps1'), 'utf8')).toContain("Primary = 'ms4.contoso.local'");
  });

  it('doctor warns when packages install the agent but MOMAgent.msi is not on the share', () => {
    writeFileSync(config, JSON.stringify({ share: { root: env.share }, data: { dir: env.data }, packaging: { shareUncPath: '\\\\fs01\\agentcert' }, managementGroup: { name: 'DMZ_MG', servers, installAgent: true } }));
    const missing = runCli(['doctor', '--config', config]);
    expect(missing.stdout).toMatch(/^WARN\s+management-group\s+DMZ_MG: 3 of 4 server\(s\) reachable by agents; installAgent is on but .*MOMAgent\.msi is missing: copy MOMAgent\.msi there/m);
    mkdirSync(path.join(env.share, 'tools', 'agent'), { recursive: true });
    writeFileSync(path.join(env.share, 'tools', 'agent', 'MOMAgent.msi'), 'msi');
    expect(runCli(['doctor', '--config', config]).stdout).toMatch(/^OK\s+management-group\s+DMZ_MG: 3 of 4 server\(s\) reachable by agents; agents install from /m);
  });

  it('says what to configure when there is no management group', () => {
    writeFileSync(config, JSON.stringify({ share: { root: env.share }, data: { dir: env.data } }));
    const r = runCli(['balance', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error AC_NO_MANAGEMENT_GROUP');
    expect(r.stderr).toMatch(/remediation: Set managementGroup\.name/);
  });
});
