/**
 * Reading a dropped file without trusting it: no symlinks followed (nothing outside the share is read), no
 * directories, and never more than the cap (a request is a few KB; a huge or sparse file is not read whole).
 */
import { constants, open, lstat } from 'node:fs/promises';

export type SafeRead =
  | { kind: 'ok'; bytes: Buffer; size: number; mtimeMs: number }
  | { kind: 'too-large'; head: Buffer; size: number; mtimeMs: number }
  | { kind: 'not-a-file'; what: 'directory' | 'symlink' | 'other' }
  | { kind: 'gone' };

export async function safeReadRequest(file: string, maxBytes: number): Promise<SafeRead> {
  let st;
  try {
    st = await lstat(file);
  } catch {
    return { kind: 'gone' };
  }
  if (st.isSymbolicLink()) return { kind: 'not-a-file', what: 'symlink' };
  if (st.isDirectory()) return { kind: 'not-a-file', what: 'directory' };
  if (!st.isFile()) return { kind: 'not-a-file', what: 'other' };
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    if (code === 'ELOOP') return { kind: 'not-a-file', what: 'symlink' };
    throw err;
  }
  try {
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > maxBytes || st.size > maxBytes) return { kind: 'too-large', head: buf.subarray(0, Math.min(n, maxBytes)), size: Math.max(st.size, n), mtimeMs: st.mtimeMs };
    return { kind: 'ok', bytes: buf.subarray(0, n), size: n, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}
