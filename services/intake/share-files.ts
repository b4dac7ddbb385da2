/**
 * Moving dropped entries into archive/ without ever overwriting or following them. (Files the service writes on
 * the share go through packaging's writeFileAtomic.)
 */
import { rename, rm, mkdir, copyFile, constants, lstat } from 'node:fs/promises';
import path from 'node:path';

/** Folders known to exist: archive/ is made once, not once a file (a syscall each, bulk bench). */
const madeDirs = new Set<string>();

async function uniqueArchivePath(archiveDir: string, stampedName: string): Promise<string> {
  if (!madeDirs.has(archiveDir)) {
    await mkdir(archiveDir, { recursive: true });
    madeDirs.add(archiveDir);
  }
  let dest = path.join(archiveDir, stampedName);
  for (let i = 1; await exists(dest); i++) dest = path.join(archiveDir, `${stampedName}.${i}`);
  return dest;
}

/**
 * Move an entry that is not a regular file (a symlink, a folder, a pipe) into archive/ as it is: rename only,
 * which moves the link or the folder itself and never reads or touches what a link points to. Across volumes
 * (EXDEV) it is left where it is — copying would follow the link.
 */
export async function archiveEntry(src: string, archiveDir: string, stampedName: string): Promise<string> {
  madeDirs.delete(archiveDir); // rare: check the folder every time
  const dest = await uniqueArchivePath(archiveDir, stampedName);
  await rename(src, dest);
  return dest;
}

/** Move a processed request into archive/ under a unique name; never overwrites, never deletes. */
export async function archiveFile(src: string, archiveDir: string, stampedName: string): Promise<string> {
  let dest = await uniqueArchivePath(archiveDir, stampedName);
  try {
    await rename(src, dest).catch(async (err: NodeJS.ErrnoException) => {
      // archive/ was removed while the service ran: make it again (the source is checked to be there first).
      if (err.code !== 'ENOENT' || !madeDirs.delete(archiveDir) || !(await exists(src))) throw err;
      dest = await uniqueArchivePath(archiveDir, stampedName);
      await rename(src, dest);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // archive/ on another volume: copy (refusing to overwrite), then remove the original.
    await copyFile(src, dest, constants.COPYFILE_EXCL);
    await rm(src);
  }
  return dest;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
