/**
 * What both halves of the management pack (the service host, the agents) are made of: the fragments each
 * section receives, and the expression and module helpers they share.
 */
import { t, x, type XmlNode } from './xml.js';

export const MP_ID = 'agentcert.Monitoring';
export const SERVICE_CLASS = `${MP_ID}.Service`;
export const AGENT_CLASS = `${MP_ID}.AgentCertificate`;
export const COMPUTER_NAME = '$Target/Host/Property[Type="Windows!Microsoft.Windows.Computer"]/NetworkName$';
export const XSD = 'http://www.w3.org/2001/XMLSchema';

export interface DisplayString {
  id: string;
  sub?: string;
  name: string;
  description?: string;
}

export interface Knowledge {
  id: string;
  summary: string;
  causes: string;
  resolution: string;
}

/** One row of the README's MP tables (services/management-pack/readme.ts). */
export interface MpRow {
  table: 'discoveries' | 'monitors' | 'rules' | 'tasks' | 'overrides';
  cells: string[];
}

export interface MpParts {
  classes: XmlNode[];
  moduleTypes: XmlNode[];
  monitorTypes: XmlNode[];
  discoveries: XmlNode[];
  rules: XmlNode[];
  tasks: XmlNode[];
  monitors: XmlNode[];
  views: XmlNode[];
  stringResources: XmlNode[];
  displayStrings: DisplayString[];
  knowledge: Knowledge[];
  rows: MpRow[];
}

export function emptyParts(): MpParts {
  return { classes: [], moduleTypes: [], monitorTypes: [], discoveries: [], rules: [], tasks: [], monitors: [], views: [], stringResources: [], displayStrings: [], knowledge: [], rows: [] };
}

export function mergeParts(...all: MpParts[]): MpParts {
  const out = emptyParts();
  for (const p of all) for (const k of Object.keys(out) as (keyof MpParts)[]) (out[k] as unknown[]).push(...(p[k] as unknown[]));
  return out;
}

export function simple(xpath: string, type: string, op: string, value: string | number): XmlNode {
  return x('SimpleExpression', x('ValueExpression', t('XPathQuery', xpath, { Type: type })), t('Operator', op), x('ValueExpression', t('Value', value, { Type: type })));
}

export function and(...exprs: XmlNode[]): XmlNode {
  return x('And', exprs.map((e) => x('Expression', e)));
}

/** An event from a source, by ID, and by level when given (1 Error, 2 Warning, 4 Information). */
export function eventMatch(id: number, source: string, level?: number): XmlNode {
  const parts = [simple('EventDisplayNumber', 'UnsignedInteger', 'Equal', id), simple('PublisherName', 'String', 'Equal', source)];
  if (level !== undefined) parts.push(simple('EventLevel', 'Integer', 'Equal', level));
  return and(...parts);
}

export function xsdElement(name: string, type: 'string' | 'integer', minOccurs = 1): XmlNode {
  return x('xsd:element', { minOccurs, name, type: `xsd:${type}`, 'xmlns:xsd': XSD });
}

export function overrideable(id: string, type: 'int' | 'string'): XmlNode {
  return x('OverrideableParameter', { ID: id, Selector: `$Config/${id}$`, ParameterType: type });
}

export function parameters(p: Record<string, string>): XmlNode {
  return x('Parameters', Object.entries(p).map(([name, value]) => x('Parameter', t('Name', name), t('Value', value))));
}

export function property(cls: string, prop: string): string {
  return `$Target/Property[Type="${cls}"]/${prop}$`;
}

/** The alert message of an element: a string resource and its display string ({0}, {1} … are the parameters). */
export function alertMessage(p: MpParts, element: string, name: string, description: string): string {
  const id = `${element}.AlertMessage`;
  p.stringResources.push(x('StringResource', { ID: id }));
  p.displayStrings.push({ id, name, description });
  return id;
}

export function alertSettings(messageId: string, params: string[], onState: 'Warning' | 'Error'): XmlNode {
  return x(
    'AlertSettings',
    { AlertMessage: messageId },
    t('AlertOnState', onState),
    t('AutoResolve', 'true'),
    t('AlertPriority', 'Normal'),
    t('AlertSeverity', 'MatchMonitorHealth'),
    x('AlertParameters', params.map((v, i) => t(`AlertParameter${i + 1}`, v))),
  );
}
