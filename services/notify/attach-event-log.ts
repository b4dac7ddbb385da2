/**
 * Connects the Event Log writer to the service: committed transitions (the context's onTransition hook),
 * outcome events (ctx.events) and monitor changes (onMonitorChange) — all through the one writer.
 */
import type { Config } from '../config/index.js';
import type { CommittedTransition, EventSink, Logger, TransitionListener } from '../domain/index.js';
import { createEventLogWriter, type EventLogWriter } from './event-log.js';
import { monitorChangeEvent, transitionEvent, type MonitorFacts } from './event-map.js';

/** What the service hands its app (a transition listener, the outcome sink) and its monitors. */
export interface AttachedEventLog {
  writer: EventLogWriter;
  events: EventSink;
  listener: TransitionListener;
  onMonitorChange: (m: MonitorFacts, previous: MonitorFacts['state'] | null) => void;
}

export function attachEventLog(config: Readonly<Config>, log: Logger): AttachedEventLog | null {
  if (!config.eventLog.enabled) return null;
  const writer = createEventLogWriter({ powershellPath: config.eventLog.powershellPath, batchMs: config.eventLog.batchMs, log });
  return {
    writer,
    events: writer,
    listener: {
      // A listener must not throw (domain/ports.ts): a bad event is logged, the transition stands.
      onTransition(t: CommittedTransition): void {
        try {
          const e = transitionEvent({ request: { id: t.requestId, fqdn: t.fqdn }, to: t.to, reason: t.reason, message: t.message, serialNumber: t.serialNumber ?? null });
          if (e) writer.emit(e);
        } catch (err) {
          log.error({ err, event: 'event_log_failed' }, 'could not queue an Event Log event');
        }
      },
    },
    onMonitorChange: (m, previous) => writer.emit(monitorChangeEvent(m, previous)),
  };
}
