/**
 * Moving dropped entries into archive/ without ever overwriting or following them. (Files the service writes on
 * the share go through files/ writeFileAtomic.)
 */
import { rename, rm, mkdir, copyFile, constants, lstat } from 'node:fs/promises';
import path from 'node:path';

/**
 * archive/ of one share. It remembers that the folder exists, so it is made once, not once a file (a syscall
 * each, bulk bench); one instance per share, owned by the application.
 */
export class ShareArchive {
  private made = false;
  constructor(readonly dir: string) {}

  /** Move a processed request into archive/ under a unique name; never overwrites, never deletes. */
  async file(src: string, stampedName: string): Promise<string> {
    let dest = await this.uniquePath(stampedName);
    try {
      await rename(src, dest).catch(async (err: NodeJS.ErrnoException) => {
        // archive/ was removed while the service ran: make it again (the source is checked to be there first).
        if (err.code !== 'ENOENT' || !this.made || !(await exists(src))) throw err;
        this.made = false;
        dest = await this.uniquePath(stampedName);
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

  /**
   * Move an entry that is not a regular file (a symlink, a folder, a pipe) into archive/ as it is: rename only,
   * which moves the link or the folder itself and never reads or touches what a link points to. Across volumes
   * (EXDEV) it is left where it is — copying would follow the link.
   */
  async entry(src: string, stampedName: string): Promise<string> {
    this.made = false; // rare: check the folder every time
    const dest = await this.uniquePath(stampedName);
    await rename(src, dest);
    return dest;
  }

  private async uniquePath(stampedName: string): Promise<string> {
    if (!this.made) {
      await mkdir(this.dir, { recursive: true });
      this.made = true;
    }
    let dest = path.join(this.dir, stampedName);
    for (let i = 1; await exists(dest); i++) dest = path.join(this.dir, `${stampedName}.${i}`);
    return dest;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
