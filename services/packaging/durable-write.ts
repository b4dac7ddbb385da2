/**
 * Writes that survive a crash: data is fsynced before it is published by rename, and directories are fsynced
 * after entries change, so a package or a tools file is either complete or absent.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
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

function isIgnorableSyncError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EBADF';
}

/** Write `<dir>/.<name>.<random>.tmp`, fsync, rename over `<dir>/<name>`. */
export async function writeFileAtomic(file: string, data: Buffer | string): Promise<void> {
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
