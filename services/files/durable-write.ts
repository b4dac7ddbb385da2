/**
 * Writes that survive a crash: data is fsynced before it is published by rename, and directories are fsynced
 * after entries change, so a package or a tools file is either complete or absent.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsync as fsyncCb, openSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileSynced(file: string, data: Buffer | string): Promise<void> {
  const fh = await open(file, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Several new files in one folder, each fsynced: opened and written with synchronous calls (small files into the
 * page cache take microseconds, where each asynchronous call is a round trip through libuv's thread pool), then
 * fsynced together on the thread pool so the waits overlap. For the staging thread, never the main thread.
 */
export async function writeFilesSynced(dir: string, files: { name: string; data: Buffer }[]): Promise<void> {
  const fds: number[] = [];
  try {
    for (const f of files) {
      const fd = openSync(path.join(dir, f.name), 'w', 0o644);
      fds.push(fd);
      for (let off = 0; off < f.data.length; ) off += writeSync(fd, f.data, off, f.data.length - off);
    }
    await Promise.all(fds.map((fd) => new Promise<void>((resolve, reject) => fsyncCb(fd, (err) => (err ? reject(err) : resolve())))));
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

export async function fsyncPath(p: string): Promise<void> {
  let fh;
  try {
    fh = await open(p, 'r');
    await fh.sync();
  } catch (err) {
    // Some file systems (SMB mounts, Windows directories) refuse fsync on a directory; the rename is still atomic.
    if (!isIgnorableSyncError(err)) throw err;
  } finally {
    await fh?.close();
  }
}

/**
 * fsync of a folder that many publishes rename into at once (issued/): one fsync covers every rename made before
 * it started, so a caller joins the next fsync to start instead of queueing its own (group commit; bulk bench:
 * three thread-pool calls a package on the main thread otherwise). One instance per folder, owned by its user.
 */
export class SharedDirSync {
  private next: Promise<void> | null = null;
  private running: Promise<void> | null = null;
  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    if (this.next) return this.next; // an fsync that has not started yet: it will cover this caller's rename
    const start = (): Promise<void> => {
      this.next = null;
      const run = fsyncPath(this.dir).finally(() => {
        if (this.running === run) this.running = null;
      });
      this.running = run;
      return run;
    };
    if (!this.running) return start();
    // One is running, and may have started before this caller's rename: the next one starts when it ends.
    const next = this.running.catch(() => undefined).then(start);
    this.next = next;
    return next;
  }
}

function isIgnorableSyncError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EBADF';
}

/**
 * Write `<dir>/.<name>.<random>.tmp`, fsync, rename over `<dir>/<name>`, fsync the folder (made if missing): the
 * file appears complete or not at all, for server owners and scripts reading the share while the service writes.
 */
export async function writeFileAtomic(file: string, data: Buffer | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFileSynced(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncPath(path.dirname(file));
}
