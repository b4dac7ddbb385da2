/**
 * The service host half of the management pack: the agentcert service (discovered from the registry key that
 * `agentcert service install` writes), its NT service monitor, one event monitor per agentcert monitor (7001 …,
 * from the event registry), the alert rules, and the console tasks.
 */
import { EVENT_LEVEL_NUMBER, EVENT_LOG_NAME, EVENT_SOURCE, EVENTS, type EventSpec } from '../domain/index.js';
import { SERVICE_REGISTRY_PATH, SERVICE_REGISTRY_VALUES } from '../windows-service/host-script.js';
import {
  alertMessage, alertSettings, COMPUTER_NAME, emptyParts, eventMatch, MP_ID, overrideable, parameters, property, SERVICE_CLASS, simple, xsdElement, type MpParts,
} from './parts.js';
import { CLI_TASK_SCRIPT, RESTART_TASK_SCRIPT } from './scripts.js';
import { t, x, type XmlNode } from './xml.js';

const HEALTH_ROLLUP = `${MP_ID}.Service.PipelineHealth`;
const CLI_WRITE_ACTION = `${MP_ID}.CliTask.WriteAction`;
const computer = (p: string) => `$Target/Property[Type="Windows!Microsoft.Windows.Computer"]/${p}$`;
const HOST_PRINCIPAL = '$Target/Host/Property[Type="Windows!Microsoft.Windows.Computer"]/PrincipalName$';

function serviceClass(p: MpParts): void {
  p.classes.push(
    x('ClassType', { ID: SERVICE_CLASS, Accessibility: 'Public', Abstract: 'false', Base: 'Windows!Microsoft.Windows.LocalApplication', Hosted: 'true', Singleton: 'false', Extension: 'false' },
      ...SERVICE_REGISTRY_VALUES.map((v) => x('Property', { ID: v, Type: 'string', AutoIncrement: 'false', Key: 'false', CaseSensitive: 'false', MaxLength: 1024, MinLength: 0, Required: 'false', Scale: 0 }))),
  );
  p.displayStrings.push({ id: SERVICE_CLASS, name: 'agentcert Service', description: 'The agentcert certificate service on the server that runs it (registry key HKLM\\SOFTWARE\\agentcert\\Service).' });
  for (const v of SERVICE_REGISTRY_VALUES) p.displayStrings.push({ id: SERVICE_CLASS, sub: v, name: v });
}

function regAttr(name: string, path: string, pathType: 0 | 1, attributeType: 0 | 1): XmlNode {
  return x('RegistryAttributeDefinition', t('AttributeName', name), t('Path', path), t('PathType', pathType), t('AttributeType', attributeType));
}

function setting(name: string, value: string): XmlNode {
  return x('Setting', t('Name', name), t('Value', value));
}

function serviceDiscovery(p: MpParts): void {
  const id = `${MP_ID}.Service.Discovery`;
  p.discoveries.push(
    x('Discovery', { ID: id, Enabled: 'true', Target: 'Windows!Microsoft.Windows.Computer', ConfirmDelivery: 'false', Remotable: 'true', Priority: 'Normal' },
      t('Category', 'Discovery'),
      x('DiscoveryTypes', x('DiscoveryClass', { TypeID: SERVICE_CLASS }, x('Property', { TypeID: 'System!System.Entity', PropertyID: 'DisplayName' }), ...SERVICE_REGISTRY_VALUES.map((v) => x('Property', { TypeID: SERVICE_CLASS, PropertyID: v })))),
      x('DataSource', { ID: 'DS', TypeID: 'Windows!Microsoft.Windows.FilteredRegistryDiscoveryProvider' },
        t('ComputerName', computer('NetworkName')),
        x('RegistryAttributeDefinitions', regAttr('KeyExists', SERVICE_REGISTRY_PATH, 0, 0), ...SERVICE_REGISTRY_VALUES.map((v) => regAttr(v, `${SERVICE_REGISTRY_PATH}\\${v}`, 1, 1))),
        t('Frequency', 14400),
        t('ClassId', `$MPElement[Name="${SERVICE_CLASS}"]$`),
        x('InstanceSettings', x('Settings',
          setting('$MPElement[Name="Windows!Microsoft.Windows.Computer"]/PrincipalName$', computer('PrincipalName')),
          setting('$MPElement[Name="System!System.Entity"]/DisplayName$', `agentcert on ${computer('PrincipalName')}`),
          ...SERVICE_REGISTRY_VALUES.map((v) => setting(`$MPElement[Name="${SERVICE_CLASS}"]/${v}$`, `$Data/Values/${v}$`)))),
        x('Expression', simple('Values/KeyExists', 'Boolean', 'Equal', 'true')))),
  );
  p.displayStrings.push({ id, name: 'Discover the agentcert service', description: `Finds HKLM\\${SERVICE_REGISTRY_PATH} (written by agentcert service install) every 4 hours.` });
  p.rows.push({ table: 'discoveries', cells: ['agentcert Service', 'Windows Computer', `registry key HKLM\\${SERVICE_REGISTRY_PATH} (written by \`agentcert service install\`), every 4 h`, SERVICE_REGISTRY_VALUES.join(', ')] });
}

function ntServiceMonitor(p: MpParts): void {
  const id = `${MP_ID}.Service.NTService`;
  const msg = alertMessage(p, id, 'agentcert service is not running', 'The Windows service {0} on {1} is not running. Start it (task "Restart agentcert service") and read the wrapper log under the data folder\'s logs.');
  p.monitors.push(
    x('UnitMonitor', { ID: id, Accessibility: 'Public', Enabled: 'true', Target: SERVICE_CLASS, ParentMonitorID: 'Health!System.Health.AvailabilityState', Remotable: 'true', Priority: 'Normal', TypeID: 'Windows!Microsoft.Windows.CheckNTServiceStateMonitorType', ConfirmDelivery: 'false' },
      t('Category', 'AvailabilityHealth'),
      alertSettings(msg, [property(SERVICE_CLASS, 'ServiceName'), HOST_PRINCIPAL], 'Error'),
      x('OperationalStates', x('OperationalState', { ID: 'Running', MonitorTypeStateID: 'Running', HealthState: 'Success' }), x('OperationalState', { ID: 'NotRunning', MonitorTypeStateID: 'NotRunning', HealthState: 'Error' })),
      x('Configuration', t('ComputerName', COMPUTER_NAME), t('ServiceName', property(SERVICE_CLASS, 'ServiceName')), t('CheckStartupType', 'true'))),
  );
  p.displayStrings.push({ id, name: 'agentcert Windows service', description: 'The service registered by agentcert service install runs (automatic start).' }, { id, sub: 'Running', name: 'Running' }, { id, sub: 'NotRunning', name: 'Not running' });
  p.knowledge.push({ id, summary: 'The agentcert Windows service is not running: requests on the share are not processed and no certificate is issued or renewed.', causes: 'The service was stopped, failed more often than its recovery restarts (10 s, 60 s, then every 5 min; the count is reset after a day), or its account lost "Log on as a service".', resolution: 'Run the task "Restart agentcert service". If it stops again, run the task "Run agentcert doctor" and read the newest log in the data folder\'s logs\\ (agentcert-service.*.log): a configuration problem names its key.' });
  p.rows.push({ table: 'monitors', cells: ['agentcert Windows service', 'agentcert Service', 'NT service state (automatic start)', 'Running / Not running (critical)', 'yes'] });
}

function eventMonitor(p: MpParts, e: EventSpec): void {
  const id = `${MP_ID}.Service.Monitor${e.id}`;
  const three = e.levels.length === 3;
  const unhealthyLevel = e.levels.includes('Error') ? 'Error' : 'Warning';
  const expr = (level: keyof typeof EVENT_LEVEL_NUMBER) => eventMatch(e.id, EVENT_SOURCE, EVENT_LEVEL_NUMBER[level]);
  const leg = (ordinal: string, level: keyof typeof EVENT_LEVEL_NUMBER) => [t(`${ordinal}ComputerName`, COMPUTER_NAME), t(`${ordinal}LogName`, EVENT_LOG_NAME), x(`${ordinal}Expression`, expr(level))];
  const legs = three ? [...leg('First', 'Error'), ...leg('Second', 'Warning'), ...leg('Third', 'Information')] : [...leg('First', unhealthyLevel), ...leg('Second', 'Information')];
  const states = three
    ? [['Critical', 'FirstEventRaised', 'Error'], ['Warning', 'SecondEventRaised', 'Warning'], ['Healthy', 'ThirdEventRaised', 'Success']]
    : [['Unhealthy', 'FirstEventRaised', unhealthyLevel === 'Error' ? 'Error' : 'Warning'], ['Healthy', 'SecondEventRaised', 'Success']];
  const msg = alertMessage(p, id, `agentcert: ${e.name}`, `${e.name} is not healthy on {0}: {1}`);
  p.monitors.push(
    x('UnitMonitor', { ID: id, Accessibility: 'Public', Enabled: 'true', Target: SERVICE_CLASS, ParentMonitorID: HEALTH_ROLLUP, Remotable: 'true', Priority: 'Normal', TypeID: three ? 'Windows!Microsoft.Windows.3SingleEventLog3StateUnitMonitorType' : 'Windows!Microsoft.Windows.2SingleEventLog2StateMonitorType', ConfirmDelivery: 'false' },
      t('Category', 'AvailabilityHealth'),
      alertSettings(msg, [HOST_PRINCIPAL, '$Data/Context/EventDescription$'], 'Warning'),
      x('OperationalStates', states.map(([sid, mts, hs]) => x('OperationalState', { ID: sid, MonitorTypeStateID: mts, HealthState: hs }))),
      x('Configuration', legs)),
  );
  p.displayStrings.push({ id, name: `${e.id} ${e.name}`, description: `Event ${e.id} from ${EVENT_SOURCE} in the ${EVENT_LOG_NAME} log: ${e.when}. Information = healthy${three ? ', Warning = warning, Error = critical' : `, ${unhealthyLevel} = ${unhealthyLevel === 'Error' ? 'critical' : 'warning'}`}.` });
  for (const [sid] of states) p.displayStrings.push({ id, sub: sid!, name: sid! });
  p.knowledge.push({ id, summary: `agentcert monitor ${e.id} "${e.name}" is not healthy.`, causes: `agentcert writes event ${e.id} when ${e.when}; the alert's description is the monitor's message.`, resolution: e.fix });
  const stateText = three ? 'Information healthy / Warning / Error critical' : `Information healthy / ${unhealthyLevel} ${unhealthyLevel === 'Error' ? 'critical' : 'warning'}`;
  p.rows.push({ table: 'monitors', cells: [`${e.id} ${e.name}`, 'agentcert Service', `event ${e.id} (${EVENT_SOURCE}, ${EVENT_LOG_NAME}), rolled up under "agentcert pipeline"`, stateText, 'yes'] });
}

function alertRule(p: MpParts, e: EventSpec & { use: { kind: 'alert' } }): void {
  const id = `${MP_ID}.Service.Alert${e.id}`;
  const msg = alertMessage(p, id, `agentcert: ${e.name}`, '{0}: {1}');
  const severity = { Warning: 1, Error: 2 }[e.use.severity];
  const priority = { Low: 0, Normal: 1, High: 2 }[e.use.priority];
  p.rules.push(
    x('Rule', { ID: id, Enabled: 'true', Target: SERVICE_CLASS, ConfirmDelivery: 'true', Remotable: 'true', Priority: 'Normal', DiscardLevel: 100 },
      t('Category', 'Alert'),
      x('DataSources', x('DataSource', { ID: 'DS', TypeID: 'Windows!Microsoft.Windows.EventProvider' }, t('ComputerName', COMPUTER_NAME), t('LogName', EVENT_LOG_NAME), x('Expression', eventMatch(e.id, EVENT_SOURCE)))),
      x('WriteActions', x('WriteAction', { ID: 'Alert', TypeID: 'Health!System.Health.GenerateAlert' },
        t('Priority', priority), t('Severity', severity), t('AlertMessageId', `$MPElement[Name="${msg}"]$`),
        x('AlertParameters', t('AlertParameter1', '$Data/Params/Param[2]$'), t('AlertParameter2', '$Data/EventDescription$')),
        // One alert per FQDN (%2) until it is closed; repeats raise its repeat count.
        x('Suppression', t('SuppressionValue', '$Data/Params/Param[2]$'))))),
  );
  p.displayStrings.push({ id, name: `Alert on ${e.id} ${e.name}`, description: `Event ${e.id} from ${EVENT_SOURCE}: ${e.when}.` });
  p.knowledge.push({ id, summary: `agentcert wrote event ${e.id} "${e.name}".`, causes: `agentcert writes it when ${e.when}. The alert names the FQDN (event parameter 2); the description is the event's message.`, resolution: e.fix });
  p.rows.push({ table: 'rules', cells: [`Alert on ${e.id} ${e.name}`, 'agentcert Service', `event ${e.id} (${e.levels.join('/')})`, `${e.use.severity}, priority ${e.use.priority}, one alert per FQDN`] });
}

function cliWriteAction(p: MpParts): void {
  const svc = (v: string) => property(SERVICE_CLASS, v);
  p.moduleTypes.push(
    x('WriteActionModuleType', { ID: CLI_WRITE_ACTION, Accessibility: 'Internal', Batching: 'false' },
      x('Configuration', xsdElement('Command', 'string'), xsdElement('Key', 'string', 0), xsdElement('TimeoutSeconds', 'integer')),
      x('OverrideableParameters', overrideable('Key', 'string'), overrideable('TimeoutSeconds', 'int')),
      x('ModuleImplementation', { Isolation: 'Any' }, x('Composite',
        x('MemberModules', x('WriteAction', { ID: 'Script', TypeID: 'Windows!Microsoft.Windows.PowerShellWriteAction' },
          t('ScriptName', 'agentcert-cli-task.ps1'), t('ScriptBody', CLI_TASK_SCRIPT),
          parameters({ NodePath: svc('NodePath'), CliPath: svc('CliPath'), ConfigPath: svc('ConfigPath'), Command: '$Config/Command$', Key: '$Config/Key$' }),
          t('TimeoutSeconds', '$Config/TimeoutSeconds$'))),
        x('Composition', x('Node', { ID: 'Script' })))),
      t('OutputType', 'System!System.BaseData'),
      t('InputType', 'System!System.BaseData')),
  );
  p.displayStrings.push({ id: CLI_WRITE_ACTION, name: 'Run the agentcert CLI' });
}

function tasks(p: MpParts): void {
  cliWriteAction(p);
  const cli = (suffix: string, name: string, description: string, command: string, row: string) => {
    const id = `${MP_ID}.Service.Task.${suffix}`;
    p.tasks.push(x('Task', { ID: id, Accessibility: 'Public', Enabled: 'true', Target: SERVICE_CLASS, Timeout: 300, Remotable: 'true' }, t('Category', 'Maintenance'), x('WriteAction', { ID: 'Run', TypeID: CLI_WRITE_ACTION }, t('Command', command), x('Key'), t('TimeoutSeconds', 240))));
    p.displayStrings.push({ id, name, description });
    p.rows.push({ table: 'tasks', cells: [name, 'agentcert Service', row] });
  };
  cli('ShowHistory', 'Show certificate history', 'agentcert show <Key>: one host\'s request, certificate and whole event history. Override Key with the FQDN (or serial, thumbprint, request id); without it, the inventory.', 'show', '`agentcert show <Key>` (override **Key** with the FQDN, serial, thumbprint or request id; empty: `agentcert list`)');
  cli('Doctor', 'Run agentcert doctor', 'agentcert doctor: configuration, share, store, CA, CRL, tools, service, tokens and monitors, one line each.', 'doctor', '`agentcert doctor` with the service\'s config file');
  const id = `${MP_ID}.Service.Task.Restart`;
  p.tasks.push(
    x('Task', { ID: id, Accessibility: 'Public', Enabled: 'true', Target: SERVICE_CLASS, Timeout: 180, Remotable: 'true' }, t('Category', 'Maintenance'),
      x('WriteAction', { ID: 'Restart', TypeID: 'Windows!Microsoft.Windows.PowerShellWriteAction' }, t('ScriptName', 'agentcert-restart-task.ps1'), t('ScriptBody', RESTART_TASK_SCRIPT), parameters({ ServiceName: property(SERVICE_CLASS, 'ServiceName') }), t('TimeoutSeconds', 120))),
  );
  p.displayStrings.push({ id, name: 'Restart agentcert service', description: 'Restart-Service on the agentcert service (it finishes in-flight work first) and show its state.' });
  p.rows.push({ table: 'tasks', cells: ['Restart agentcert service', 'agentcert Service', '`Restart-Service` on the service, then its state'] });
}

export function servicePart(): MpParts {
  const p = emptyParts();
  serviceClass(p);
  serviceDiscovery(p);
  p.monitors.push(x('AggregateMonitor', { ID: HEALTH_ROLLUP, Accessibility: 'Public', Enabled: 'true', Target: SERVICE_CLASS, ParentMonitorID: 'Health!System.Health.AvailabilityState', Remotable: 'true', Priority: 'Normal' }, t('Category', 'AvailabilityHealth'), t('Algorithm', 'WorstOf')));
  p.displayStrings.push({ id: HEALTH_ROLLUP, name: 'agentcert pipeline', description: 'The worst of agentcert\'s own monitors (events 7001 …), rolled up to availability.' });
  ntServiceMonitor(p);
  for (const e of EVENTS) if (e.use.kind === 'monitor') eventMonitor(p, e);
  for (const e of EVENTS) if (e.use.kind === 'alert') alertRule(p, e as EventSpec & { use: { kind: 'alert' } });
  tasks(p);
  return p;
}
