/**
 * Reading a dropped file without trusting it: no symlinks followed (nothing outside the share is read), no
 * directories, pipes or devices opened, no file that has other names (a hard link to a file outside the share),
 * and never more than the cap (a request is a few KB; a huge or sparse file is not read whole).
 */
import { constants, open, lstat, readlink } from 'node:fs/promises';

/** What identifies one directory entry: a new entry under the same name is a new drop. */
export interface EntryIdentity { dev: number; ino: number; ctimeMs: number }

export type NotAFileKind = 'directory' | 'symlink' | 'hardlink' | 'other';

export type SafeRead =
  | { kind: 'ok'; bytes: Buffer; size: number; mtimeMs: number }
  | { kind: 'too-large'; head: Buffer; size: number; mtimeMs: number }
  | { kind: 'not-a-file'; what: NotAFileKind; identity: EntryIdentity; detail: string }
  | { kind: 'gone' };

function describe(what: NotAFileKind, st: { nlink: number }, target: string | null): string {
  switch (what) {
    case 'symlink':
      return `a symbolic link${target ? ` to ${target}` : ''}`;
    case 'directory':
      return 'a folder';
    case 'hardlink':
      return `a hard link (one file with ${st.nlink} names, possibly outside the share)`;
    default:
      return 'a named pipe, socket or device';
  }
}

export async function safeReadRequest(file: string, maxBytes: number): Promise<SafeRead> {
  let st;
  try {
    st = await lstat(file);
  } catch {
    return { kind: 'gone' };
  }
  const identity = { dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs };
  const notAFile = async (what: NotAFileKind): Promise<SafeRead> => {
    // readlink reads the link itself, never its target.
    const target = what === 'symlink' ? await readlink(file).catch(() => null) : null;
    return { kind: 'not-a-file', what, identity, detail: describe(what, st, target) };
  };
  if (st.isSymbolicLink()) return notAFile('symlink');
  if (st.isDirectory()) return notAFile('directory');
  if (!st.isFile()) return notAFile('other');
  if (st.nlink > 1) return notAFile('hardlink');
  let fh;
  try {
    // O_NONBLOCK: if the entry was swapped for a FIFO since lstat, open must not wait for a writer.
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    if (code === 'ELOOP') return notAFile('symlink');
    throw err;
  }
  try {
    // Swapped between lstat and open (another file, a pipe): not what was looked at; the next scan sees it.
    const opened = await fh.stat();
    if (!opened.isFile() || opened.ino !== st.ino || opened.dev !== st.dev) return { kind: 'gone' };
    // Sized to the file (plus one byte to see it grow), up to the cap plus one: a request is a few KB, and a
    // 64 KB buffer a file was both zeroed and kept alive by the slice that was stored (bulk bench).
    let buf = Buffer.alloc(Math.min(maxBytes, opened.size) + 1);
    let n = 0;
    while (n < buf.length) {
      const want = buf.length - n;
      const { bytesRead } = await fh.read(buf, n, want, n);
      n += bytesRead;
      if (bytesRead === 0) break;
      // A short read of a regular file is its end; a full buffer means the file grew since fstat: read on.
      if (bytesRead < want) break;
      if (n === buf.length && buf.length <= maxBytes) {
        const bigger = Buffer.alloc(maxBytes + 1);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
    }
    if (n > maxBytes || opened.size > maxBytes) return { kind: 'too-large', head: buf.subarray(0, Math.min(n, maxBytes)), size: Math.max(opened.size, n), mtimeMs: opened.mtimeMs };
    return { kind: 'ok', bytes: buf.subarray(0, n), size: n, mtimeMs: opened.mtimeMs };
  } finally {
    await fh.close();
  }
}
