/** Where things are, relative to this file, in a clone with shared/ beside it. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// test/helpers (source) and dist/test/helpers (built) both resolve to the repo root.
export const repoRoot = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../../..') : path.resolve(here, '../..');
// AGENTCERT_VECTORS_DIR: for a checkout (a git worktree) that has no shared/ beside it.
export const vectorsDir = process.env.AGENTCERT_VECTORS_DIR ?? path.resolve(repoRoot, '../shared/vectors');
export const cliPath = path.join(repoRoot, 'dist/cli/agentcert.js');
export function vector(name: string): string {
  return path.join(vectorsDir, name);
}
