/**
 * Where the installer sources and INF templates live: `installers/` and `inf-templates/` at the repository root,
 * found by walking up from this module (works from services/packaging and from dist/services/packaging).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toCrlf, withUtf8Bom } from './render.js';
import { AgentcertError } from '../domain/index.js';

let root: string | null = null;

export function assetRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    if (existsSync(path.join(dir, 'installers', 'install-certificate.ps1'))) {
      root = dir;
      return dir;
    }
    dir = path.dirname(dir);
  }
  throw new AgentcertError('AC_INTERNAL', 'installers/install-certificate.ps1 not found above services/packaging');
}

export function installerPath(name: string): string {
  return path.join(assetRoot(), 'installers', name);
}

export function infTemplatePath(name: string): string {
  return path.join(assetRoot(), 'inf-templates', name);
}

/**
 * The installer sources and INF templates do not change while the service runs: each is read (and converted)
 * once, not once a package. A failed read is forgotten, so the next call tries again.
 */
function memoAsync<T>(compute: (name: string) => Promise<T>): (name: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (name) => {
    let value = cache.get(name);
    if (!value) {
      value = compute(name);
      cache.set(name, value);
      value.catch(() => cache.delete(name));
    }
    return value;
  };
}

export const readInstaller = memoAsync((name) => readFile(installerPath(name), 'utf8'));

export const readInfTemplate = memoAsync((name) => readFile(infTemplatePath(name), 'utf8'));

/** An installer file as every package carries it (CRLF, and a UTF-8 BOM for PowerShell), made once. */
export const packagedInstaller = memoAsync(async (name) => {
  const text = toCrlf(await readInstaller(name));
  return name.endsWith('.ps1') ? withUtf8Bom(text) : Buffer.from(text, 'utf8');
});

export const INF_TEMPLATES = ['agent.inf', 'gateway.inf', 'management-server.inf', 'renewal.inf'] as const;
