/**
 * Which Event Log event a committed transition or a monitor change is (services/domain/event-ids.ts). Pure:
 * the shapes are the few fields it reads, so the lifecycle's types can change without touching it.
 */
import { levelOfState, monitorEvent, type EventRecord } from '../domain/index.js';

export interface TransitionFacts {
  request: { id: string; fqdn: string };
  to: string;
  reason: string;
  message: string;
  serialNumber?: string | null;
}

/** The outcome event of a transition, or null for the steps in between (checked, submitted, verified, …). */
export function transitionEvent(t: TransitionFacts): EventRecord | null {
  const values = { fqdn: t.request.fqdn, requestId: t.request.id, reason: t.reason };
  const message = `${t.request.fqdn} (request ${t.request.id}): ${t.message}`;
  switch (t.to) {
    case 'issued':
      return { key: 'request.issued', message, values: { fqdn: t.request.fqdn, requestId: t.request.id, serialNumber: t.serialNumber ?? '' } };
    case 'rejected':
      return { key: 'request.rejected', message, values };
    case 'awaiting_approval':
      return { key: 'request.held', message, values };
    case 'denied':
      return { key: 'request.denied', message, values };
    case 'failed':
      return { key: t.reason.startsWith('AC_CA_') ? 'ca.failed' : 'request.failed', message, values };
    case 'refused':
      // Error while the refused certificate is still valid at the CA (lifecycle/refusal.ts), Warning once revoked.
      return { key: 'certificate.refused', level: t.reason === 'AC_CA_CANNOT_REVOKE' ? 'Error' : 'Warning', message, values };
    case 'install_failed':
      return { key: 'install.failed', message, values };
    case 'installed':
      return { key: 'install.succeeded', message, values };
    default:
      return null;
  }
}

export interface MonitorFacts {
  id: string;
  name: string;
  state: 'healthy' | 'warning' | 'critical';
  message: string;
}

/** A monitor's state as its event: the monitor's own ID, the state in the level (Information/Warning/Error). */
export function monitorChangeEvent(m: MonitorFacts, previous: MonitorFacts['state'] | null): EventRecord {
  const spec = monitorEvent(m.id);
  return {
    key: spec.key,
    level: levelOfState(m.state),
    message: `${spec.id} ${m.name}: ${m.state} — ${m.message}`,
    values: { monitor: m.id, state: m.state, previous: previous ?? 'unknown' },
  };
}
