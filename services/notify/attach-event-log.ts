/**
 * Connects the Event Log writer to the service: committed transitions (the context's onTransition hook),
 * outcome events (ctx.events) and monitor changes (onMonitorChange) — all through the one writer.
 */
import type { Config } from '../config/index.js';
import type { EventSink, Logger } from '../domain/index.js';
import { createEventLogWriter, type EventLogWriter } from './event-log.js';
import { monitorChangeEvent, transitionEvent, type MonitorFacts } from './event-map.js';

/** The listeners the service sets on its context (services/lifecycle/context.ts) and its monitors. */
export interface AttachedEventLog {
  writer: EventLogWriter;
  events: EventSink;
  onTransition: (r: { id: string; fqdn: string }, t: { to: string; reason: string; message: string; certificate?: { serialNumber: string } | undefined }) => void;
  onMonitorChange: (m: MonitorFacts, previous: MonitorFacts['state'] | null) => void;
}

export function attachEventLog(config: Readonly<Config>, log: Logger): AttachedEventLog | null {
  if (!config.eventLog.enabled) return null;
  const writer = createEventLogWriter({ powershellPath: config.eventLog.powershellPath, batchMs: config.eventLog.batchMs, log });
  return {
    writer,
    events: writer,
    onTransition: (r, t) => {
      const e = transitionEvent({ request: r, to: t.to, reason: t.reason, message: t.message, serialNumber: t.certificate?.serialNumber ?? null });
      if (e) writer.emit(e);
    },
    onMonitorChange: (m, previous) => writer.emit(monitorChangeEvent(m, previous)),
  };
}
