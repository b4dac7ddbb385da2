/**
 * The Windows Event Log writer: one long-lived `powershell.exe -NoProfile -Command -` child, fed batches of
 * events on stdin, never one process per event. Each batch is one line `W @('<base64>', …)`; every item is the
 * UTF-8 JSON of one event, so no value can break out of its string. The host function writes each with
 * [System.Diagnostics.EventLog]::WriteEvent under the source registered at service install (README "Windows
 * service"), so the values become the event's insertion strings %1, %2, … in the registry's order
 * (services/domain/event-ids.ts). https://learn.microsoft.com/dotnet/api/system.diagnostics.eventlog.writeevent
 *
 * Off on Linux (config `eventLog.enabled`). When PowerShell dies the writer starts it again at the next batch, at
 * most once per `restartDelayMs`; events in between are dropped and counted in the log — the Event Log is a
 * view of the service's state, and the monitors write their state again on the next change.
 */
import { AgentcertError, EVENTS, EVENT_SOURCE, type EventLevel, type EventRecord, type EventSink, type Logger } from '../domain/index.js';
import { startLongLived, type LongLivedChild } from '../process/index.js';

/** Defines W in the child: decode, write, report a failure on stderr (the writer logs it) and go on. */
export const EVENT_HOST_SCRIPT =
  "$ErrorActionPreference = 'Continue'; " +
  'function W([string[]]$Items) { foreach ($item in $Items) { try { ' +
  '$e = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($item)) | ConvertFrom-Json; ' +
  '$instance = New-Object -TypeName System.Diagnostics.EventInstance -ArgumentList @([long]$e.id, 0, [System.Diagnostics.EventLogEntryType]$e.level); ' +
  '[System.Diagnostics.EventLog]::WriteEvent([string]$e.source, $instance, [object[]]@($e.values)) ' +
  "} catch { [Console]::Error.WriteLine('agentcert event-log: ' + $_.Exception.Message) } } }";

/** Arguments of the host: no profile, no prompts, the script from stdin (about_PowerShell_exe). */
export const EVENT_HOST_ARGS = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', '-'] as const;

export interface EventLogOptions {
  powershellPath: string;
  source?: string;
  batchMs: number;
  log: Logger;
  /** Events per stdin line. */
  batchSize?: number;
  restartDelayMs?: number;
  now?: () => number;
}

export interface EventLogWriter extends EventSink {
  /** Write what is queued now. */
  flush(): void;
  /** Flush, close PowerShell's stdin and wait for it to exit. */
  close(): Promise<void>;
  /** Events handed to PowerShell, dropped while it was down, and PowerShell starts. */
  stats(): { written: number; dropped: number; starts: number };
}

export interface EventPayload {
  id: number;
  level: EventLevel;
  source: string;
  values: string[];
}

/** The registry event as the host writes it: %1 the message, then the params in order. Unknown keys throw. */
export function toPayload(e: EventRecord, source = EVENT_SOURCE): EventPayload {
  const spec = EVENTS.find((x) => x.key === e.key);
  if (!spec) throw new AgentcertError('AC_INTERNAL', `no event "${e.key}" in the event registry`);
  const level = e.level ?? spec.levels[0]!;
  if (!spec.levels.includes(level)) throw new AgentcertError('AC_INTERNAL', `event ${spec.id} (${spec.key}) is not written with level ${level}`);
  // An insertion string is at most 31,839 characters (ReportEvent); messages here are far below that.
  const values = [e.message, ...spec.params.map((p) => String(e.values[p] ?? ''))].map((v) => v.slice(0, 31_000));
  return { id: spec.id, level, source, values };
}

export function encodeBatch(payloads: EventPayload[]): string {
  return `W @(${payloads.map((p) => `'${Buffer.from(JSON.stringify(p), 'utf8').toString('base64')}'`).join(',')})\n`;
}

export function createEventLogWriter(o: EventLogOptions): EventLogWriter {
  const batchSize = o.batchSize ?? 50;
  const restartDelayMs = o.restartDelayMs ?? 30_000;
  const now = o.now ?? Date.now;
  let child: LongLivedChild | null = null;
  let lastStart = -Infinity;
  let queue: EventPayload[] = [];
  let timer: NodeJS.Timeout | null = null;
  const counts = { written: 0, dropped: 0, starts: 0 };
  let closing = false;

  const host = (): LongLivedChild | null => {
    if (child?.alive()) return child;
    if (now() - lastStart < restartDelayMs) return null;
    lastStart = now();
    counts.starts++;
    child = startLongLived(o.powershellPath, EVENT_HOST_ARGS, {
      onStderr: (text) => o.log.warn({ event: 'event_log_error', text: text.trim() }, `Event Log writer: ${text.trim()}`),
      onExit: (code, error) => {
        if (closing && !error) return; // asked to stop: stdin closed, PowerShell ends
        o.log.warn({ event: 'event_log_exited', code, error }, `the Event Log writer (${o.powershellPath}) exited${error ? `: ${error}` : ` with code ${code}`}`);
      },
    });
    child.write(`${EVENT_HOST_SCRIPT}\n`);
    return child;
  };

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (queue.length === 0) return;
    const items = queue;
    queue = [];
    const c = host();
    if (!c) {
      counts.dropped += items.length;
      o.log.warn({ event: 'event_log_dropped', count: items.length }, `${items.length} event(s) not written to the Event Log: its writer is not running`);
      return;
    }
    for (let i = 0; i < items.length; i += batchSize) c.write(encodeBatch(items.slice(i, i + batchSize)));
    counts.written += items.length;
  };

  return {
    emit(e: EventRecord): void {
      queue.push(toPayload(e, o.source));
      timer ??= setTimeout(flush, o.batchMs);
    },
    flush,
    async close(): Promise<void> {
      flush();
      closing = true;
      if (child) await child.stop(5_000);
    },
    stats: () => ({ ...counts }),
  };
}
