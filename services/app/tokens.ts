/**
 * The first-start admin token (docs/contract.md "HTTP API"): with no `api.tokens` configured, the service makes one
 * admin token (32 random bytes, base64url), keeps it in <data>/admin-token with owner-only permissions, reuses it
 * on later starts, and prints only the file's path — never the token.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

export function adminTokenPath(dataDir: string): string {
  return path.join(dataDir, ADMIN_TOKEN_FILE);
}

/** Read the admin token, creating it when it does not exist yet. */
export function ensureAdminToken(dataDir: string): { token: string; file: string; created: boolean } {
  const file = adminTokenPath(dataDir);
  if (existsSync(file)) {
    chmodSync(file, 0o600); // keep it owner-only even if someone loosened it
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, file, created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { token, file, created: true };
}

/** The file's permission bits, or null when it does not exist (doctor). */
export function adminTokenMode(dataDir: string): number | null {
  try {
    return statSync(adminTokenPath(dataDir)).mode & 0o777;
  } catch {
    return null;
  }
}
