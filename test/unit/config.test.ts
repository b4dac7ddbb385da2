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
});
