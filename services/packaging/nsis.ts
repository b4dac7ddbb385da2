/**
 * `<fqdn>-install.exe`: the package files inside an NSIS stub that runs install-certificate.ps1 elevated and
 * returns its exit code; Authenticode-signed with osslsigncode when a code-signing PFX is configured.
 * Built in a private temp folder with plain file names, so no share path ever needs quoting for makensis.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger, Runner } from '../domain/index.js';
import { installerPath } from './assets.js';
import { AgentcertError } from '../domain/index.js';

export interface SigningConfig {
  osslsigncodePath: string;
  pfxPath: string;
  passphrase?: string;
  timestampUrl?: string;
}

const MAKENSIS_TIMEOUT_MS = 180_000;

/** An NSIS string literal: `$` doubled, `"` escaped as `$\"` (NSIS manual §4.1 "Script file format"). */
export function quoteNsis(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new AgentcertError('AC_PUBLISH_FAILED', 'line breaks cannot be rendered into an NSIS string');
  return `"${value.replace(/\$/g, '$$$$').replace(/"/g, '$\\"')}"`;
}

/**
 * The makensis to use: the configured path, else `makensis` on PATH, when the runner can start it; else null
 * (no .exe: the zip and the .ps1/.cmd are the package). A configured path that cannot run is logged, not fatal.
 */
export async function findMakensis(runner: Runner, log: Logger, configured: string | null | undefined): Promise<string | null> {
  const candidate = configured ?? 'makensis';
  const r = await runner.run(candidate, ['-VERSION'], { timeoutMs: 30_000 });
  if (!r.spawnError && r.exitCode === 0) return candidate;
  if (configured) log.warn({ makensis: configured, error: r.spawnError ?? r.stderr }, 'configured makensis cannot run; no .exe is built');
  return null;
}

export async function buildInstallerExe(o: {
  runner: Runner;
  log: Logger;
  makensis: string;
  packageDir: string;
  files: string[];
  outName: string;
  displayName: string;
  signing?: SigningConfig | null;
}): Promise<Buffer> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'agentcert-nsis-'));
  try {
    for (const f of o.files) await copyFile(path.join(o.packageDir, f), path.join(work, f));
    await copyFile(installerPath('installer.nsi'), path.join(work, 'installer.nsi'));
    const defines = `!define PACKAGE_NAME ${quoteNsis(o.displayName)}\r\n!define OUT_FILE ${quoteNsis('unsigned.exe')}\r\n`;
    await writeFile(path.join(work, 'package-defines.nsh'), defines);
    await writeFile(path.join(work, 'package-files.nsh'), o.files.map((f) => `  File ${quoteNsis(f)}\r\n`).join(''));
    const r = await o.runner.run(o.makensis, ['-V2', '-INPUTCHARSET', 'UTF8', 'installer.nsi'], {
      timeoutMs: MAKENSIS_TIMEOUT_MS,
      cwd: work,
    });
    if (r.spawnError || r.exitCode !== 0 || r.timedOut) {
      throw new AgentcertError('AC_PUBLISH_FAILED', `makensis failed (exit ${r.exitCode ?? 'none'}): ${(r.spawnError ?? r.stderr ?? r.stdout).slice(0, 2000)}`);
    }
    let exe = path.join(work, 'unsigned.exe');
    if (o.signing) exe = await signExe(o.runner, work, exe, o.signing, o.displayName);
    o.log.debug({ exe: o.outName, signed: Boolean(o.signing) }, 'installer exe built');
    return await readFile(exe);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function signExe(runner: Runner, work: string, exe: string, s: SigningConfig, description: string): Promise<string> {
  const out = path.join(work, 'signed.exe');
  const args = ['sign', '-pkcs12', s.pfxPath, '-n', description, '-h', 'sha256'];
  if (s.passphrase !== undefined) {
    // -readpass keeps the passphrase off the command line (visible to every local user in the process list).
    const passFile = path.join(work, 'pass.txt');
    await writeFile(passFile, s.passphrase, { mode: 0o600 });
    args.push('-readpass', passFile);
  }
  if (s.timestampUrl) args.push('-t', s.timestampUrl);
  args.push('-in', exe, '-out', out);
  const r = await runner.run(s.osslsigncodePath, args, { timeoutMs: 120_000, cwd: work });
  if (r.spawnError || r.exitCode !== 0 || r.timedOut) {
    throw new AgentcertError('AC_PUBLISH_FAILED', `osslsigncode failed (exit ${r.exitCode ?? 'none'}): ${(r.spawnError ?? r.stderr ?? r.stdout).slice(0, 2000)}`);
  }
  return out;
}
