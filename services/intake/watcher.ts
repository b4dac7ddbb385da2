/**
 * Watching requests/ (and its tenant subfolders) and results/: file-system change events for speed, plus a
 * periodic full scan so nothing is missed when an event is lost (SMB change notifications are unreliable) or the
 * service was down. With `share.polling` (SMB/UNC shares) the scan itself is the watcher, every pollIntervalMs.
 *
 * Why not chokidar (the usual choice): chokidar answers every change in a folder by listing the whole
 * folder again and lstat-ing every entry (readdirp), and awaitWriteFinish polls each new file. In a burst of
 * 10,000 requests that made intake quadratic: a 2,000-request bulk bench spent 20 s of its 75 s CPU in lstat from
 * readdirp. Here an event only names a file; the scan reads names (readdir, no lstat); and "a file must be stable
 * before it is read" is decided at intake from the file's mtime (services/lifecycle/ingest.ts), one stat per look.
 * This is the only module that watches the file system (docs/architecture.md "House rules" 1).
 */
import { watch, type FSWatcher } from 'node:fs';
import { opendir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../domain/index.js';
import { isRequestName } from './layout.js';

export interface RequestWatcherOptions {
  requestsDir: string;
  /** The configured tenant folders (case does not matter): the only subfolders watched or scanned. */
  tenantFolders?: readonly string[];
  polling: boolean;
  pollIntervalMs: number;
  reconcileIntervalMs: number;
  log: Logger;
  /** Called for every candidate request file (the same file may be reported more than once). */
  onCandidate: (file: string) => void;
}

export interface RequestWatcher {
  ready: Promise<void>;
  /** Scan requests/ and one level of subfolders now. */
  scan(): Promise<number>;
  /** When the file system last reported anything (for the watcher-alive monitor). */
  lastEventAt(): number | null;
  close(): Promise<void>;
}

/**
 * Every candidate file in requests/ and in its configured tenant folders. Other folders are never read or
 * watched (a share writable by every agent could hold any number of them); `onOtherFolder` hears their names.
 */
export async function listRequestFiles(requestsDir: string, tenantFolders: readonly string[] = [], onOtherFolder?: (name: string) => void): Promise<string[]> {
  const out: string[] = [];
  for await (const f of requestFiles(requestsDir, tenantFolders, onOtherFolder)) out.push(f);
  return out;
}

/**
 * The same files as `listRequestFiles`, one at a time while the folders are read (opendir), so a backlog of
 * 100,000 names is never held at once (serve --once).
 */
export async function* requestFiles(requestsDir: string, tenantFolders: readonly string[] = [], onOtherFolder?: (name: string) => void): AsyncGenerator<string> {
  const tenants = new Set(tenantFolders.map((f) => f.toLowerCase()));
  const dir = await opendir(requestsDir, { bufferSize: 128 }).catch(() => null);
  if (!dir) return;
  for await (const e of dir) {
    const p = path.join(requestsDir, e.name);
    if (e.isDirectory() && !/\.req$/i.test(e.name)) {
      if (!tenants.has(e.name.toLowerCase())) {
        onOtherFolder?.(e.name);
        continue;
      }
      const sub = await opendir(p, { bufferSize: 128 }).catch(() => null);
      if (sub) for await (const s of sub) if (isRequestName(s.name)) yield path.join(p, s.name);
    } else if (isRequestName(e.name)) yield p;
  }
}

/** Every `<FQDN>.json` in results/ (install results written by the installer). */
export async function listResultFiles(resultsDir: string): Promise<string[]> {
  const entries = await readdir(resultsDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && /\.json$/i.test(e.name) && !e.name.startsWith('.')).map((e) => path.join(resultsDir, e.name));
}

/** results/ is watched like requests/, with its own scan. */
export function startResultsWatcher(o: Omit<RequestWatcherOptions, 'requestsDir'> & { resultsDir: string }): RequestWatcher {
  return startFolderWatcher({
    ...o,
    dir: o.resultsDir,
    depth: 0,
    accept: (name) => /\.json$/i.test(name) && !name.startsWith('.'),
    list: () => listResultFiles(o.resultsDir),
  });
}

export function startRequestWatcher(o: RequestWatcherOptions): RequestWatcher {
  const folders = o.tenantFolders ?? [];
  const told = new Set<string>();
  // Other folders are reported once each, in one line a scan (a share can hold thousands of them).
  const list = async (): Promise<string[]> => {
    const fresh: string[] = [];
    const files = await listRequestFiles(o.requestsDir, folders, (name) => {
      if (!told.has(name)) (told.add(name), fresh.push(name));
    });
    if (fresh.length > 0) {
      const shown = fresh.slice(0, 10).map((n) => `requests/${n}/`).join(', ');
      o.log.warn({ event: 'intake_folder_ignored', folders: fresh.length, first: fresh.slice(0, 10) }, `${fresh.length} folder(s) under requests/ are not configured tenant folders; files in them are not read (${shown}${fresh.length > 10 ? ', …' : ''}): configure the tenant in policy.tenants, or remove the folder`);
    }
    return files;
  };
  // A folder named x.req is a candidate too: the pipeline reports it instead of silently ignoring it.
  return startFolderWatcher({ ...o, dir: o.requestsDir, depth: 1, isSubfolder: (name) => folders.some((f) => f.toLowerCase() === name.toLowerCase()), accept: isRequestName, list });
}

interface FolderWatcherOptions extends Omit<RequestWatcherOptions, 'requestsDir'> {
  dir: string;
  /** 1: also watch the direct subfolders isSubfolder accepts (tenant folders). */
  depth: 0 | 1;
  isSubfolder?: (name: string) => boolean;
  accept: (name: string) => boolean;
  list: () => Promise<string[]>;
}

function startFolderWatcher(o: FolderWatcherOptions): RequestWatcher {
  let lastEvent: number | null = null;
  let closed = false;
  const watchers = new Map<string, FSWatcher>();
  const scan = async (): Promise<number> => {
    if (o.depth === 1) await watchSubfolders();
    const files = await o.list();
    for (const f of files) o.onCandidate(f);
    return files.length;
  };
  // Several events in a row (a folder appeared, an event without a name) ask for one scan, not one each.
  let scanQueued = false;
  const scanSoon = (): void => {
    if (scanQueued || closed) return;
    scanQueued = true;
    setTimeout(() => {
      scanQueued = false;
      scan().catch((err) => o.log.error({ err }, 'share scan failed'));
    }, 50).unref();
  };
  const watchOne = (dir: string): void => {
    if (closed || watchers.has(dir) || o.polling) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        lastEvent = Date.now();
        if (typeof name !== 'string' || name.length === 0) return scanSoon();
        if (o.accept(name)) o.onCandidate(path.join(dir, name));
        else if (dir === o.dir && o.depth === 1 && !/\.[^.]*$/.test(name)) scanSoon(); // maybe a new tenant folder
      });
      w.on('error', (err) => {
        o.log.error({ err, dir, event: 'watcher_error' }, 'the share watcher reported an error; the scan continues');
        w.close();
        watchers.delete(dir);
      });
      watchers.set(dir, w);
    } catch (err) {
      o.log.warn({ err, dir, event: 'watcher_error' }, `cannot watch ${dir}; the periodic scan covers it`);
    }
  };
  const watchSubfolders = async (): Promise<void> => {
    const entries = await readdir(o.dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory() && !/\.req$/i.test(e.name) && o.isSubfolder?.(e.name)) watchOne(path.join(o.dir, e.name));
  };
  watchOne(o.dir);
  const interval = o.polling ? o.pollIntervalMs : o.reconcileIntervalMs;
  const timer = setInterval(() => {
    if (o.polling) lastEvent = Date.now();
    scan().catch((err) => o.log.error({ err }, 'share scan failed'));
  }, interval);
  timer.unref();
  const ready = (o.depth === 1 ? watchSubfolders() : Promise.resolve()).then(() => undefined);
  return {
    ready,
    scan,
    lastEventAt: () => lastEvent,
    close: async () => {
      closed = true;
      clearInterval(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
