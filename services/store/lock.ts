/**
 * One service per data directory: two writers racing on the same requests would break exactly-once.
 * A lock file holds the owner's pid; a lock left by a killed process (pid gone) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { AgentcertError } from '../domain/index.js';
import { isProcessAlive } from '../process/index.js';

export function acquireDataLock(dataDir: string): () => void {
  const file = path.join(dataDir, 'agentcert.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) rmSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
        throw new AgentcertError('AC_STORE_LOCKED', `agentcert (pid ${owner}) already serves ${dataDir}`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new AgentcertError('AC_STORE_LOCKED', `could not take the lock ${file}`);
}

/** The pid of the live `agentcert serve` holding the data directory, or null (for `doctor` and the CLI). */
export function dataLockHolder(dataDir: string): number | null {
  try {
    const owner = Number(readFileSync(path.join(dataDir, 'agentcert.lock'), 'utf8').trim());
    return Number.isInteger(owner) && owner > 0 && isProcessAlive(owner) ? owner : null;
  } catch {
    return null;
  }
}
