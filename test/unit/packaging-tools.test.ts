import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentPaths, agentPathsWarning, publishTools } from '../../services/packaging/index.js';
import { makeTestPki, packageChain, type TestPki } from '../fixtures/packaging/test-pki.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';

let pki: TestPki;
let share: string;
beforeAll(() => {
  pki = makeTestPki('Tools Root', 'Tools Issuing');
  share = mkdtempSync(path.join(os.tmpdir(), 'agentcert tools \u00e9 '));
});
afterAll(() => {
  rmSync(share, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('publishTools', () => {
  it('publishes request-certificate.ps1, the four INF templates, the CA certificates and README.txt', async () => {
    await publishTools({ shareRoot: share, chain: packageChain(pki) });
    const tools = path.join(share, 'tools');
    expect(readdirSync(tools).sort()).toEqual(
      ['README.txt', 'agent.inf', 'ca-Tools-Issuing.cer', 'gateway.inf', 'management-server.inf', 'renewal.inf', 'request-certificate.ps1', 'root-Tools-Root.cer'].sort(),
    );
    expect(readFileSync(path.join(tools, 'root-Tools-Root.cer')).equals(pki.rootDer)).toBe(true);
    expect(readFileSync(path.join(tools, 'ca-Tools-Issuing.cer')).equals(pki.issuingDer)).toBe(true);
    const script = readFileSync(path.join(tools, 'request-certificate.ps1')).toString('utf8').replace(/^\uFEFF/, '');
    expect((await parsePowerShell(script)).errors).toEqual([]);
    expect(readFileSync(path.join(tools, 'README.txt'), 'utf8')).toContain('root-Tools-Root.cer');
  });

  it('is idempotent: a second run rewrites nothing and leaves no temp files', async () => {
    await publishTools({ shareRoot: share, chain: packageChain(pki) });
    const tools = path.join(share, 'tools');
    const before = readdirSync(tools).map((n) => [n, statSync(path.join(tools, n)).mtimeMs] as const);
    await new Promise((r) => setTimeout(r, 20));
    await publishTools({ shareRoot: share, chain: packageChain(pki) });
    const after = readdirSync(tools).map((n) => [n, statSync(path.join(tools, n)).mtimeMs] as const);
    expect(after).toEqual(before);
    expect(readdirSync(tools).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('how agents reach the share', () => {
  const none = { shareUncPath: null, resultsUncPath: null };
  it('takes share.root when it is a UNC path, packaging.shareUncPath before it, and nothing from a local path', () => {
    expect(agentPaths(none, '\\\\fs01\\agentcert\\')).toEqual({ share: '\\\\fs01\\agentcert', results: '\\\\fs01\\agentcert\\results', from: 'share.root' });
    expect(agentPaths(none, '//fs01/agent cert')).toMatchObject({ share: '\\\\fs01\\agent cert', from: 'share.root' });
    expect(agentPaths({ ...none, shareUncPath: '\\\\dfs\\pki\\' }, '\\\\fs01\\agentcert')).toMatchObject({ share: '\\\\dfs\\pki', from: 'packaging.shareUncPath' });
    const local = agentPaths(none, '/srv/agentcert/share');
    expect(local).toEqual({ share: null, results: null, from: null });
    expect(agentPathsWarning(local)).toBe('packages carry no install results path and no renewal task: set packaging.shareUncPath to how agents reach the share (e.g. \\\\fs01\\agentcert)');
    const resultsOnly = agentPaths({ ...none, resultsUncPath: '\\\\fs01\\results' }, '/srv/share');
    expect(agentPathsWarning(resultsOnly)).toMatch(/^packages carry no renewal task: /);
  });

  it('README.txt promises results and renewal only when packages carry the paths', async () => {
    const readme = () => readFileSync(path.join(share, 'tools', 'README.txt'), 'utf8');
    await publishTools({ shareRoot: share, chain: packageChain(pki), agentPaths: agentPaths({ shareUncPath: null, resultsUncPath: null }, share) });
    expect(readme()).not.toContain('Renewal is automatic');
    expect(readme()).toContain('Renewal is by hand');
    expect(readme()).toContain('Install results are not collected');
    await publishTools({ shareRoot: share, chain: packageChain(pki), agentPaths: agentPaths({ shareUncPath: '\\\\fs01\\agentcert', resultsUncPath: null }, share) });
    expect(readme()).toContain('Renewal is automatic');
    expect(readme()).toContain('drops it in \\\\fs01\\agentcert\\requests\\');
    expect(readme()).toContain('written to \\\\fs01\\agentcert\\results\\<FQDN>.json');
    expect(readme()).toContain('-File \\\\fs01\\agentcert\\tools\\request-certificate.ps1 -Share \\\\fs01\\agentcert');
  });
});

describe('INF templates (docs/scom-facts.md §1.1/§1.3/§8.1)', () => {
  const dir = path.resolve(import.meta.dirname, '../../inf-templates');
  for (const name of ['agent.inf', 'gateway.inf', 'management-server.inf', 'renewal.inf']) {
    it(`${name} asks for what a SCOM certificate needs`, () => {
      const inf = readFileSync(path.join(dir, name), 'utf8');
      const value = (key: string): string | undefined =>
        new RegExp(`^${key}\\s*=\\s*(.+?)\\s*(;.*)?$`, 'm').exec(inf)?.[1];
      expect(value('Subject')).toBe('"CN={{FQDN}}"');
      expect(value('KeyLength')).toBe('{{KEY_LENGTH}}');
      expect(value('KeySpec')).toBe('1');
      expect(value('KeyUsage')).toBe('0xa0');
      expect(value('ProviderName')).toBe('"Microsoft RSA SChannel Cryptographic Provider"');
      expect(value('ProviderType')).toBe('12');
      expect(value('MachineKeySet')).toBe('TRUE');
      expect(value('Exportable')).toBe('{{EXPORTABLE}}');
      expect(value('HashAlgorithm')).toBe('SHA256');
      // certreq_1.md: "Certificate renewal requires either a PKCS#7 or a CMC request format".
      expect(value('RequestType')).toBe(name === 'renewal.inf' ? 'CMC' : 'PKCS10');
      expect(value('RenewalCert')).toBe(name === 'renewal.inf' ? '"{{RENEWAL_CERT}}"' : undefined);
      expect(value('UseExistingKeySet')).toBe('FALSE'); // always a new key, renewals too
      const eku = inf.slice(inf.indexOf('[EnhancedKeyUsageExtension]'));
      expect(eku).toMatch(/^OID = 1\.3\.6\.1\.5\.5\.7\.3\.1\b/m);
      expect(eku).toMatch(/^OID = 1\.3\.6\.1\.5\.5\.7\.3\.2\b/m);
    });
  }
});
