/**
 * The management pack as built and as committed: it parses; its sections are in the MP schema's order; every
 * element, alias and reference resolves (local IDs, or an element of the referenced Microsoft library);
 * every element has a display string and every alerting one its knowledge; every event ID, level and name in
 * it is the event registry's; every embedded PowerShell script parses; and the committed file and the README's
 * generated tables are what a fresh build makes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE, EVENTS } from '../../services/domain/index.js';
import { buildManagementPack, LIBRARY_ELEMENTS, MP_FILE, REFERENCES } from '../../services/management-pack/build.js';
import { withGeneratedTables } from '../../services/management-pack/readme.js';
import { AGENT_REGISTRY_PATH } from '../../services/management-pack/agent-part.js';
import { SERVICE_REGISTRY_KEY, SERVICE_REGISTRY_PATH, SERVICE_REGISTRY_VALUES } from '../../services/windows-service/index.js';
import { repoRoot } from '../helpers/paths.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';

const built = buildManagementPack();
type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };
const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: false }).parse(built.xml) as Ordered[];

const nameOf = (o: Ordered) => Object.keys(o).find((k) => k !== ':@')!;
const kids = (o: Ordered) => (o[nameOf(o)] as Ordered[]).filter((c) => nameOf(c) !== '#text');
const child = (o: Ordered, n: string) => kids(o).find((c) => nameOf(c) === n)!;
function* walk(o: Ordered): Generator<Ordered> {
  yield o;
  if (nameOf(o) !== '#text') for (const c of o[nameOf(o)] as Ordered[]) yield* walk(c);
}
const textOf = (o: Ordered): string => (o[nameOf(o)] as Ordered[]).map((c) => (nameOf(c) === '#text' ? String(c['#text']) : textOf(c))).join('');
const root = ordered.find((o) => nameOf(o) === 'ManagementPack')!;
const all = [...walk(root)];

describe('management pack agentcert.Monitoring', () => {
  it('parses, and holds its sections in the order the MP schema requires', () => {
    expect(kids(root).map(nameOf)).toEqual(['Manifest', 'TypeDefinitions', 'Monitoring', 'Presentation', 'LanguagePacks']);
    expect(kids(child(root, 'TypeDefinitions')).map(nameOf)).toEqual(['EntityTypes', 'ModuleTypes', 'MonitorTypes']);
    expect(kids(child(root, 'Monitoring')).map(nameOf)).toEqual(['Discoveries', 'Rules', 'Tasks', 'Monitors']);
    expect(kids(child(root, 'Presentation')).map(nameOf)).toEqual(['Views', 'Folders', 'FolderItems', 'StringResources']);
    const modules = kids(child(child(root, 'TypeDefinitions'), 'ModuleTypes')).map(nameOf);
    const order = ['DataSourceModuleType', 'ProbeActionModuleType', 'ConditionDetectionModuleType', 'WriteActionModuleType'];
    expect([...modules].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(modules);
    expect(textOf(child(child(child(root, 'Manifest'), 'Identity'), 'Version'))).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('resolves every element reference, alias and $MPElement/$Target type to this MP or a referenced library element', () => {
    const ids = new Set(all.filter((o) => o[':@']?.['ID'] && nameOf(o) !== 'OverrideableParameter' && nameOf(o) !== 'OperationalState' && nameOf(o) !== 'MonitorTypeState' && nameOf(o) !== 'Reference').map((o) => o[':@']!['ID']!));
    ids.add(textOf(child(child(child(root, 'Manifest'), 'Identity'), 'ID'))); // the MP's own display string
    const aliases = new Set<string>(REFERENCES.map((r) => r.alias));
    const refs: string[] = [];
    for (const o of all) {
      const a = o[':@'] ?? {};
      for (const k of ['TypeID', 'Target', 'ParentMonitorID', 'Base', 'AlertMessage', 'ElementID', 'Folder', 'ParentFolder']) if (a[k]) refs.push(a[k]!);
      if (nameOf(o) === '#text') for (const m of String(o['#text']).matchAll(/\$MPElement\[Name="([^"]+)"\]|Property\[Type="([^"]+)"\]/g)) refs.push(m[1] ?? m[2]!);
    }
    expect(refs.length).toBeGreaterThan(100);
    const unresolved = refs.filter((r) => {
      if (r.startsWith('xsd:')) return false;
      const bang = r.indexOf('!');
      if (bang < 0) return !ids.has(r);
      const alias = r.slice(0, bang) as keyof typeof LIBRARY_ELEMENTS;
      return !aliases.has(alias) || !LIBRARY_ELEMENTS[alias].includes(r.slice(bang + 1));
    });
    expect(unresolved).toEqual([]);
    // Every alias in use is declared, and every declared one is used.
    const used = new Set(refs.filter((r) => r.includes('!')).map((r) => r.split('!')[0]));
    expect([...used].sort()).toEqual([...aliases].sort());
    // Local IDs are unique.
    const allIds = all.filter((o) => ['ClassType', 'DataSourceModuleType', 'WriteActionModuleType', 'UnitMonitorType', 'Discovery', 'Rule', 'Task', 'UnitMonitor', 'AggregateMonitor', 'View', 'Folder', 'FolderItem', 'StringResource'].includes(nameOf(o))).map((o) => o[':@']!['ID']!);
    expect(new Set(allIds).size).toBe(allIds.length);
  });

  it('gives every element a display string, every operational state and property a name, and every alerting element knowledge', () => {
    const shown = new Set(all.filter((o) => nameOf(o) === 'DisplayString').map((o) => `${o[':@']!['ElementID']}|${o[':@']!['SubElementID'] ?? ''}`));
    const need = all.filter((o) => ['ClassType', 'Discovery', 'Rule', 'Task', 'UnitMonitor', 'AggregateMonitor', 'View', 'Folder', 'StringResource'].includes(nameOf(o))).map((o) => `${o[':@']!['ID']}|`);
    for (const m of all.filter((o) => nameOf(o) === 'UnitMonitor')) for (const s of kids(child(m, 'OperationalStates'))) need.push(`${m[':@']!['ID']}|${s[':@']!['ID']}`);
    for (const c of all.filter((o) => nameOf(o) === 'ClassType')) for (const p of kids(c)) need.push(`${c[':@']!['ID']}|${p[':@']!['ID']}`);
    expect(need.filter((n) => !shown.has(n))).toEqual([]);
    const knowledge = new Set(all.filter((o) => nameOf(o) === 'KnowledgeArticle').map((o) => o[':@']!['ElementID']));
    const alerting = all.filter((o) => (nameOf(o) === 'UnitMonitor' && kids(o).some((c) => nameOf(c) === 'AlertSettings')) || nameOf(o) === 'Rule').map((o) => o[':@']!['ID']);
    expect(alerting.filter((id) => !knowledge.has(id))).toEqual([]);
  });

  it('uses exactly the event registry\'s IDs, levels, names and fixes for agentcert events', () => {
    const xml = built.xml;
    const mine = [...xml.matchAll(/EventDisplayNumber<\/XPathQuery>[\s\S]*?<Value Type="UnsignedInteger">(\d+)<\/Value>[\s\S]*?PublisherName<\/XPathQuery>[\s\S]*?<Value Type="String">([^<]+)<\/Value>/g)].map((m) => ({ id: Number(m[1]), source: m[2]! }));
    const agentcert = mine.filter((m) => m.source === EVENT_SOURCE).map((m) => m.id);
    const expected = EVENTS.filter((e) => e.use.kind !== 'none').map((e) => e.id);
    expect([...new Set(agentcert)].sort()).toEqual([...expected].sort());
    expect(mine.filter((m) => m.source !== EVENT_SOURCE)).toEqual([{ id: 21036, source: 'OpsMgr Connector' }, { id: 20053, source: 'OpsMgr Connector' }]);
    for (const e of EVENTS.filter((x) => x.use.kind !== 'none')) {
      const kind = e.use.kind === 'monitor' ? 'Monitor' : 'Alert';
      const id = `agentcert.Monitoring.Service.${kind}${e.id}`;
      const article = all.find((o) => nameOf(o) === 'KnowledgeArticle' && o[':@']!['ElementID'] === id)!;
      expect(textOf(article), id).toContain(e.fix);
      const ds = all.find((o) => nameOf(o) === 'DisplayString' && o[':@']!['ElementID'] === id && !o[':@']!['SubElementID'])!;
      expect(textOf(child(ds, 'Name'))).toContain(e.name);
    }
    // Monitor events carry their state in the level: each monitor's expressions use only the registry's levels.
    for (const e of EVENTS.filter((x) => x.use.kind === 'monitor')) {
      const inXml = [...built.xml.slice(built.xml.indexOf(`ID="agentcert.Monitoring.Service.Monitor${e.id}"`)).split('</UnitMonitor>')[0]!.matchAll(/EventLevel<\/XPathQuery>[\s\S]*?<Value Type="Integer">(\d)<\/Value>/g)].map((x) => Number(x[1]));
      expect(inXml.sort()).toEqual(e.levels.map((l) => ({ Error: 1, Warning: 2, Information: 4 })[l]).sort());
    }
  });

  it('embeds only PowerShell that parses', async () => {
    const scripts = all.filter((o) => nameOf(o) === 'ScriptBody').map(textOf);
    expect(scripts.length).toBe(3); // the certificate probe (one module for both monitors), the CLI task, the restart task
    for (const s of scripts) expect((await parsePowerShell(s)).errors).toEqual([]);
  });

  it('is committed as built, and the README\'s event and MP tables are the generated ones', () => {
    expect(readFileSync(path.join(repoRoot, MP_FILE), 'utf8')).toBe(built.xml);
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(withGeneratedTables(readme, built.parts)).toBe(readme);
    for (const e of EVENTS) expect(readme).toContain(`| ${e.id} | ${e.levels.join(' / ')} | ${e.name} |`);
  });

  it('discovers exactly the registry keys and values that service install and install-certificate.ps1 write', () => {
    expect(SERVICE_REGISTRY_KEY).toBe(`HKLM:\\${SERVICE_REGISTRY_PATH}`);
    for (const v of SERVICE_REGISTRY_VALUES) expect(built.xml).toContain(`<Path>${SERVICE_REGISTRY_PATH}\\${v}</Path>`);
    const installer = readFileSync(path.join(repoRoot, 'installers/install-certificate.ps1'), 'utf8');
    expect(installer).toContain(`$AgentcertAgentKey = 'HKLM:\\${AGENT_REGISTRY_PATH}'`);
    for (const v of ['Fqdn', 'Thumbprint']) {
      expect(installer).toContain(`New-ItemProperty -Path $AgentcertAgentKey -Name '${v}'`);
      expect(built.xml).toContain(`<Path>${AGENT_REGISTRY_PATH}\\${v}</Path>`);
    }
  });
});
