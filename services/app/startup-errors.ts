/**
 * Start-up failures the operating system reports (a folder that cannot be created or written) as a coded error
 * naming the path, the setting it comes from and what to check, instead of AC_INTERNAL with a stack.
 */
import type { Config } from '../config/index.js';
import { AgentcertError, isAgentcertError } from '../domain/index.js';

const PATH_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENOENT', 'ENOTDIR', 'EEXIST', 'EISDIR']);

/** The setting a path comes from, by prefix. */
function settingOf(p: string, config: Readonly<Config>): string | null {
  if (p.startsWith(config.data.dir)) return `data.dir (${config.data.dir}; --data, AGENTCERT_DATA)`;
  if (p.startsWith(config.share.root)) return `share.root (${config.share.root}; --share, AGENTCERT_SHARE)`;
  return null;
}

export function startupError(err: unknown, config: Readonly<Config>): unknown {
  if (isAgentcertError(err)) return err;
  const e = err as NodeJS.ErrnoException | null;
  if (!e?.code || !PATH_ERRORS.has(e.code)) return err;
  const where = e.path ?? e.message;
  const setting = e.path ? settingOf(e.path, config) : null;
  return new AgentcertError('AC_PATH_UNUSABLE', `${where} cannot be used (${e.code}: ${e.syscall ?? 'file system'})`, [
    setting ? `the path comes from ${setting}` : 'check the paths in the configuration',
    e.code === 'EACCES' || e.code === 'EPERM' ? 'the service account needs to create and write this folder' : e.code === 'ENOSPC' ? 'the disk is full' : 'a parent of this path is missing or is a file',
  ], { cause: err });
}
