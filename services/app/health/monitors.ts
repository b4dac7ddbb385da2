/**
 * Health monitors in the manner of a SCOM management pack: a small fixed table of unit monitors, each with a
 * stable event ID and a state (healthy / warning / critical), rolled up to one service state (the worst). A
 * monitor changing state writes one log line with its event ID, so a log-based alert can key on the ID.
 * The IDs are part of the contract (README "Monitors"): never renumber one.
 */
import type { Config } from '../../config/index.js';
import type { CaBackend, Clock, Logger, Store } from '../../domain/index.js';

export type MonitorState = 'healthy' | 'warning' | 'critical';

export const MONITORS = [
  { id: 'watcher-alive', eventId: 7001, name: 'Share watcher alive' },
  { id: 'store-writable', eventId: 7002, name: 'Store writable' },
  { id: 'ca-reachable', eventId: 7003, name: 'CA reachable' },
  { id: 'request-waiting', eventId: 7004, name: 'No request waiting too long' },
  { id: 'pipeline-activity', eventId: 7005, name: 'Activity while requests wait' },
  { id: 'requests-arriving', eventId: 7006, name: 'Requests arriving while renewals are due' },
] as const;
export type MonitorId = (typeof MONITORS)[number]['id'];

export interface MonitorResult {
  id: MonitorId;
  eventId: number;
  name: string;
  state: MonitorState;
  message: string;
}

export interface HealthReport {
  state: MonitorState;
  checkedAt: string;
  monitors: MonitorResult[];
}

export interface MonitorDeps {
  config: Readonly<Config>;
  store: Store;
  /** null when the backend could not even be created (doctor reports why). */
  backend: CaBackend | null;
  clock: Clock;
  log: Logger;
  /** Called with each monitor's first state and every change (the Event Log writer listens here). */
  onMonitorChange?: (m: MonitorResult, previous: MonitorState | null) => void;
}

/** What the host process knows about its watcher; null where no watcher runs (the CLI). */
export type WatcherProbe = () => { state: MonitorState; message: string };

const RANK: Record<MonitorState, number> = { healthy: 0, warning: 1, critical: 2 };
export function worst(states: MonitorState[]): MonitorState {
  return states.reduce<MonitorState>((a, b) => (RANK[b] > RANK[a] ? b : a), 'healthy');
}
export function monitorStateValue(s: MonitorState): number {
  return RANK[s];
}

function minutes(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

export interface Monitors {
  evaluate(): Promise<HealthReport>;
}

type Reading = Pick<MonitorResult, 'state' | 'message'>;

/** 7002: a write the store accepts. */
async function storeWritable(d: MonitorDeps): Promise<Reading> {
  try {
    await d.store.state.heartbeat(d.clock.now().toISOString(), 'monitor');
    return { state: 'healthy', message: `${d.store.location} accepts writes` };
  } catch (err) {
    return { state: 'critical', message: `the store does not accept writes: ${(err as Error).message}` };
  }
}

/** 7003: the CA answers its ping; an answer is reused for monitors.caPingCacheSeconds (AD CS pings spawn certutil). */
class CaPing {
  private last: { at: number } & Reading = { at: -Infinity, state: 'healthy', message: '' };
  constructor(private readonly d: MonitorDeps) {}

  async read(): Promise<Reading> {
    const now = this.d.clock.now().getTime();
    if (now - this.last.at < this.d.config.monitors.caPingCacheSeconds * 1000) return this.last;
    const res = await this.ask();
    this.last = { at: now, ...res };
    return res;
  }

  private async ask(): Promise<Reading> {
    if (!this.d.backend) return { state: 'critical', message: 'no CA backend (see agentcert doctor)' };
    try {
      const p = await Promise.race([
        this.d.backend.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 15 s')), 15_000).unref()),
      ]);
      return { state: p.ok ? 'healthy' : 'critical', message: p.message };
    } catch (err) {
      return { state: 'critical', message: `the CA did not answer: ${(err as Error).message}` };
    }
  }
}

/** 7004: no request waits in the pipeline (or for an approval) longer than the thresholds. */
async function waiting(d: MonitorDeps): Promise<Reading> {
  const now = d.clock.now().getTime();
  const m = d.config.monitors;
  const oldest = await d.store.views.oldestIn('pipeline');
  const age = oldest ? now - new Date(oldest.since).getTime() : 0;
  if (oldest && age > m.waitingCriticalMinutes * 60_000) return { state: 'critical', message: `${oldest.fqdn} (${oldest.id}) has been ${oldest.state} for ${minutes(age)} (critical after ${m.waitingCriticalMinutes} min)` };
  if (oldest && age > m.waitingWarningMinutes * 60_000) return { state: 'warning', message: `${oldest.fqdn} (${oldest.id}) has been ${oldest.state} for ${minutes(age)} (warning after ${m.waitingWarningMinutes} min)` };
  const held = await d.store.views.oldestIn('awaitingPerson');
  const heldAge = held ? now - new Date(held.since).getTime() : 0;
  if (held && heldAge > m.approvalWarningHours * 3_600_000) return { state: 'warning', message: `${held.fqdn} (${held.id}) has waited for approval for ${minutes(heldAge)} (warning after ${m.approvalWarningHours} h)` };
  return { state: 'healthy', message: oldest ? `oldest waiting request: ${oldest.fqdn}, ${oldest.state} for ${minutes(age)}` : 'no request is waiting in the pipeline' };
}

/** 7005: while requests are due, something is recorded (the pipeline is not stuck). */
async function activity(d: MonitorDeps): Promise<Reading> {
  const now = d.clock.now();
  const due = await d.store.views.countDue(now);
  if (due === 0) return { state: 'healthy', message: 'no request is due' };
  const lastEvent = await d.store.views.lastEvent();
  const quiet = lastEvent ? now.getTime() - new Date(lastEvent.at).getTime() : Infinity;
  if (quiet > d.config.monitors.stallMinutes * 60_000) {
    return { state: 'critical', message: `${due} request(s) are due but nothing was recorded for ${Number.isFinite(quiet) ? minutes(quiet) : 'ever'} (critical after ${d.config.monitors.stallMinutes} min): is the service running?` };
  }
  return { state: 'healthy', message: `${due} request(s) due; last activity ${minutes(quiet)} ago` };
}

export function createMonitors(d: MonitorDeps, watcher: WatcherProbe): Monitors {
  const ca = new CaPing(d);
  const last = new Map<MonitorId, MonitorState>();


  return {
    async evaluate() {
      const parts: Record<MonitorId, Pick<MonitorResult, 'state' | 'message'>> = {
        'watcher-alive': watcher(),
        'store-writable': await storeWritable(d),
        'ca-reachable': await ca.read(),
        'request-waiting': await safe(() => waiting(d)),
        'pipeline-activity': await safe(() => activity(d)),
        'requests-arriving': await safe(() => requestsArriving(d)),
      };
      const monitors = MONITORS.map((m) => ({ id: m.id, eventId: m.eventId, name: m.name, ...parts[m.id] }));
      for (const m of monitors) {
        const before = last.get(m.id);
        if (before !== undefined && before !== m.state) {
          const line = { event: 'monitor_state', eventId: m.eventId, monitor: m.id, from: before, to: m.state };
          if (m.state === 'healthy') d.log.info(line, `${m.eventId} ${m.name}: ${m.state} — ${m.message}`);
          else d.log.warn(line, `${m.eventId} ${m.name}: ${m.state} — ${m.message}`);
        }
        if (before !== m.state) notifyChange(d, m, before ?? null);
        last.set(m.id, m.state);
      }
      return { state: worst(monitors.map((m) => m.state)), checkedAt: d.clock.now().toISOString(), monitors };
    },
  };
}

function notifyChange(d: MonitorDeps, m: MonitorResult, before: MonitorState | null): void {
  try {
    d.onMonitorChange?.(m, before);
  } catch (err) {
    d.log.error({ err, event: 'monitor_listener_failed' }, 'a monitor listener failed');
  }
}

/**
 * 7006, the "missing requests" monitor: certificates are due for renewal (counted by the renewal watch,
 * services/lifecycle/schedule/renewal-watch.ts) but no request of any kind arrived for monitors.missingRequestsHours —
 * the agents' renewal tasks do not reach the share.
 */
async function requestsArriving(d: MonitorDeps): Promise<Pick<MonitorResult, 'state' | 'message'>> {
  const waiting = await d.store.state.renewalsWaiting();
  if (!(waiting > 0)) return { state: 'healthy', message: 'no certificate is waiting for its renewal request' };
  const last = await d.store.views.lastRequestAt();
  const quiet = last ? d.clock.now().getTime() - new Date(last).getTime() : Infinity;
  const hours = d.config.monitors.missingRequestsHours;
  if (quiet > hours * 3_600_000) {
    return { state: 'warning', message: `${waiting} certificate(s) are due for renewal but no request arrived for ${Number.isFinite(quiet) ? minutes(quiet) : 'ever'} (warning after ${hours} h): do the agents' renewal tasks reach the share?` };
  }
  return { state: 'healthy', message: `${waiting} certificate(s) due for renewal; last request ${minutes(quiet)} ago` };
}

async function safe(fn: () => Promise<Pick<MonitorResult, 'state' | 'message'>>): Promise<Pick<MonitorResult, 'state' | 'message'>> {
  try {
    return await fn();
  } catch (err) {
    return { state: 'critical', message: `the store could not be read: ${(err as Error).message}` };
  }
}
