/**
 * The one registry of what agentcert writes to the Windows Application log (source `agentcert`): each event's
 * stable ID, its level and its parameter strings. The Event Log writer (services/notify/event-log.ts), the
 * README's event table and the management pack (services/management-pack/) are all made from this table, so an
 * ID, a level or a parameter can only change here. IDs are part of the contract: never renumber one.
 *
 * Parameter strings: %1 is always the whole message (what Event Viewer shows, because the source uses the .NET
 * message file whose only message is "%1"); %2 … are the values a management pack rule reads
 * (`Params/Param[2]` …), in the order of `params`.
 */
import { AgentcertError } from './errors.js';

export type EventLevel = 'Information' | 'Warning' | 'Error';

/** How the management pack uses an event: a unit monitor's state, an alert rule, or nothing (history only). */
export type EventUse =
  | { kind: 'monitor'; monitor: string }
  | { kind: 'alert'; severity: 'Warning' | 'Error'; priority: 'Low' | 'Normal' | 'High' }
  | { kind: 'none' };

export interface EventSpec {
  id: number;
  /** Stable key the code writes by. */
  key: string;
  /** Short name (README table, MP display strings). */
  name: string;
  /** The levels this ID is written with (monitor events carry their state in the level). */
  levels: readonly EventLevel[];
  /** Parameter names of %2, %3, … (%1 is the message). */
  params: readonly string[];
  use: EventUse;
  /** When it is written, for the README. */
  when: string;
  /** What to do (alert knowledge and the README). */
  fix: string;
}

/**
 * The monitors' events: one ID per monitor, its state in the level — Information = healthy, Warning = warning,
 * Error = critical. The IDs are the monitors' own IDs (README "Monitors", services/lifecycle/monitors.ts).
 */
const MONITOR_EVENTS: readonly EventSpec[] = [
  { id: 7001, key: 'monitor.watcher-alive', name: 'Share watcher alive', levels: ['Information', 'Error'], params: ['monitor', 'state', 'previous'], use: { kind: 'monitor', monitor: 'watcher-alive' }, when: 'the share watcher starts or stops watching requests/', fix: 'Check that the share is reachable from the service host with the service account\'s rights (modify on the share); `agentcert doctor` names the folder that fails. The service restarts the watcher when it is restarted.' },
  { id: 7002, key: 'monitor.store-writable', name: 'Store writable', levels: ['Information', 'Error'], params: ['monitor', 'state', 'previous'], use: { kind: 'monitor', monitor: 'store-writable' }, when: 'the SQLite store starts or stops accepting writes', fix: 'Free space on the disk of data.dir and give the service account full control of data.dir; keep data.dir on a local disk.' },
  { id: 7003, key: 'monitor.ca-reachable', name: 'CA reachable', levels: ['Information', 'Error'], params: ['monitor', 'state', 'previous'], use: { kind: 'monitor', monitor: 'ca-reachable' }, when: 'the CA backend\'s ping starts or stops answering', fix: 'On the CA: the Certificate Services service runs and `certutil -config "<CA>" -ping` answers from the service host under the service account (Request Certificates and Issue and Manage Certificates rights).' },
  { id: 7004, key: 'monitor.request-waiting', name: 'No request waiting too long', levels: ['Information', 'Warning', 'Error'], params: ['monitor', 'state', 'previous'], use: { kind: 'monitor', monitor: 'request-waiting' }, when: 'a request has waited in the pipeline or for approval longer than the thresholds, or no longer does', fix: 'Run the task "Show certificate history" for the FQDN in the alert (or `agentcert show <FQDN>`): a held request needs `agentcert approve`; one awaiting the CA needs a CA officer to issue it.' },
  { id: 7005, key: 'monitor.pipeline-activity', name: 'Activity while requests wait', levels: ['Information', 'Error'], params: ['monitor', 'state', 'previous'], use: { kind: 'monitor', monitor: 'pipeline-activity' }, when: 'requests are due but nothing was recorded for monitors.stallMinutes, or activity resumed', fix: 'Restart the service (task "Restart agentcert service"); if it persists run the task "Run agentcert doctor" and read the service log under data.dir\\logs.' },
  { id: 7006, key: 'monitor.requests-arriving', name: 'Requests arriving while renewals are due', levels: ['Information', 'Warning'], params: ['monitor', 'state', 'previous'], use: { kind: 'monitor', monitor: 'requests-arriving' }, when: 'certificates are due for renewal but no request (new or renewal) arrived for monitors.missingRequestsHours, or requests arrive again', fix: 'The agents\' renewal tasks do not reach the share: check that packaging.shareUncPath is reachable from the agents (computer accounts need write on requests\\) and look at results\\<FQDN>.renewal.json on the share.' },
];

const OUTCOME_EVENTS: readonly EventSpec[] = [
  { id: 7100, key: 'service.started', name: 'Service started', levels: ['Information'], params: ['version', 'caBackend', 'share'], use: { kind: 'none' }, when: 'the service has started and watches the share', fix: 'Nothing to do.' },
  { id: 7101, key: 'service.stopped', name: 'Service stopped', levels: ['Information'], params: ['version'], use: { kind: 'none' }, when: 'the service stopped after finishing its work in flight', fix: 'Nothing to do, unless nobody stopped it: then look at the service log under data.dir\\logs.' },
  { id: 7110, key: 'request.issued', name: 'Certificate issued', levels: ['Information'], params: ['fqdn', 'requestId', 'serialNumber'], use: { kind: 'none' }, when: 'the CA issued a certificate for a request', fix: 'Nothing to do; the package follows in issued\\<FQDN>\\.' },
  { id: 7111, key: 'request.rejected', name: 'Request rejected', levels: ['Warning'], params: ['fqdn', 'requestId', 'reason'], use: { kind: 'none' }, when: 'a request broke a policy rule', fix: 'The server owner reads rejected\\<FQDN>.txt on the share: it names each rule and the INF line that fixes it.' },
  { id: 7112, key: 'request.held', name: 'Request held for approval', levels: ['Warning'], params: ['fqdn', 'requestId', 'reason'], use: { kind: 'none' }, when: 'a request waits for an administrator\'s approval', fix: '`agentcert approve <FQDN>` or `agentcert deny <FQDN> --reason …` (or the dashboard).' },
  { id: 7113, key: 'request.denied', name: 'Request denied', levels: ['Warning'], params: ['fqdn', 'requestId', 'reason'], use: { kind: 'none' }, when: 'an administrator or the CA denied a request', fix: 'Read the reason in rejected\\<FQDN>.txt; fix the request or the CA policy and drop a new request.' },
  { id: 7120, key: 'ca.failed', name: 'CA failure', levels: ['Error'], params: ['fqdn', 'requestId', 'reason'], use: { kind: 'alert', severity: 'Error', priority: 'High' }, when: 'the CA failed a request permanently (output of no known shape, or an error that retrying cannot fix)', fix: 'Read the CA text in `agentcert show <FQDN>`; check the CA with `certutil -config "<CA>" -ping` and its event log; then drop the request again.' },
  { id: 7121, key: 'request.failed', name: 'Request failed', levels: ['Error'], params: ['fqdn', 'requestId', 'reason'], use: { kind: 'none' }, when: 'a request failed for another permanent reason (a certificate the verify gate refused is event 7122)', fix: 'Read the failed check in `agentcert show <FQDN>`; fix the CA configuration (chain, EKU, validity) and drop the request again.' },
  { id: 7122, key: 'certificate.refused', name: 'Certificate refused after signing', levels: ['Warning', 'Error'], params: ['fqdn', 'requestId', 'reason'], use: { kind: 'alert', severity: 'Error', priority: 'High' }, when: 'the CA signed a certificate the verify gate refused (names, EKU, chain): Warning when agentcert revoked it, Error when it could not (reason AC_CA_CANNOT_REVOKE)', fix: 'Read the failed checks in `agentcert show <FQDN>` (and rejected\\<FQDN>.txt); when not revoked, run the command in the event now. Then keep the CA pending (certutil -setreg policy\\RequestDisposition 0x100) or set ca.adcs.issuesAtSubmit: true.' },
  { id: 7130, key: 'install.failed', name: 'Install failed', levels: ['Error'], params: ['fqdn', 'requestId', 'reason'], use: { kind: 'alert', severity: 'Error', priority: 'Normal' }, when: 'an agent reported that installing its package failed (results\\<FQDN>.json)', fix: 'Read the diagnosis in `agentcert show <FQDN>` (and %ProgramData%\\agentcert\\<FQDN>\\result.json on the agent), fix the cause it names, and run the package again on the agent as administrator.' },
  { id: 7131, key: 'install.succeeded', name: 'Certificate installed', levels: ['Information'], params: ['fqdn', 'requestId', 'reason'], use: { kind: 'none' }, when: 'an agent reported its certificate installed and bound', fix: 'Nothing to do.' },
  { id: 7140, key: 'certificate.expiring', name: 'Certificate expiring', levels: ['Warning', 'Error'], params: ['fqdn', 'serialNumber', 'daysLeft', 'notAfter'], use: { kind: 'alert', severity: 'Warning', priority: 'Normal' }, when: 'a certificate entered an expiry window (lifecycle.expiryWindowsDays) without a successful renewal; Error in the tightest window', fix: 'Check the renewal task on the agent (results\\<FQDN>.renewal.json on the share), or make a new request on the agent with request-certificate.ps1 and run its package.' },
  { id: 7141, key: 'renewal.overdue', name: 'Renewal overdue', levels: ['Warning'], params: ['fqdn', 'serialNumber', 'dueAt', 'notAfter'], use: { kind: 'alert', severity: 'Warning', priority: 'Normal' }, when: 'a certificate is past its renewal date by lifecycle.renewalOverdueDays and no request for its FQDN arrived since it was issued', fix: 'On the agent: the scheduled task "agentcert renewal <FQDN>" exists and runs (Task Scheduler history); it needs the share (packaging.shareUncPath) reachable from the computer account. Or renew by hand: request-certificate.ps1 -Renew.' },
];

export const EVENTS: readonly EventSpec[] = [...MONITOR_EVENTS, ...OUTCOME_EVENTS];

export type EventKey = (typeof EVENTS)[number]['key'];

export const EVENT_SOURCE = 'agentcert';
export const EVENT_LOG_NAME = 'Application';

export function eventByKey(key: string): EventSpec {
  const e = EVENTS.find((x) => x.key === key);
  if (!e) throw new AgentcertError('AC_INTERNAL', `no event "${key}" in the event registry`);
  return e;
}

export function monitorEvent(monitorId: string): EventSpec {
  const e = EVENTS.find((x) => x.use.kind === 'monitor' && x.use.monitor === monitorId);
  if (!e) throw new AgentcertError('AC_INTERNAL', `no event for monitor "${monitorId}" in the event registry`);
  return e;
}

/** Win32 event levels as the Event Log stores them and SCOM's `EventLevel` filters compare (1 Error, 2 Warning, 4 Information). */
export const EVENT_LEVEL_NUMBER: Record<EventLevel, number> = { Error: 1, Warning: 2, Information: 4 };

/** The level a monitor state is written with. */
export function levelOfState(state: 'healthy' | 'warning' | 'critical'): EventLevel {
  return state === 'healthy' ? 'Information' : state === 'warning' ? 'Warning' : 'Error';
}

/** What the lifecycle hands an outside-world writer: one registry event with its values (services/notify/event-log.ts). */
export interface EventRecord {
  key: string;
  /** Needed only where the registry allows more than one level. */
  level?: EventLevel;
  message: string;
  /** The registry's `params`, by name. */
  values: Record<string, string | number>;
}

export interface EventSink {
  emit(e: EventRecord): void;
}
