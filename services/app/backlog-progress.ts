/**
 * Progress of `serve --once` over a backlog: on a terminal a bar redrawn in place (done/total, rate, ETA, counts
 * by outcome); elsewhere (a log file, CI) a plain summary line every few seconds. Written to stderr, so stdout
 * keeps only the result. Each finished unit of work (a request file taken in, a stored request advanced) is
 * counted once with the state it ended in.
 */
import type { Clock } from '../domain/index.js';

export type ProgressOutcome = 'issued' | 'held' | 'rejected' | 'waiting' | 'failed';

/** Where a request stands after its work: the outcome people count. */
export function outcomeOf(state: string | null | undefined): ProgressOutcome {
  switch (state) {
    case 'packaged':
    case 'verified':
    case 'issued':
      return 'issued';
    case 'awaiting_approval':
      return 'held';
    case 'rejected':
    case 'denied':
      return 'rejected';
    case 'failed':
      return 'failed';
    default:
      return 'waiting'; // awaiting the CA, a retry, or a file still being written
  }
}

export interface ProgressSink {
  isTTY: boolean;
  write(s: string): void;
}

export interface BacklogProgress {
  /**
   * A unit of work finished, ending in this state. A request counts once, with the state it was last seen in
   * (intake and the due-request loop can both report the same request); work without a request (a file that
   * vanished) counts on its own.
   */
  done(state: string | null | undefined, requestId?: string | null): void;
  /** Stop redrawing; print the closing line. */
  finish(): void;
}

const OUTCOMES: ProgressOutcome[] = ['issued', 'held', 'rejected', 'waiting', 'failed'];

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The numbers both renderings show. */
export function progressLine(o: { done: number; total: number; elapsedMs: number; counts: Record<ProgressOutcome, number> }): string {
  const rate = o.elapsedMs > 0 ? (o.done * 1000) / o.elapsedMs : 0;
  const left = Math.max(0, o.total - o.done);
  const eta = left === 0 ? 'done' : rate > 0 ? `ETA ${duration((left / rate) * 1000)}` : 'ETA -';
  const counts = OUTCOMES.filter((k) => o.counts[k] > 0 || k === 'issued').map((k) => `${k} ${o.counts[k]}`).join(', ');
  return `${o.done}/${o.total}  ${rate.toFixed(1)}/s  ${eta}  ${counts}`;
}

export function bar(done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : width;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * Starts reporting on `total` units. On a TTY the bar is redrawn at most every `ttyEveryMs` (and on the last
 * unit); off a TTY a line is written every `lineEveryMs`. Nothing is printed for an empty backlog.
 */
export function startBacklogProgress(o: { total: number; sink: ProgressSink; clock: Clock; ttyEveryMs?: number; lineEveryMs?: number }): BacklogProgress {
  const started = o.clock.now().getTime();
  const counts: Record<ProgressOutcome, number> = { issued: 0, held: 0, rejected: 0, waiting: 0, failed: 0 };
  const seen = new Map<string, ProgressOutcome>();
  let done = 0;
  let lastDraw = started;
  const every = o.sink.isTTY ? (o.ttyEveryMs ?? 200) : (o.lineEveryMs ?? 5000);
  const line = () => progressLine({ done, total: Math.max(o.total, done), elapsedMs: o.clock.now().getTime() - started, counts });
  const draw = () => {
    lastDraw = o.clock.now().getTime();
    // \r + "erase line" (ECMA-48 EL) redraws the bar in place.
    if (o.sink.isTTY) o.sink.write(`\r\x1b[2K${bar(done, Math.max(o.total, done))} ${line()}`);
    else o.sink.write(`progress: ${line()}\n`);
  };
  if (o.total > 0 && o.sink.isTTY) draw();
  // Off a terminal the line also comes while nothing finishes (a slow CA), so a log shows the run is alive.
  const timer = o.sink.isTTY || o.total === 0 ? null : setInterval(() => o.clock.now().getTime() - lastDraw >= every && draw(), every);
  timer?.unref();
  return {
    done(state, requestId) {
      const outcome = outcomeOf(state);
      const before = requestId ? seen.get(requestId) : undefined;
      if (before) counts[before]--;
      else done++;
      if (requestId) seen.set(requestId, outcome);
      counts[outcome]++;
      if (o.clock.now().getTime() - lastDraw >= every || (o.sink.isTTY && done === o.total && !before)) draw();
    },
    finish() {
      if (timer) clearInterval(timer);
      if (o.total === 0 && done === 0) return;
      if (o.sink.isTTY) {
        draw();
        o.sink.write('\n');
      } else o.sink.write(`progress: ${line()} (finished in ${duration(o.clock.now().getTime() - started)})\n`);
    },
  };
}

/**
 * Counts the pipeline's finished work for `serve --once`: each unit with the state its request ended in. The
 * pipeline calls `onWorkDone` once a request file is taken in (with its request advanced) and once a stored
 * request has been advanced.
 */
export function trackBacklog(
  pipeline: { onWorkDone: ((requestId: string | null, state?: string) => void) | null },
  store: { requests: { get(id: string): Promise<{ state: string } | null> } },
  o: { total: number; clock: Clock; sink?: ProgressSink },
): { finish(): Promise<void> } {
  const sink = o.sink ?? { isTTY: process.stderr.isTTY === true, write: (s: string) => void process.stderr.write(s) };
  const progress = startBacklogProgress({ total: o.total, sink, clock: o.clock });
  const lookups = new Set<Promise<void>>();
  pipeline.onWorkDone = (id, state) => {
    if (!id) return progress.done(null, null);
    // The pipeline says where the request was left; only when it cannot is the row read.
    if (state !== undefined) return progress.done(state, id);
    const p: Promise<void> = store.requests.get(id).then(
      (r) => progress.done(r?.state, id),
      () => progress.done(null, id),
    ).finally(() => lookups.delete(p));
    lookups.add(p);
  };
  return {
    async finish() {
      pipeline.onWorkDone = null;
      await Promise.all(lookups);
      progress.finish();
    },
  };
}
