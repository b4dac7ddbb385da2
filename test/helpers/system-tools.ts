/**
 * The tools some tests need beyond Node and npm.
 *
 * 7-Zip for reading a .zip comes from the `7zip-bin` npm package (a devDependency), so those tests run everywhere.
 * makensis, 7zz (to read an NSIS .exe back; 7zip-bin's 7za has no NSIS reader), osslsigncode and Chromium come
 * from Debian packages that no npm package ships: a test that needs one calls `needTools(ctx, …)` first. When a
 * tool is missing the test is skipped with a note naming the tool and its Debian package (the summary reporter
 * prints each note once); under CI=true a missing tool fails the test instead, so CI keeps testing everything
 * (`.ci/run` installs these packages). The README's test section lists which tools unlock which tests.
 */
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { path7za } from '7zip-bin';
import type { TestContext } from 'vitest';

export const SYSTEM_TOOLS = {
  makensis: { debianPackage: 'nsis', unlocks: 'the installer .exe' },
  '7zz': { debianPackage: '7zip', unlocks: 'reading the .exe back' },
  osslsigncode: { debianPackage: 'osslsigncode', unlocks: 'Authenticode signing of the .exe' },
  chromium: { debianPackage: 'chromium', unlocks: 'the dashboard in a browser' },
} as const;
export type SystemTool = keyof typeof SYSTEM_TOOLS;

const found = new Map<SystemTool, string | null>();

/** The tool's path on PATH, or null (looked up once; nothing is started). */
export function findTool(name: SystemTool): string | null {
  if (!found.has(name)) {
    let hit: string | null = null;
    for (const dir of (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean)) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) {
          hit = candidate;
          break;
        }
      } catch {
        // not in this folder
      }
    }
    found.set(name, hit);
  }
  return found.get(name)!;
}

/** One tool as a skip note names it, e.g. `makensis (Debian package nsis)`. */
export function toolLabel(name: SystemTool): string {
  return `${name} (Debian package ${SYSTEM_TOOLS[name].debianPackage})`;
}

/** The line the summary prints once for a missing tool. */
export function missingToolLine(name: SystemTool, skippedTests: number): string {
  const t = SYSTEM_TOOLS[name];
  return `skipped ${skippedTests} test(s) of ${t.unlocks}: ${name} is not installed (apt-get install ${t.debianPackage})`;
}

/** Skips the calling test when a tool is missing; under CI=true fails it instead. */
export function needTools(ctx: TestContext, ...names: SystemTool[]): void {
  const missing = names.filter((n) => findTool(n) === null);
  if (missing.length === 0) return;
  const note = `not installed: ${missing.map(toolLabel).join(', ')}`;
  if (process.env['CI'] === 'true') throw new Error(`${note}; under CI=true every tool must be there (.ci/run installs them)`);
  ctx.skip(note);
}

/**
 * 7za from the 7zip-bin npm package (reads and writes .zip). Its npm tarball does not always keep the executable
 * bit, so it is set here before the first use.
 */
export function sevenZip(): string {
  if ((statSync(path7za).mode & 0o111) === 0) chmodSync(path7za, 0o755);
  return path7za;
}
