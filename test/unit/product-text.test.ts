/**
 * The product speaks of the product: what reaches users (the scripts in installers/, the INF templates, a
 * delivery package and the share's tools/ folder as the service writes them) and the code's own comments and
 * messages (services/, cli/) cite README.md, the repository's docs/ or public sources, never documents that are
 * not in the repository or the work items behind the code. Every docs/<file>.md such a text names must exist.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPackage, publishTools } from '../../services/packaging/index.js';
import { makeTestPki, packageChain, silentLog, type TestPki } from '../fixtures/packaging/test-pki.js';
import { childRunner } from '../helpers/child-runner.js';
import { repoRoot } from '../helpers/paths.js';

/** Names of documents outside the repository, and references to work items. */
const OUTSIDE_REFERENCES: RegExp[] = [/SCOM-FACTS/, /CONTRACT\.md/, /ARCHITECTURE\.md/, /README-installer/, /STYLE-ANCHORS/, /\bissue #?\d+/i, /\btask \d+/i];
const DOCS_REFERENCE = /\bdocs\/([A-Za-z0-9._-]+\.md)\b/g;
/** Files a package or tools/ carries that are not text. */
const BINARY = /\.(cer|crl|zip|exe)$/i;

interface TextFile {
  name: string;
  text: string;
}

function textFilesUnder(dir: string, label = path.basename(dir)): TextFile[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return textFilesUnder(full, `${label}/${name}`);
    return BINARY.test(name) ? [] : [{ name: `${label}/${name}`, text: readFileSync(full, 'utf8') }];
  });
}

/** `file:line: text` for every line that names an outside document or a work item. */
function outsideReferences(files: TextFile[]): string[] {
  return files.flatMap((f) =>
    f.text.split(/\r?\n/).flatMap((line, i) => (OUTSIDE_REFERENCES.some((re) => re.test(line)) ? [`${f.name}:${i + 1}: ${line.trim()}`] : [])),
  );
}

/** `file: docs/x.md` for every docs/ page a text names that the repository does not have. */
function missingDocs(files: TextFile[]): string[] {
  return files.flatMap((f) => [...f.text.matchAll(DOCS_REFERENCE)].filter((m) => !existsSync(path.join(repoRoot, 'docs', m[1]!))).map((m) => `${f.name}: docs/${m[1]}`));
}

describe('the scan itself', () => {
  it('finds outside documents and work items, and leaves the repository\'s own docs alone', () => {
    const found = outsideReferences([
      { name: 'a', text: '# see SCOM-FACTS §2\r\n# CONTRACT.md "Logs"\n# ARCHITECTURE.md\n# README-installer.md\n# (Issue #6)\n# task 3 of the plan' },
      { name: 'b', text: "# docs/scom-facts.md §2, docs/contract.md \"Logs\", README.md (\"What the installer does\")\n# the scheduled task runs daily; issue the certificate; reissue 2 times" },
    ]);
    expect(found).toEqual(['a:1: # see SCOM-FACTS §2', 'a:2: # CONTRACT.md "Logs"', 'a:3: # ARCHITECTURE.md', 'a:4: # README-installer.md', 'a:5: # (Issue #6)', 'a:6: # task 3 of the plan']);
    expect(missingDocs([{ name: 'c', text: 'docs/scom-facts.md §1 and docs/no-such-page.md' }])).toEqual(['c: docs/no-such-page.md']);
  });
});

describe('shipped sources', () => {
  const shipped = [...textFilesUnder(path.join(repoRoot, 'installers')), ...textFilesUnder(path.join(repoRoot, 'inf-templates'))];

  it('installers/ and inf-templates/ cite no document outside the repository and no work item', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(9);
    expect(outsideReferences(shipped)).toEqual([]);
  });

  it('renewal.inf stays ASCII, as certreq reads an INF as ANSI or UTF-16', () => {
    expect(shipped.find((f) => f.name === 'inf-templates/renewal.inf')!.text).toMatch(/^[\x00-\x7f]*$/);
  });

  it('every docs/ page they cite exists in the repository', () => {
    expect(shipped.some((f) => new RegExp(DOCS_REFERENCE.source).test(f.text))).toBe(true);
    expect(missingDocs(shipped)).toEqual([]);
  });
});

describe('what the service writes to the share', () => {
  let pki: TestPki;
  let share: string;
  let written: TextFile[];

  beforeAll(async () => {
    pki = makeTestPki();
    share = mkdtempSync(path.join(os.tmpdir(), 'agentcert-product-text-'));
    const fqdn = 'agent01.dmz.contoso.com';
    await publishPackage(
      {
        shareRoot: share,
        fqdn,
        role: 'agent',
        certificateDer: pki.leafDer(fqdn, '80AB0000000000000000000000000001C3'),
        chain: packageChain(pki),
        requestFingerprint: 'ab'.repeat(32),
        requestId: 'abababababab',
        issuedAt: '2025-11-23T12:00:00.000Z',
        issuer: 'builtin',
        resultsPath: '\\\\files01\\agentcert\\results\\agent01.dmz.contoso.com.json',
        shareUncPath: '\\\\files01\\agentcert',
        renewalDueAt: '2027-01-01T00:00:00.000Z',
        makensisPath: '/nonexistent/makensis',
      },
      { runner: childRunner, log: silentLog },
    );
    await publishTools({ shareRoot: share, chain: packageChain(pki) });
    written = [...textFilesUnder(path.join(share, 'issued', fqdn), 'package'), ...textFilesUnder(path.join(share, 'tools'), 'tools')];
  });
  afterAll(() => {
    rmSync(share, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  });

  it('renders the package and tools/ with their scripts, templates and README', () => {
    const names = written.map((f) => f.name);
    for (const n of ['package/install-certificate.ps1', 'package/install.cmd', 'package/renew-certificate.ps1', 'package/renewal.inf', 'package/manifest.json', 'tools/request-certificate.ps1', 'tools/agent.inf', 'tools/README.txt']) {
      expect(names).toContain(n);
    }
  });

  it('a delivery package and tools/ cite no document outside the repository and no work item', () => {
    expect(outsideReferences(written)).toEqual([]);
  });

  it('every docs/ page they cite exists in the repository', () => {
    expect(missingDocs(written)).toEqual([]);
  });
});

describe('the code', () => {
  const code = [...textFilesUnder(path.join(repoRoot, 'services')), ...textFilesUnder(path.join(repoRoot, 'cli'))];

  it('comments and messages in services/ and cli/ cite no document outside the repository and no work item', () => {
    expect(code.length).toBeGreaterThan(50);
    expect(outsideReferences(code)).toEqual([]);
  });

  it('every docs/ page they cite exists in the repository', () => {
    expect(code.some((f) => new RegExp(DOCS_REFERENCE.source).test(f.text))).toBe(true);
    expect(missingDocs(code)).toEqual([]);
  });
});
