/**
 * Where the installer sources and INF templates live: `installers/` and `inf-templates/` at the repository root,
 * found by walking up from this module (works from services/packaging and from dist/services/packaging).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  throw new Error('installers/install-certificate.ps1 not found above services/packaging');
}

export function installerPath(name: string): string {
  return path.join(assetRoot(), 'installers', name);
}

export function infTemplatePath(name: string): string {
  return path.join(assetRoot(), 'inf-templates', name);
}

/** The installer sources do not change while the service runs: read each once, not once a package. */
const installerCache = new Map<string, Promise<string>>();

export async function readInstaller(name: string): Promise<string> {
  let text = installerCache.get(name);
  if (!text) {
    text = readFile(installerPath(name), 'utf8');
    installerCache.set(name, text);
    text.catch(() => installerCache.delete(name));
  }
  return text;
}

export const INF_TEMPLATES = ['agent.inf', 'gateway.inf', 'management-server.inf', 'renewal.inf'] as const;
