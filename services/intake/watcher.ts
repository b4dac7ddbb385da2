/**
 * Watching requests/ (and its tenant subfolders): chokidar events for speed, plus a periodic full scan so
 * nothing is missed when an event is lost (SMB change notifications are unreliable) or the service was down.
 * This is the only module that imports chokidar (ARCHITECTURE.md house rule 1).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../domain/index.js';
import { isRequestName } from './layout.js';

export interface RequestWatcherOptions {
  requestsDir: string;
  polling: boolean;
  pollIntervalMs: number;
  stableMs: number;
  reconcileIntervalMs: number;
  log: Logger;
  /** Called for every candidate request file (the same file may be reported more than once). */
  onCandidate: (file: string) => void;
}

export interface RequestWatcher {
  ready: Promise<void>;
  /** Scan requests/ and one level of subfolders now. */
  scan(): Promise<number>;
  /** When chokidar last reported anything (for the watcher-alive monitor). */
  lastEventAt(): number | null;
  close(): Promise<void>;
}

/** Every candidate file in requests/ and its direct subfolders (tenant folders). */
export async function listRequestFiles(requestsDir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(requestsDir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(requestsDir, e.name);
    if (e.isDirectory() && !/\.req$/i.test(e.name)) {
      const sub = await readdir(p, { withFileTypes: true }).catch(() => []);
      for (const s of sub) if (isRequestName(s.name)) out.push(path.join(p, s.name));
    } else if (isRequestName(e.name)) out.push(p);
  }
  return out;
}

/** Every `<FQDN>.json` in results/ (install results written by the installer). */
export async function listResultFiles(resultsDir: string): Promise<string[]> {
  const entries = await readdir(resultsDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && /\.json$/i.test(e.name) && !e.name.startsWith('.')).map((e) => path.join(resultsDir, e.name));
}

/** results/ is watched like requests/, with its own reconcile scan. */
export function startResultsWatcher(o: Omit<RequestWatcherOptions, 'requestsDir'> & { resultsDir: string }): RequestWatcher {
  const watcher: FSWatcher = watch(o.resultsDir, {
    ignoreInitial: true,
    depth: 0,
    followSymlinks: false,
    usePolling: o.polling,
    interval: o.pollIntervalMs,
    awaitWriteFinish: o.stableMs > 0 ? { stabilityThreshold: o.stableMs, pollInterval: Math.min(100, o.stableMs) } : false,
  });
  let lastEvent: number | null = null;
  const report = (file: string): void => {
    lastEvent = Date.now();
    if (/\.json$/i.test(file)) o.onCandidate(file);
  };
  watcher.on('add', report);
  watcher.on('change', report);
  watcher.on('error', (err) => o.log.error({ err, event: 'watcher_error' }, 'the results watcher reported an error; the reconcile scan continues'));
  const scan = async (): Promise<number> => {
    const files = await listResultFiles(o.resultsDir);
    for (const f of files) o.onCandidate(f);
    return files.length;
  };
  const timer = setInterval(() => void scan().catch((err) => o.log.error({ err }, 'results scan failed')), o.reconcileIntervalMs);
  timer.unref();
  return {
    ready: new Promise<void>((resolve) => watcher.once('ready', () => resolve())),
    scan,
    lastEventAt: () => lastEvent,
    close: async () => {
      clearInterval(timer);
      await watcher.close();
    },
  };
}

export function startRequestWatcher(o: RequestWatcherOptions): RequestWatcher {
  let lastEvent: number | null = null;
  const watcher: FSWatcher = watch(o.requestsDir, {
    ignoreInitial: true,
    depth: 1,
    followSymlinks: false,
    usePolling: o.polling,
    interval: o.pollIntervalMs,
    awaitWriteFinish: o.stableMs > 0 ? { stabilityThreshold: o.stableMs, pollInterval: Math.min(100, o.stableMs) } : false,
  });
  const report = (file: string): void => {
    lastEvent = Date.now();
    if (isRequestName(path.basename(file))) o.onCandidate(file);
  };
  watcher.on('add', report);
  watcher.on('change', report);
  // A directory named x.req is a candidate too: the pipeline reports it instead of silently ignoring it.
  watcher.on('addDir', (dir) => {
    if (dir !== o.requestsDir) report(dir);
  });
  watcher.on('error', (err) => o.log.error({ err, event: 'watcher_error' }, 'the share watcher reported an error; the reconcile scan continues'));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  const scan = async (): Promise<number> => {
    const files = await listRequestFiles(o.requestsDir);
    for (const f of files) o.onCandidate(f);
    return files.length;
  };
  const timer = setInterval(() => {
    scan().catch((err) => o.log.error({ err }, 'reconcile scan failed'));
  }, o.reconcileIntervalMs);
  timer.unref();
  return {
    ready,
    scan,
    lastEventAt: () => lastEvent,
    close: async () => {
      clearInterval(timer);
      await watcher.close();
    },
  };
}
