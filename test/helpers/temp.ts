/** Temporary directories for tests: a real directory tree as the share and the data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempEnv {
  dir: string;
  share: string;
  data: string;
  cleanup(): void;
}

export function makeTempEnv(prefix = 'agentcert-test-'): TempEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    share: path.join(dir, 'share'),
    data: path.join(dir, 'data'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
