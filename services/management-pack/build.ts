/**
 * The management pack `agentcert.Monitoring` (unsealed XML), assembled from its two halves in the section order
 * the MP schema requires: Manifest, TypeDefinitions (EntityTypes, ModuleTypes, MonitorTypes), Monitoring
 * (Discoveries, Rules, Tasks, Monitors), Presentation (Views, Folders, FolderItems, StringResources),
 * LanguagePacks. https://learn.microsoft.com/system-center/scom/manage-mp-schema (MP schema reference).
 * The file in management-pack/ is this function's output (`npm run build:mp`; a test checks they are equal).
 */
import { agentcertVersion } from '../version.js';
import { agentPart } from './agent-part.js';
import { LIBRARY_ELEMENTS, PUBLIC_KEY_TOKEN, REFERENCES } from './library.js';
import { AGENT_CLASS, mergeParts, MP_ID, SERVICE_CLASS, XSD, type DisplayString, type Knowledge, type MpParts } from './parts.js';
import { servicePart } from './service-part.js';
import { renderDocument, t, x, type XmlNode } from './xml.js';

export { LIBRARY_ELEMENTS, REFERENCES };

/** A four-part MP version from the package version (0.1.0 → 0.1.0.0). */
export function mpVersion(v = agentcertVersion()): string {
  const parts = v.split(/[.-]/).filter((s) => /^\d+$/.test(s)).slice(0, 4);
  while (parts.length < 4) parts.push('0');
  return parts.join('.');
}

function manifest(version: string): XmlNode {
  return x('Manifest',
    x('Identity', t('ID', MP_ID), t('Version', version)),
    t('Name', 'agentcert Monitoring'),
    x('References', REFERENCES.map((r) => x('Reference', { Alias: r.alias }, t('ID', r.id), t('Version', r.version), t('PublicKeyToken', PUBLIC_KEY_TOKEN)))));
}

function presentation(p: MpParts): XmlNode {
  const folder = `${MP_ID}.Folder`;
  const views = [
    { id: `${MP_ID}.View.Services`, target: SERVICE_CLASS, name: 'agentcert Services' },
    { id: `${MP_ID}.View.AgentCertificates`, target: AGENT_CLASS, name: 'agentcert Agent Certificates' },
  ];
  p.displayStrings.push({ id: folder, name: 'agentcert' }, ...views.map((v) => ({ id: v.id, name: v.name })));
  return x('Presentation',
    x('Views', views.map((v) => x('View', { ID: v.id, Accessibility: 'Public', Enabled: 'true', Target: v.target, TypeID: 'SC!Microsoft.SystemCenter.StateViewType', Visible: 'true' }, t('Category', 'Operations'), x('Criteria')))),
    x('Folders', x('Folder', { ID: folder, Accessibility: 'Public', ParentFolder: 'SC!Microsoft.SystemCenter.Monitoring.ViewFolder.Root' })),
    x('FolderItems', views.map((v) => x('FolderItem', { ElementID: v.id, ID: `${v.id}.FolderItem`, Folder: folder }))),
    x('StringResources', p.stringResources));
}

function displayString(d: DisplayString): XmlNode {
  return x('DisplayString', { ElementID: d.id, SubElementID: d.sub }, t('Name', d.name), d.description !== undefined ? t('Description', d.description) : null);
}

const MAML = 'http://schemas.microsoft.com/maml/2004/10';
function knowledgeArticle(k: Knowledge): XmlNode {
  const section = (title: string, text: string) => x('maml:section', { 'xmlns:maml': MAML }, t('maml:title', title), t('maml:para', text));
  return x('KnowledgeArticle', { ElementID: k.id, Visible: 'true' }, x('MamlContent', section('Summary', k.summary), section('Causes', k.causes), section('Resolutions', k.resolution)));
}

/** ModuleTypes holds its kinds in this order (MP schema). */
const MODULE_ORDER = ['DataSourceModuleType', 'ProbeActionModuleType', 'ConditionDetectionModuleType', 'WriteActionModuleType'];

export interface BuiltMp {
  xml: string;
  parts: MpParts;
  version: string;
}

export function buildManagementPack(version = mpVersion()): BuiltMp {
  const p = mergeParts(servicePart(), agentPart());
  const pres = presentation(p);
  const mpDisplay: DisplayString = { id: MP_ID, name: 'agentcert Monitoring', description: 'Monitors the agentcert certificate service (its Windows service and its own monitors, from the Application log) and the certificate of every agent agentcert installed one on: days to expiry, chain in machine context, and the agent\'s 21036 / 0x8009030D verdict.' };
  const root = x('ManagementPack', { ContentReadable: 'true', SchemaVersion: '2.0', 'xmlns:xsd': XSD },
    manifest(version),
    x('TypeDefinitions',
      x('EntityTypes', x('ClassTypes', p.classes)),
      x('ModuleTypes', [...p.moduleTypes].sort((a, b) => MODULE_ORDER.indexOf(a.n) - MODULE_ORDER.indexOf(b.n))),
      x('MonitorTypes', p.monitorTypes)),
    x('Monitoring', x('Discoveries', p.discoveries), x('Rules', p.rules), x('Tasks', p.tasks), x('Monitors', p.monitors)),
    pres,
    x('LanguagePacks', x('LanguagePack', { ID: 'ENU', IsDefault: 'true' },
      x('DisplayStrings', [mpDisplay, ...p.displayStrings].map(displayString)),
      x('KnowledgeArticles', p.knowledge.map(knowledgeArticle)))));
  return { xml: renderDocument(root), parts: p, version };
}

export const MP_FILE = 'management-pack/agentcert.Monitoring.xml';
