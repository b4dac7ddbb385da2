/**
 * The agent half of the management pack: every agent with an agentcert certificate (discovered from the marker
 * install-certificate.ps1 writes beside the binding, HKLM\SOFTWARE\agentcert\Agent) gets monitors for the bound
 * certificate's days to expiry, its certification path in machine context, and the agent's own verdict on it
 * (event 21036, often 0x8009030D, against 20053 — docs/scom-facts.md §3). Each alert's knowledge names the fix.
 */
import {
  alertMessage, alertSettings, and, AGENT_CLASS, COMPUTER_NAME, emptyParts, eventMatch, MP_ID, overrideable, parameters, property, simple, xsdElement, type MpParts,
} from './parts.js';
import { AGENT_CERTIFICATE_PROBE } from './scripts.js';
import { t, x, type XmlNode } from './xml.js';

export const AGENT_REGISTRY_PATH = 'SOFTWARE\\agentcert\\Agent';
const AGENT_VALUES = ['Fqdn', 'Thumbprint'] as const;
const PROBE_DS = `${MP_ID}.AgentCertificate.DataSource`;
const EXPIRY_TYPE = `${MP_ID}.AgentCertificate.Expiry.MonitorType`;
const CHAIN_TYPE = `${MP_ID}.AgentCertificate.Chain.MonitorType`;
/** The probe's defaults; both monitors use the same ones, so SCOM runs the script once for both (cook-down). */
const PROBE_DEFAULTS = { IntervalSeconds: 14400, TimeoutSeconds: 120 };
export const EXPIRY_DEFAULTS = { WarningDays: 30, CriticalDays: 7 };
const HOST_PRINCIPAL = '$Target/Host/Property[Type="Windows!Microsoft.Windows.Computer"]/PrincipalName$';

function agentClassAndDiscovery(p: MpParts): void {
  p.classes.push(
    x('ClassType', { ID: AGENT_CLASS, Accessibility: 'Public', Abstract: 'false', Base: 'Windows!Microsoft.Windows.LocalApplication', Hosted: 'true', Singleton: 'false', Extension: 'false' },
      ...AGENT_VALUES.map((v) => x('Property', { ID: v, Type: 'string', AutoIncrement: 'false', Key: 'false', CaseSensitive: 'false', MaxLength: 256, MinLength: 0, Required: 'false', Scale: 0 }))),
  );
  p.displayStrings.push({ id: AGENT_CLASS, name: 'agentcert Agent Certificate', description: 'The certificate an agentcert package installed and bound on this agent (registry key HKLM\\SOFTWARE\\agentcert\\Agent).' });
  for (const v of AGENT_VALUES) p.displayStrings.push({ id: AGENT_CLASS, sub: v, name: v });
  const id = `${MP_ID}.AgentCertificate.Discovery`;
  const reg = (name: string, path: string, pathType: 0 | 1, type: 0 | 1) => x('RegistryAttributeDefinition', t('AttributeName', name), t('Path', path), t('PathType', pathType), t('AttributeType', type));
  const setting = (name: string, value: string) => x('Setting', t('Name', name), t('Value', value));
  p.discoveries.push(
    x('Discovery', { ID: id, Enabled: 'true', Target: 'Windows!Microsoft.Windows.Computer', ConfirmDelivery: 'false', Remotable: 'true', Priority: 'Normal' },
      t('Category', 'Discovery'),
      x('DiscoveryTypes', x('DiscoveryClass', { TypeID: AGENT_CLASS }, x('Property', { TypeID: 'System!System.Entity', PropertyID: 'DisplayName' }), ...AGENT_VALUES.map((v) => x('Property', { TypeID: AGENT_CLASS, PropertyID: v })))),
      x('DataSource', { ID: 'DS', TypeID: 'Windows!Microsoft.Windows.FilteredRegistryDiscoveryProvider' },
        t('ComputerName', '$Target/Property[Type="Windows!Microsoft.Windows.Computer"]/NetworkName$'),
        x('RegistryAttributeDefinitions', reg('KeyExists', AGENT_REGISTRY_PATH, 0, 0), ...AGENT_VALUES.map((v) => reg(v, `${AGENT_REGISTRY_PATH}\\${v}`, 1, 1))),
        t('Frequency', 14400),
        t('ClassId', `$MPElement[Name="${AGENT_CLASS}"]$`),
        x('InstanceSettings', x('Settings',
          setting('$MPElement[Name="Windows!Microsoft.Windows.Computer"]/PrincipalName$', '$Target/Property[Type="Windows!Microsoft.Windows.Computer"]/PrincipalName$'),
          setting('$MPElement[Name="System!System.Entity"]/DisplayName$', 'agentcert certificate of $Data/Values/Fqdn$'),
          ...AGENT_VALUES.map((v) => setting(`$MPElement[Name="${AGENT_CLASS}"]/${v}$`, `$Data/Values/${v}$`)))),
        x('Expression', simple('Values/KeyExists', 'Boolean', 'Equal', 'true')))),
  );
  p.displayStrings.push({ id, name: 'Discover agentcert agent certificates', description: `Finds HKLM\\${AGENT_REGISTRY_PATH} (written by install-certificate.ps1 when it binds the certificate) every 4 hours.` });
  p.rows.push({ table: 'discoveries', cells: ['agentcert Agent Certificate', 'Windows Computer', `registry key HKLM\\${AGENT_REGISTRY_PATH} (written by install-certificate.ps1 at bind), every 4 h`, AGENT_VALUES.join(', ')] });
}

function probeDataSource(p: MpParts): void {
  p.moduleTypes.push(
    x('DataSourceModuleType', { ID: PROBE_DS, Accessibility: 'Internal', Batching: 'false' },
      x('Configuration', xsdElement('IntervalSeconds', 'integer'), xsdElement('TimeoutSeconds', 'integer')),
      x('OverrideableParameters', overrideable('IntervalSeconds', 'int'), overrideable('TimeoutSeconds', 'int')),
      x('ModuleImplementation', { Isolation: 'Any' }, x('Composite',
        x('MemberModules',
          x('DataSource', { ID: 'Scheduler', TypeID: 'System!System.SimpleScheduler' }, t('IntervalSeconds', '$Config/IntervalSeconds$'), x('SyncTime')),
          x('ProbeAction', { ID: 'Probe', TypeID: 'Windows!Microsoft.Windows.PowerShellPropertyBagTriggerOnlyProbe' },
            t('ScriptName', 'agentcert-agent-certificate.ps1'), t('ScriptBody', AGENT_CERTIFICATE_PROBE),
            parameters({ ExpectedThumbprint: property(AGENT_CLASS, 'Thumbprint') }),
            t('TimeoutSeconds', '$Config/TimeoutSeconds$'))),
        x('Composition', x('Node', { ID: 'Probe' }, x('Node', { ID: 'Scheduler' }))))),
      t('OutputType', 'System!System.PropertyBagData')),
  );
  p.displayStrings.push({ id: PROBE_DS, name: 'agentcert bound certificate probe' });
}

function filter(id: string, expression: XmlNode): XmlNode {
  return x('ConditionDetection', { ID: id, TypeID: 'System!System.ExpressionFilter' }, x('Expression', expression));
}

function monitorType(id: string, states: [string, XmlNode][], extraConfig: XmlNode[], extraOverrides: XmlNode[]): XmlNode {
  return x('UnitMonitorType', { ID: id, Accessibility: 'Internal' },
    x('MonitorTypeStates', states.map(([s]) => x('MonitorTypeState', { ID: s, NoDetection: 'false' }))),
    x('Configuration', xsdElement('IntervalSeconds', 'integer'), xsdElement('TimeoutSeconds', 'integer'), ...extraConfig),
    x('OverrideableParameters', overrideable('IntervalSeconds', 'int'), overrideable('TimeoutSeconds', 'int'), ...extraOverrides),
    x('MonitorImplementation',
      x('MemberModules', x('DataSource', { ID: 'DS', TypeID: PROBE_DS }, t('IntervalSeconds', '$Config/IntervalSeconds$'), t('TimeoutSeconds', '$Config/TimeoutSeconds$')), ...states.map(([s, e]) => filter(`Is${s}`, e))),
      x('RegularDetections', states.map(([s]) => x('RegularDetection', { MonitorTypeStateID: s }, x('Node', { ID: `Is${s}` }, x('Node', { ID: 'DS' })))))));
}

function monitorTypes(p: MpParts): void {
  const days = (op: string, v: string) => simple("Property[@Name='DaysLeft']", 'Integer', op, v);
  p.monitorTypes.push(
    monitorType(EXPIRY_TYPE, [['Healthy', days('Greater', '$Config/WarningDays$')], ['Warning', and(days('LessEqual', '$Config/WarningDays$'), days('Greater', '$Config/CriticalDays$'))], ['Critical', days('LessEqual', '$Config/CriticalDays$')]],
      [xsdElement('WarningDays', 'integer'), xsdElement('CriticalDays', 'integer')], [overrideable('WarningDays', 'int'), overrideable('CriticalDays', 'int')]),
    monitorType(CHAIN_TYPE, [['Healthy', simple("Property[@Name='ChainOk']", 'String', 'Equal', 'true')], ['Critical', simple("Property[@Name='ChainOk']", 'String', 'NotEqual', 'true')]], [], []),
  );
  p.displayStrings.push({ id: EXPIRY_TYPE, name: 'Bound certificate days to expiry' }, { id: CHAIN_TYPE, name: 'Bound certificate chain in machine context' });
}

interface AgentMonitor {
  suffix: string;
  name: string;
  description: string;
  type: string;
  states: [string, string, string][];
  config: XmlNode[];
  alert: { name: string; text: string; params: string[] };
  knowledge: { summary: string; causes: string; resolution: string };
  row: string[];
}

function agentMonitor(p: MpParts, m: AgentMonitor): void {
  const id = `${MP_ID}.AgentCertificate.${m.suffix}`;
  const msg = alertMessage(p, id, m.alert.name, m.alert.text);
  p.monitors.push(
    x('UnitMonitor', { ID: id, Accessibility: 'Public', Enabled: 'true', Target: AGENT_CLASS, ParentMonitorID: 'Health!System.Health.AvailabilityState', Remotable: 'true', Priority: 'Normal', TypeID: m.type, ConfirmDelivery: 'false' },
      t('Category', 'AvailabilityHealth'),
      alertSettings(msg, m.alert.params, 'Warning'),
      x('OperationalStates', m.states.map(([sid, mts, hs]) => x('OperationalState', { ID: sid, MonitorTypeStateID: mts, HealthState: hs }))),
      x('Configuration', m.config)),
  );
  p.displayStrings.push({ id, name: m.name, description: m.description });
  for (const [sid] of m.states) p.displayStrings.push({ id, sub: sid, name: sid });
  p.knowledge.push({ id, ...m.knowledge });
  p.rows.push({ table: 'monitors', cells: m.row });
}

function agentMonitors(p: MpParts): void {
  const probe = [t('IntervalSeconds', PROBE_DEFAULTS.IntervalSeconds), t('TimeoutSeconds', PROBE_DEFAULTS.TimeoutSeconds)];
  const bag = (name: string) => `$Data/Context/Property[@Name='${name}']$`;
  agentMonitor(p, {
    suffix: 'Expiry', name: 'agentcert certificate days to expiry', description: 'Days until the certificate the agent is bound to (ChannelCertificateHash) expires; a missing certificate is critical.', type: EXPIRY_TYPE,
    states: [['Healthy', 'Healthy', 'Success'], ['Warning', 'Warning', 'Warning'], ['Critical', 'Critical', 'Error']],
    config: [...probe, t('WarningDays', EXPIRY_DEFAULTS.WarningDays), t('CriticalDays', EXPIRY_DEFAULTS.CriticalDays)],
    alert: { name: 'agentcert: agent certificate expires soon', text: 'The certificate {1} of {0} expires in {2} day(s) ({3}). {4}', params: [HOST_PRINCIPAL, bag('Thumbprint'), bag('DaysLeft'), bag('NotAfter'), bag('ChainStatus')] },
    knowledge: {
      summary: 'The certificate this agent authenticates with expires soon (or is not in LocalMachine\\My at all: days left -1). When it expires the agent can no longer talk to its management server or gateway.',
      causes: 'The agent\'s renewal task (scheduled task "agentcert renewal <FQDN>", installed with the package) did not renew it: it cannot reach the share (packaging.shareUncPath), the service held or rejected the renewal, or the task was removed.',
      resolution: 'Renew: on the agent, look at the task\'s last result and at results\\<FQDN>.renewal.json on the share; run the task now (Task Scheduler), or run request-certificate.ps1 -Renew and then install the new package from issued\\<FQDN>\\ (install.cmd as administrator). A missing certificate: run the package again.',
    },
    row: ['agentcert certificate days to expiry', 'agentcert Agent Certificate', 'PowerShell probe every 4 h: days until the bound certificate expires', `> ${EXPIRY_DEFAULTS.WarningDays} healthy / ≤ ${EXPIRY_DEFAULTS.WarningDays} warning / ≤ ${EXPIRY_DEFAULTS.CriticalDays} or missing critical`, 'yes'],
  });
  agentMonitor(p, {
    suffix: 'Chain', name: 'agentcert certificate chain', description: 'The bound certificate\'s certification path builds in machine context (LocalMachine stores; no revocation check, as the installer checks it).', type: CHAIN_TYPE,
    states: [['Healthy', 'Healthy', 'Success'], ['Critical', 'Critical', 'Error']],
    config: probe,
    alert: { name: 'agentcert: agent certificate chain does not build', text: 'The certification path of {1} on {0} does not build in machine context: {2}', params: [HOST_PRINCIPAL, bag('Thumbprint'), bag('ChainStatus')] },
    knowledge: {
      summary: 'The agent\'s certificate does not chain to a trusted root in machine context: SCOM refuses it (often logged as 21036 / 0x8009030D).',
      causes: 'The root or issuing CA certificate is missing from LocalMachine\\Root or LocalMachine\\CA (or only in the current user\'s store), or a stale copy in the agent\'s store has an invalid path.',
      resolution: 'Run the package again on the agent (install.cmd as administrator): it adds the CA certificates to LocalMachine\\Root and \\CA and self-heals stale copies. If the CA was renewed, install the new CA certificate from the share\'s tools\\ folder.',
    },
    row: ['agentcert certificate chain', 'agentcert Agent Certificate', 'the same probe: X509Chain in machine context, no revocation check', 'builds healthy / does not build critical', 'yes'],
  });
  agentMonitor(p, {
    suffix: 'Event21036', name: 'agentcert certificate accepted by the agent', description: 'The agent\'s own verdict on its certificate: event 21036 (cannot be used, often 0x8009030D) from OpsMgr Connector in the Operations Manager log; 20053 (loaded) makes it healthy again.', type: 'Windows!Microsoft.Windows.2SingleEventLog2StateMonitorType',
    states: [['Unhealthy', 'FirstEventRaised', 'Error'], ['Healthy', 'SecondEventRaised', 'Success']],
    config: [
      t('FirstComputerName', COMPUTER_NAME), t('FirstLogName', 'Operations Manager'), x('FirstExpression', eventMatch(21036, 'OpsMgr Connector')),
      t('SecondComputerName', COMPUTER_NAME), t('SecondLogName', 'Operations Manager'), x('SecondExpression', eventMatch(20053, 'OpsMgr Connector')),
    ],
    alert: { name: 'agentcert: the agent cannot use its certificate (21036)', text: 'The agent on {0} cannot use its certificate: {1}', params: [HOST_PRINCIPAL, '$Data/Context/EventDescription$'] },
    knowledge: {
      summary: 'The agent logged 21036: the certificate named in Machine Settings cannot be used for authentication (often 0x8009030D, SEC_E_UNKNOWN_CREDENTIALS).',
      causes: 'The private key is missing or not associated with the certificate, a stale copy sits in the agent\'s store with an invalid path, or the chain does not build in machine context.',
      resolution: 'Run the package again on the agent (install.cmd as administrator): install-certificate.ps1 self-heals once — it removes stale copies, restarts CryptSvc and HealthService, re-adds the CA certificates, re-links the key and binds again. If 21036 persists, make a new request on the agent (request-certificate.ps1) and install its package.',
    },
    row: ['agentcert certificate accepted by the agent', 'agentcert Agent Certificate', 'event 21036 (OpsMgr Connector, Operations Manager log) unhealthy, 20053 healthy', '20053 healthy / 21036 critical', 'yes'],
  });
  p.rows.push(
    { table: 'overrides', cells: ['agentcert certificate days to expiry', 'WarningDays', String(EXPIRY_DEFAULTS.WarningDays), 'days left at or below which the monitor is warning'] },
    { table: 'overrides', cells: ['agentcert certificate days to expiry', 'CriticalDays', String(EXPIRY_DEFAULTS.CriticalDays), 'days left at or below which the monitor is critical'] },
    { table: 'overrides', cells: ['both certificate monitors', 'IntervalSeconds', String(PROBE_DEFAULTS.IntervalSeconds), 'how often the probe runs; override both monitors alike so the probe still runs once for both'] },
    { table: 'overrides', cells: ['both certificate monitors', 'TimeoutSeconds', String(PROBE_DEFAULTS.TimeoutSeconds), 'the probe\'s time limit'] },
    { table: 'overrides', cells: ['Show certificate history (task)', 'Key', '(empty)', 'the FQDN, serial, thumbprint or request id to show; empty lists the inventory'] },
  );
}

export function agentPart(): MpParts {
  const p = emptyParts();
  agentClassAndDiscovery(p);
  probeDataSource(p);
  monitorTypes(p);
  agentMonitors(p);
  return p;
}
