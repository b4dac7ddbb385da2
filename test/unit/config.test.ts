import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/config/index.js';
import { AgentcertError } from '../../services/domain/index.js';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AgentcertError);
    expect((err as AgentcertError).code).toBe('AC_CONFIG_INVALID');
    return (err as AgentcertError).details;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('gives the embedded defaults with no configuration at all', () => {
    const c = loadConfig({ cwd: '/srv/x', env: {} });
    expect(c.share.root).toBe('/srv/x/var/share');
    expect(c.data.dir).toBe('/srv/x/var/data');
    expect(c.ca.backend).toBe('builtin');
    expect(c.ca.builtin.keyBits).toBe(3072);
    expect(c.ca.leafValidityDays).toBe(730);
    expect(c.api.host).toBe('127.0.0.1');
    expect(c.pipeline.concurrency).toBe(16);
    expect(Object.isFrozen(c.share)).toBe(true);
  });

  it('takes the pipeline concurrency from AGENTCERT_PIPELINE_CONCURRENCY, and names it when it is not a number in range', () => {
    expect(loadConfig({ cwd: '/srv/x', env: { AGENTCERT_PIPELINE_CONCURRENCY: '32' } }).pipeline.concurrency).toBe(32);
    const p = problems(() => loadConfig({ cwd: '/srv/x', env: { AGENTCERT_PIPELINE_CONCURRENCY: '0' } })).join('\n');
    expect(p).toMatch(/pipeline\.concurrency|AGENTCERT_PIPELINE_CONCURRENCY/);
  });

  it('layers file < environment < flags, and resolves file paths against the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'agentcert.yaml');
    writeFileSync(file, 'share:\n  root: ./myshare\n  polling: true\napi:\n  port: 9000\n');
    const c = loadConfig({ file, cwd: '/elsewhere', env: { AGENTCERT_API_PORT: '9100', AGENTCERT_CA_PASSPHRASE: 'correct horse' }, flags: { port: 9200 } });
    expect(c.share.root).toBe(path.join(dir, 'myshare'));
    expect(c.share.polling).toBe(true);
    expect(c.api.port).toBe(9200);
    expect(c.ca.builtin.passphrase).toBe('correct horse');
  });

  it('reports every problem with its path, not just the first', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ api: { port: 'eighty' }, ca: { backend: 'msca', leafValidityDays: 0 }, shares: {} }));
    const p = problems(() => loadConfig({ file, env: { AGENTCERT_SHARE_POLLING: 'maybe' } }));
    const text = p.join('\n');
    expect(text).toContain('AGENTCERT_SHARE_POLLING');
    expect(text).toContain('api.port');
    expect(text).toContain('ca.backend');
    expect(text).toContain('ca.leafValidityDays');
    expect(text).toMatch(/shares/);
  });

  it('names a config file that cannot be parsed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ "api": ');
    expect(problems(() => loadConfig({ file, env: {} }))[0]).toContain('not valid JSON');
  });

  it('requires the HOST\\CA string for the AD CS backend', () => {
    expect(problems(() => loadConfig({ env: { AGENTCERT_CA_BACKEND: 'adcs' } }))[0]).toContain('ca.adcs.config');
    const c = loadConfig({ env: { AGENTCERT_CA_BACKEND: 'adcs', AGENTCERT_ADCS_CONFIG: 'ca01.contoso.local\\Contoso Issuing CA' } });
    expect(c.ca.adcs.config).toBe('ca01.contoso.local\\Contoso Issuing CA');
  });

  it('rejects two tenants sharing a folder', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 't.json');
    writeFileSync(file, JSON.stringify({ policy: { tenants: [{ name: 'a', folder: 'x', allowedNames: ['*.a.local'], approval: 'auto' }, { name: 'b', folder: 'X', allowedNames: ['*.b.local'], approval: 'auto' }] } }));
    expect(problems(() => loadConfig({ file, env: {} }))[0]).toContain('used by two tenants');
  });

  it('names the key, where the value came from and what is allowed, for a file, a variable and a flag', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'agentcert.yaml');
    writeFileSync(file, 'ca:\n  builtin:\n    keyBits: 1024\nshare:\n  pollIntervalMs: 5\n');
    const p = problems(() => loadConfig({ file, env: { AGENTCERT_CA_BACKEND: 'foo' }, flags: { port: 70000 } }));
    expect(p).toContain('ca.backend: "foo" is not allowed (from AGENTCERT_CA_BACKEND); allowed: "builtin" or "adcs"');
    expect(p).toContain(`ca.builtin.keyBits: 1024 is not allowed (from ${file}, key ca.builtin.keyBits); allowed: 2048, 3072 or 4096`);
    expect(p).toContain(`share.pollIntervalMs: 5 is not allowed (from ${file}, key share.pollIntervalMs); allowed: a whole number of at least 100`);
    expect(p).toContain('api.port: 70000 is not allowed (from --port); allowed: a whole number from 0 to 65535');
  });

  it('names a flag or variable that is not a number, and says what a boolean variable takes', () => {
    const p = problems(() => loadConfig({ env: { AGENTCERT_API_PORT: 'http', AGENTCERT_SHARE_POLLING: 'maybe' }, flags: { port: 'abc' } }));
    expect(p).toContain('api.port: "http" is not a whole number (from AGENTCERT_API_PORT)');
    expect(p).toContain('api.port: "abc" is not a whole number (from --port)');
    expect(p).toContain('share.polling: "maybe" is not allowed (from AGENTCERT_SHARE_POLLING); allowed: true, false, yes, no, 1 or 0');
  });

  it('suggests the nearest key for an unknown one, at the top level and inside a section or a tenant', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'agentcert.json');
    writeFileSync(file, JSON.stringify({ apii: { port: 1 }, share: { pollingg: true }, policy: { tenants: [{ name: 'dmz', allowedNames: ['*.dmz.local'], approval: 'auto', aproval: 'x' }] }, zzzzzz: 1 }));
    const p = problems(() => loadConfig({ file, env: {} }));
    expect(p.find((l) => l.startsWith('apii:'))).toContain(`unknown key (from ${file}, key apii); did you mean "api"?`);
    expect(p.find((l) => l.startsWith('share.pollingg:'))).toContain('did you mean "share.polling"?');
    expect(p.find((l) => l.startsWith('policy.tenants.0.aproval:'))).toContain(`(from ${file}, key policy.tenants); did you mean "policy.tenants.0.approval"?`);
    const far = p.find((l) => l.startsWith('zzzzzz:'))!;
    expect(far).not.toContain('did you mean');
    expect(far).toContain('Known keys here: share, data, store, api, ca');
  });

  describe('managementGroup', () => {
    const withGroup = (mg: unknown, extra: Record<string, unknown> = {}): string => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
      const file = path.join(dir, 'mg.json');
      writeFileSync(file, JSON.stringify({ managementGroup: mg, ...extra }));
      return file;
    };

    it('is off by default, with the share path of the agent MSI ready', () => {
      const c = loadConfig({ cwd: '/srv/x', env: {} });
      expect(c.managementGroup).toEqual({ name: null, servers: [], agentMsi: { sharePath: 'tools/agent/MOMAgent.msi', path: null }, installAgent: false });
    });

    it('fills in port 5723, kind management-server, reachable and weight 1 for a server given by FQDN alone', () => {
      const c = loadConfig({ env: {}, file: withGroup({ name: 'DMZ_MG', servers: [{ fqdn: 'ms1.contoso.local' }, { fqdn: 'gw1.dmz.contoso.local', kind: 'gateway', port: 5724, weight: 2, tenants: ['default'] }, { fqdn: 'root.contoso.local', reachable: false }] }) });
      expect(c.managementGroup.servers).toEqual([
        { fqdn: 'ms1.contoso.local', port: 5723, kind: 'management-server', reachable: true, weight: 1 },
        { fqdn: 'gw1.dmz.contoso.local', port: 5724, kind: 'gateway', reachable: true, weight: 2, tenants: ['default'] },
        { fqdn: 'root.contoso.local', port: 5723, kind: 'management-server', reachable: false, weight: 1 },
      ]);
      expect(c.managementGroup.agentMsi.sharePath).toBe('tools/agent/MOMAgent.msi');
    });

    it('names every problem: a bad group name, a server twice, an unknown tenant, no reachable server, servers without a name', () => {
      const p = problems(() => loadConfig({ env: {}, file: withGroup({ name: 'two words', servers: [{ fqdn: 'ms1.contoso.local' }] }) })).join('\n');
      expect(p).toContain('managementGroup.name');
      const q = problems(() => loadConfig({ env: {}, file: withGroup({ name: 'MG', servers: [{ fqdn: 'ms1.contoso.local', reachable: false }, { fqdn: 'ms1.contoso.local', reachable: false, tenants: ['nobody'] }] }) })).join('\n');
      expect(q).toContain('"ms1.contoso.local" is listed twice');
      expect(q).toContain('"nobody" is not a tenant');
      expect(q).toContain('no server is reachable');
      expect(problems(() => loadConfig({ env: {}, file: withGroup({ name: null, servers: [{ fqdn: 'ms1.contoso.local' }] }) })).join('\n')).toContain('servers are listed but the management group has no name');
      expect(problems(() => loadConfig({ env: {}, file: withGroup({ name: 'MG', servers: [{ fqdn: 'MS1 contoso' }] }) })).join('\n')).toContain('managementGroup.servers.0.fqdn');
    });
  });
});
